#!/usr/bin/python3
"""The whole flow of issue #13 through the accessibility tree (AT-SPI)
alone, as a screen reader user works it: open the demo → pick a loss →
train → try → push to the fake Hub of tests/hub.

Usage (inside `xvfb-run dbus-run-session`):
  a11y-flow.py APP FAKE_HUB [NODE]

Only AT-SPI drives the app: actions (click, row.activate), EditableText to
type, Text to read, keys sent through AT-SPI where GTK 4.8 has nothing else
(each such place says why). Every state the flow waits on is read as text.
Then, from outside the app: the fake Hub holds the pushed repo with the
output folder's files (huggingface.js downloads it, byte for byte, through
share-download.mjs; without node, the fake Hub's own state), and the token
is in no file under the temporary HOME or the output folder.

The test prepares, before the app starts, what an installed app would
have: the demo (VS_DEMO_DIR: the demo's files, its recipe's output folder
in a temporary folder), a fresh HOME and HF_HOME, HF_ENDPOINT at the fake
Hub. Prints one line per step; exits non-zero on the first failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import a11y_util as u  # noqa: E402

pyatspi = u.pyatspi
DEMO = os.path.abspath(os.path.join(HERE, "..", "..", "data", "demo"))
TOKEN = "hf_test_write"
USER = "testuser"
REPO_NAME = "a11y-flow-model"
MAX_STEPS = 20
LOSS = "CosineSimilarityLoss"
SENTENCES = "A man is playing a guitar.\nSomeone plays an instrument.\nA woman is slicing an onion."


def step(message):
    print(f"ok: {message}", flush=True)


def prepare_demo(tmp):
    """The demo as installed: its data next to a recipe whose output folder
    is in tmp (so the run starts from nothing and the scan sees all of it)."""
    demo = os.path.join(tmp, "demo")
    os.mkdir(demo)
    for name in os.listdir(DEMO):
        if name != "recipe.json":
            os.symlink(os.path.join(DEMO, name), os.path.join(demo, name))
    with open(os.path.join(DEMO, "recipe.json"), encoding="utf-8") as f:
        recipe = json.load(f)
    out = os.path.join(tmp, "model")
    recipe["output_dir"] = out
    with open(os.path.join(demo, "recipe.json"), "w", encoding="utf-8") as f:
        json.dump(recipe, f, indent=2)
    return demo, out, recipe


def start_hub(fake_hub):
    proc = subprocess.Popen([fake_hub], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if not line:
        u.fail(f"the fake Hub {fake_hub} did not say where it listens")
    return proc, line[0]


def hub_json(hub_url, path):
    with urllib.request.urlopen(hub_url + path, timeout=30) as r:
        return json.loads(r.read().decode("utf-8"))


def labels(page):
    return [(n, u.text_of(n)) for n, _ in u.walk(page) if n.getRole() == pyatspi.ROLE_LABEL]


def find_label(page, where, what, predicate, timeout=None):
    """The label whose text matches predicate, waited for; prints it."""
    node = u.wait(f"{what} on page {where}",
                  lambda: next((n for n, t in labels(page) if predicate(t)), None), timeout)
    step(f"page {where}: {what}: {u.text_of(node)!r}")
    return node


def find_button(page, where, name):
    """A push button whose name has name's words (GTK 4.8's bridge may join a
    button's label and its child's text: "Compare Compare")."""
    words = name.split()

    def match(n):
        if n.getRole() != pyatspi.ROLE_PUSH_BUTTON or "click" not in u.action_names(n):
            return False
        have = (n.name or "").split()
        return have[:len(words)] == words
    return u.find_node(page, f"the {name!r} button on page {where}", match)


def click(page, where, name):
    button = find_button(page, where, name)
    u.wait(f"the {name!r} button on page {where} to be enabled",
           lambda: button.getState().contains(pyatspi.STATE_SENSITIVE))
    u.do_action(button, "click")
    step(f"page {where}: pressed {name!r} through its AT-SPI action")
    return button


def text_field(page, where, name):
    """The editable text field named name (GTK 4.8 gives a GtkText, an
    AdwEntryRow's or AdwPasswordEntryRow's field, a GtkTextView the role
    "text")."""
    return u.find_node(page, f"the text field {name!r} on page {where}",
                       lambda n: u.is_editable_text(n) and n.name == name)


def type_into(page, where, name, value, shown=None):
    field = text_field(page, where, name)
    u.type_text(field, value, repr(name))
    want = value if shown is None else shown
    u.wait(f"the field {name!r} to read what was typed", lambda: u.text_of(field) == want)
    step(f"page {where}: typed {value if shown is None else '(the token)'!r} into {name!r}")
    return field


def open_demo(window):
    """Main Menu → Close Project → the start page's Demo button."""
    # GTK 4.8: a GtkMenuButton is a node without actions holding its toggle
    # button, which has "click".
    menu = u.find_node(window, "the Main Menu button",
                       lambda n: n.name == "Main Menu" and "click" in u.action_names(n))
    u.do_action(menu, "click")
    step("window: opened the Main Menu through its button's AT-SPI action")
    app = window.parent

    def item():
        for n, _ in u.walk(app):
            if n.getRole() in (pyatspi.ROLE_MENU_ITEM, pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_CHECK_MENU_ITEM) \
               and (n.name or "").replace("_", "").startswith("Close Project"):
                return n
        return None
    close = u.wait("the Close Project menu item", item)
    u.do_action(close)
    step(f"window: chose {close.name!r} ({close.getRoleName()}) through its AT-SPI action")
    demo = u.find_node(window, "the start page's Demo button",
                       lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                       and "Open the Demo Project" in (n.name or "").replace("_", "")
                       and "click" in u.action_names(n))
    find_label(window, "Start", "the start page's title", lambda t: t == "Vectorsmith")
    u.do_action(demo, "click")
    step("page Start: pressed “Open the Demo Project” through its AT-SPI action")


def pick_loss(window):
    u.show_page(window, "Loss")
    page = u.find_page(window, "VsLossPage")

    def chosen():
        ls = [t for _, t in labels(page)]
        if "Chosen Loss" not in ls:
            return None
        i = ls.index("Chosen Loss")
        return ls[i + 1:i + 3] if len(ls) > i + 2 else None
    before = u.wait("the chosen loss and its explanation", chosen)
    step(f"page Loss: the demo's loss {before[0]!r}: {before[1]!r}")
    row = u.find_node(page, f"the {LOSS} row",
                      lambda n: n.getRole() == pyatspi.ROLE_LIST_ITEM and (n.name or "").split(" ")[0] == LOSS)
    # The loss rows are activated through the row's "row.activate" action
    # (a GtkListBoxRow in GTK 4.8 has no "click").
    u.do_action(row, "row.activate")
    after = u.wait(f"{LOSS} to be the chosen loss, explained",
                   lambda: (lambda c: c and c[0] == LOSS and c[1] != before[1] and c[1] and c)(chosen()))
    if "sentence1" not in after[1] or "score" not in after[1]:
        u.fail(f"the explanation of {LOSS} names neither the demo's columns nor its label: {after[1]!r}")
    step(f"page Loss: chose {LOSS}; its explanation: {after[1]!r}")
    u.check_controls(page, "Loss")


def train(window, out):
    u.show_page(window, "Train")
    page = u.find_page(window, "VsTrainPage")
    state = find_label(page, "Train", "the state", lambda t: t == "Ready to train")
    progress = find_label(page, "Train", "the progress", lambda t: t == "Not started")
    u.check_controls(page, "Train")
    type_into(page, "Train", "Maximum Steps", str(MAX_STEPS))
    click(page, "Train", "Start Training")
    steps = re.compile(r"^Step (\d+) of (\d+)")
    seen = []

    def finished():
        t = u.text_of(state)
        if t.startswith("Training failed"):
            u.fail(f"the run failed: {t!r}")
        m = steps.match(u.text_of(progress))
        if m and (not seen or seen[-1] != m.group(0)):
            seen.append(m.group(0))
        return re.match(r"^Finished · .+ -?\d+\.\d{4}$", t) and t
    final = u.wait("the state to read “Finished · METRIC VALUE”", finished, timeout=400)
    m = steps.match(u.text_of(progress))
    if not m or int(m.group(1)) != MAX_STEPS or int(m.group(2)) != MAX_STEPS:
        u.fail(f"finished, the progress reads {u.text_of(progress)!r}, not step {MAX_STEPS} of {MAX_STEPS}")
    step(f"page Train: progress read on the way: {seen[:3]} … {seen[-1:]}")
    metric, value = re.match(r"^Finished · (.+) (-?\d+\.\d{4})$", final).groups()
    step(f"page Train: finished: {final!r} (metric {metric} = {value})")
    # The engine's own record: what the page said is what it did.
    with open(os.path.join(out, "events.jsonl"), encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    done = [e for e in events if e.get("event") == "done"]
    logged = [e for e in events if e.get("event") == "step"]
    if not done or len(logged) != MAX_STEPS:
        u.fail(f"the engine logged {len(logged)} steps and {len(done)} done events")
    primary = done[-1]["primary_metric"]
    if metric not in (primary, primary.removeprefix("eval_")) or f"{done[-1]['metrics'][primary]:.4f}" != value:
        u.fail(f"the page reads {metric} {value}, the engine logged {primary} {done[-1]['metrics'][primary]!r}")
    step(f"page Train: the metric is the engine's {primary} {done[-1]['metrics'][primary]!r}")
    with open(os.path.join(out, "config_sentence_transformers.json"), encoding="utf-8") as f:
        json.load(f)
    return metric


def try_model(window):
    u.show_page(window, "Try")
    page = u.find_page(window, "VsTryPage")
    find_label(page, "Try", "the note about the trained model", lambda t: t == "Base model beside the trained one")
    u.check_controls(page, "Try")
    type_into(page, "Try", "Sentences, one per line", SENTENCES)
    click(page, "Try", "Compare")
    summary = find_label(page, "Try", "the most similar pair, trained and base",
                         lambda t: re.match(r"^Most similar: “.+” and “.+” \(-?\d\.\d\d, was -?\d\.\d\d\)", t))
    named = [x for x in SENTENCES.split("\n") if f"“{x}”" in u.text_of(summary)]
    if len(named) < 2:
        u.fail(f"the summary {u.text_of(summary)!r} does not name two of the typed sentences")
    evaluation = u.wait("the evaluation before and after training as text",
                        lambda: next((t for t in u.texts_under(page)
                                      if re.search(r": before -?[\d.]+, after -?[\d.]+, change [+-]?[\d.]+ \(", t)), None))
    step(f"page Try: the evaluation before and after: {evaluation!r}")


def share(window, out):
    u.show_page(window, "Share")
    page = u.find_page(window, "VsSharePage")
    find_label(page, "Share", "the trained model in the output folder",
               lambda t: t.startswith(out) or (out in t and "No trained model" not in t))
    u.check_controls(page, "Share")
    token = text_field(page, "Share", "Access Token")
    # GTK 4.8 gives AdwPasswordEntryRow's field the role "text", not
    # "password text", with no state that tells it is one, and its AT-SPI
    # Text gives the typed characters, not the dots on screen (GTK's bridge,
    # not the page: a GtkText's accessible text is its buffer). So the test
    # checks what the page controls: no other node (label, name,
    # description) ever holds the token, and the field is emptied on sign-in.
    u.type_text(token, TOKEN, "'Access Token'")
    u.wait("the token field to hold the typed token", lambda: len(u.text_of(token)) == len(TOKEN))
    step(f"page Share: typed the token into 'Access Token' (role {token.getRoleName()!r})")

    def holders():
        return [f"{n.getRoleName()} {n.name!r}" for n, _ in u.walk(window)
                if not u.same(n, token)
                and (TOKEN in (n.name or "") or TOKEN in (n.description or "") or TOKEN in u.text_of(n))]
    shown = u.settled("the nodes holding the token", holders)
    if shown:
        u.fail(f"the typed token is shown outside its field: {shown}")
    step("page Share: no node but the token field holds the token")
    click(page, "Share", "Sign In")
    find_label(page, "Share", "the user signed in", lambda t: t == f"Signed in as {USER}.", timeout=60)
    u.find_node(page, "the user's row", lambda n: n.getRole() == pyatspi.ROLE_LIST_ITEM and USER in (n.name or ""))
    step(f"page Share: the account row names {USER!r}")
    left = u.settled("the nodes holding the token",
                     lambda: [f"{n.getRoleName()} {n.name!r}" for n, _ in u.walk(window)
                              if TOKEN in (n.name or "") or TOKEN in (n.description or "")
                              or TOKEN in u.text_of(n)])
    if left:
        u.fail(f"signed in, the token can still be read through AT-SPI: {left}")
    step("page Share: signed in, no node holds the token (its field was emptied)")
    store = u.wait("where the token is kept",
                   lambda: next((t for t in u.texts_under(page)
                                 if t in ("The desktop keyring", "The Hugging Face token file, readable only by you")),
                                None))
    step(f"page Share: the token is kept in {store!r}")
    u.check_controls(page, "Share (signed in)")
    type_into(page, "Share", "Name", REPO_NAME)
    find_label(page, "Share", "the card's status",
               lambda t: t.endswith("The metadata is valid."), timeout=120)
    click(page, "Share", "Push to the Hub")
    repo_id = f"{USER}/{REPO_NAME}"
    # The toast (an AdwToast: a label in the window's toast overlay) is
    # read while waiting for the status, as it goes after a few seconds.
    toasts = []

    def outside_pages(node):
        """The window's labels but those of the pages (a quick walk: the
        toast overlay's toasts are beside the pages)."""
        if re.fullmatch(r"Vs[A-Za-z]*Page", node.name or ""):
            return
        if node.getRole() == pyatspi.ROLE_LABEL:
            yield u.text_of(node)
        for i in range(node.childCount):
            child = node.getChildAtIndex(i)
            if child is not None:
                yield from outside_pages(child)

    def pushed():
        if not toasts:
            toasts.extend(t for t in outside_pages(window) if t == f"Pushed to {repo_id}")
        return next((n for n, t in labels(page)
                     if t == f"Pushed to {repo_id}." or t.startswith("The push failed")), None)
    status = u.wait("the pushed status on page Share", pushed, timeout=300)
    if u.text_of(status) != f"Pushed to {repo_id}.":
        u.fail(f"the push did not finish: {u.text_of(status)!r}")
    step(f"page Share: the pushed status: {u.text_of(status)!r}")
    # A toast shown before (the sign-in's) may hold the overlay for a few
    # seconds: ours follows it. Polled for a while; its absence is a note.
    deadline = time.monotonic() + 20
    while not toasts and time.monotonic() < deadline:
        try:
            pushed()
        except Exception as error:  # noqa: BLE001
            print(f"note: the toast: {error}; walking again", flush=True)
        time.sleep(0.1)
    print(f"ok: window: the toast reads {toasts[0]!r}" if toasts else
          "note: the toast was gone before it was read (an AdwToast times out)", flush=True)
    find_button(page, "Share", "Open on the Hub")
    find_button(page, "Share", "Copy Model Id")
    u.check_controls(page, "Share (pushed)")
    return repo_id


def files_under(folder):
    out = []
    for root, _, names in os.walk(folder):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(out)


def check_hub(hub_url, repo_id, out, node, tmp):
    # The card the page saved before the push comes from the engine's
    # training record: it names the loss picked on the Loss page.
    with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
        card = f.read()
    if LOSS not in card:
        u.fail(f"the model card in the output folder does not name {LOSS}, the loss the run was given")
    step(f"output: the model card names {LOSS}")
    state = hub_json(hub_url, "/_test/state")
    repo = state.get("repos", {}).get(f"model:{repo_id}")
    if not repo or repo.get("commits", 0) < 1:
        u.fail(f"the fake Hub has no commit in {repo_id}: {state}")
    step(f"hub: {repo_id} has {repo['commits']} commit(s)")
    if node:
        env = dict(os.environ, VS_TEST_TOKEN=TOKEN)
        cache = os.path.join(tmp, "js-cache")
        r = subprocess.run([node, os.path.join(HERE, "share-download.mjs"), hub_url, repo_id, out, cache],
                           env=env, capture_output=True, text=True, timeout=180)
        print(r.stdout, end="", flush=True)
        if r.returncode == 77:
            print("note: huggingface.js is not installed: the fake Hub's file list is checked instead", flush=True)
        elif r.returncode != 0:
            u.fail(f"huggingface.js: the pushed repo differs from the output folder ({r.returncode}): {r.stderr}")
        else:
            step(f"hub: huggingface.js downloaded {repo_id}, byte-identical to the output folder")
            return
    tree = hub_json(hub_url, f"/api/models/{repo_id}/tree/main?recursive=true")
    remote = sorted(e["path"] for e in tree if e.get("type") == "file" and e["path"] != ".gitattributes")
    if remote != files_under(out):
        u.fail(f"the repo holds {remote}, the output folder {files_under(out)}")
    step(f"hub: {repo_id} lists the output folder's {len(remote)} files")


def scan_for_token(folders):
    n = 0
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                if os.path.islink(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                n += 1
                if TOKEN.encode() in data:
                    u.fail(f"the token is in {path}")
    step(f"scan: the token is in none of the {n} files under {', '.join(folders)}")


def main():
    app_path, fake_hub = sys.argv[1], sys.argv[2]
    node = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    tmp = tempfile.mkdtemp(prefix="vs-a11y-flow-")
    home, hf_home = os.path.join(tmp, "home"), os.path.join(tmp, "hf")
    os.makedirs(home, mode=0o700)
    demo, out, recipe = prepare_demo(tmp)
    hub, hub_url = start_hub(fake_hub)
    step(f"the fake Hub listens on {hub_url}")
    env = dict(os.environ)
    for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_CACHE"):
        env.pop(k, None)
    env.update({"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config"),
                "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
                "XDG_CACHE_HOME": os.path.join(home, ".cache"), "HF_HOME": hf_home,
                "HF_ENDPOINT": hub_url, "VS_DEMO_DIR": demo})
    proc = None
    try:
        proc, app, window = u.start_app([app_path], env)
        step(f"window {window.name!r} on the accessibility bus")
        open_demo(window)
        u.show_page(window, "Model")
        find_label(u.find_page(window, "VsModelPage"), "Model", "the demo's width after the Transformer",
                   lambda t: t.strip() == "128 dimensions")
        u.check_controls(window, "all (demo open)")
        pick_loss(window)
        train(window, out)
        try_model(window)
        repo_id = share(window, out)
        check_hub(hub_url, repo_id, out, node, tmp)
        scan_for_token([home, out])
    finally:
        if proc is not None and proc.poll() is not None:
            print(f"FAIL: the app exited with status {proc.returncode}", flush=True)
        if proc is not None:
            u.stop_app(proc)
        hub.stdin.close()
        try:
            hub.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hub.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("a11y flow: all steps passed", flush=True)


if __name__ == "__main__":
    main()
