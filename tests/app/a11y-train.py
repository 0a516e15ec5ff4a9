#!/usr/bin/python3
"""The Train page through the accessibility tree (AT-SPI), as a screen
reader user works it: every control named; Start pressed through its AT-SPI
action; the progress text read as it changes ("Step N of M", N growing);
Pause read as paused with the step kept; Resume; the final state with the
engine's metric; each chart's name and its values as the description; the
checkpoints list's rows; then a learning rate the engine cannot train with
typed into its field, and the engine's error read in the state and in the
error banner. What the page says is checked against the engine's own event
log (output_dir/events.jsonl) and checkpoint folders.

The demo project is copied with a short run (max_steps, eval_steps,
save_steps small, output_dir in a temporary folder) and opened as the app's
file argument. Run like a11y-walk.py (whose helpers it uses) inside
`xvfb-run dbus-run-session`, with the app as argv[1].
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "data", "demo")
spec = importlib.util.spec_from_file_location("a11y_walk", os.path.join(HERE, "a11y-walk.py"))
walk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(walk)
pyatspi = walk.pyatspi

MAX_STEPS = 30
EVAL_STEPS = 10
SAVE_STEPS = 10
STEP_RE = re.compile(r"^Step (\d+) of (\d+)")


def write_recipe(tmp):
    """The demo recipe with absolute data paths and a short run."""
    with open(os.path.join(DEMO, "recipe.json"), encoding="utf-8") as f:
        recipe = json.load(f)
    demo = os.path.abspath(DEMO)
    recipe["model"]["new"]["tokenizer"] = os.path.join(demo, recipe["model"]["new"]["tokenizer"])
    for part in ("train", "eval"):
        recipe[part]["path"] = os.path.join(demo, recipe[part]["path"])
    recipe["args"].update({"max_steps": MAX_STEPS, "eval_steps": EVAL_STEPS,
                           "save_steps": SAVE_STEPS, "logging_steps": 5})
    recipe["output_dir"] = os.path.join(tmp, "model")
    path = os.path.join(tmp, "a11y-train.vectorsmith.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(recipe, f, indent=2)
    return path


def doubled(name):
    """GTK 4.8's bridge joins the accessible label and the labels a widget is
    labelled by: "Pause Pause" is read twice."""
    words = (name or "").split()
    half = len(words) // 2
    return len(words) % 2 == 0 and half > 0 and words[:half] == words[half:]


def plain_name(name):
    return name or ""


def text_of(node):
    try:
        # characterCount, read first, may be the previous text's ("Training"
        # cut "Finished · …" to "Finished"): read until the count holds.
        text = node.queryText()
        for _ in range(20):
            count = text.characterCount
            value = text.getText(0, count)
            if text.characterCount == count:
                return value
        return value
    except Exception:
        return node.name or ""


def find_label(page, what, predicate):
    """The label whose text matches predicate (found once, then polled)."""
    def find():
        for n, _ in walk.walk(page):
            if n.getRole() == pyatspi.ROLE_LABEL and predicate(text_of(n)):
                return n
        return None
    node = walk.wait(what, find)
    print(f"ok: page Train: {what}: {text_of(node)!r}", flush=True)
    return node


def check_no_mnemonics(page, where):
    """A screen reader says a name as it is: "_Pause" would be read with its
    underscore, so no button's name may carry a mnemonic marker."""
    bad = [n.name for n, _ in walk.walk(page)
           if n.getRole() in walk.CONTROL_ROLES and n.name
           and any(w.startswith("_") for w in n.name.split())]
    if bad:
        walk.fail(f"page {where}: control names with a mnemonic underscore: {bad}")
    twice = [n.name for n, _ in walk.walk(page)
             if (n.getRole() in walk.CONTROL_ROLES or n.getRole() == pyatspi.ROLE_TEXT) and doubled(n.name)]
    if twice:
        walk.fail(f"page {where}: control names said twice: {twice}")
    print(f"ok: page {where}: no control name carries a mnemonic underscore or is said twice", flush=True)


def count_controls(page):
    """The form's fields are there to be named: entries for the numbers and
    texts, switches or check boxes for the flags, combo boxes for choices."""
    counts = {}
    for n, _ in walk.walk(page):
        if n.getRole() in walk.CONTROL_ROLES:
            counts[n.getRoleName()] = counts.get(n.getRoleName(), 0) + 1
    print(f"ok: page Train: controls by role: {counts}", flush=True)
    print("ok: page Train: switches and choices: "
          + str([n.name for n, _ in walk.walk(page)
                 if n.getRole() in (pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_CHECK_BOX)]), flush=True)
    return counts


def form_fields(page):
    """The form's text fields (GTK 4.8 gives a GtkEntry the role "text", which
    a11y-walk.py's control roles leave out): {name: text}; fails on one
    without a name."""
    fields, unnamed = {}, []
    for n, path in walk.walk(page):
        if n.getRole() != pyatspi.ROLE_TEXT or not n.getState().contains(pyatspi.STATE_EDITABLE):
            continue
        if not walk.has_name(n):
            unnamed.append(" > ".join(path[-3:]))
        else:
            fields[plain_name(n.name)] = text_of(n)
    if unnamed:
        walk.fail(f"page Train: {len(unnamed)} text field(s) without an accessible name:\n  "
                  + "\n  ".join(unnamed[:20]))
    print(f"ok: page Train: {len(fields)} named text fields: {fields}", flush=True)
    return fields


def find_button(page, what, word, exclude=()):
    """A push button whose name has word (GTK 4.8's bridge may join the
    button's label and its child's text, so words are compared)."""
    def find():
        for n, _ in walk.walk(page):
            if n.getRole() != pyatspi.ROLE_PUSH_BUTTON:
                continue
            words = (n.name or "").split()
            if word in words and not any(x in words for x in exclude):
                return n
        return None
    button = walk.wait(what, find)
    print(f"ok: page Train: {what} is named {button.name!r}", flush=True)
    return button


def sensitive(node):
    return node.getState().contains(pyatspi.STATE_SENSITIVE)


def press(button, what):
    walk.wait(f"{what} to be enabled", lambda: sensitive(button))
    action = button.queryAction()
    if action.nActions < 1:
        walk.fail(f"{what} has no AT-SPI action")
    action.doAction(0)
    print(f"ok: page Train: pressed {what} through its AT-SPI action", flush=True)


def step_of(label):
    m = STEP_RE.match(text_of(label))
    return (int(m.group(1)), int(m.group(2))) if m else None


def read_events(tmp):
    """The engine's own record of the run (output_dir/events.jsonl)."""
    path = os.path.join(tmp, "model", "events.jsonl")
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        walk.fail(f"the engine's event log {path} cannot be read: {e}")


def same_3g(shown, value):
    """The summaries give 3 significant digits."""
    return f"{float(shown):.3g}" == f"{float(value):.3g}"


def chart_last(description, series):
    m = re.search(re.escape(series) + r": (\d+) points, last (-?[\d.e+-]+) at step (\d+)", description)
    return (int(m.group(1)), m.group(2), int(m.group(3))) if m else None


def set_field(page, name, value):
    """Types value into the named text field through AT-SPI's EditableText."""
    for n, _ in walk.walk(page):
        if n.getRole() == pyatspi.ROLE_TEXT and n.getState().contains(pyatspi.STATE_EDITABLE) \
           and plain_name(n.name) == name:
            try:
                editable = n.queryEditableText()
            except NotImplementedError:
                walk.fail(f"the field {name!r} cannot be edited through AT-SPI")
            editable.setTextContents(value)
            walk.wait(f"the field {name!r} to read {value!r}", lambda: text_of(n) == value)
            print(f"ok: page Train: typed {value!r} into {name!r}", flush=True)
            return n
    walk.fail(f"no text field {name!r}")


def main():
    tmp = tempfile.mkdtemp(prefix="vs-a11y-train-")
    recipe = write_recipe(tmp)
    env = dict(os.environ)
    env.pop("NO_AT_BRIDGE", None)
    env.pop("GTK_A11Y", None)
    env["GSETTINGS_BACKEND"] = "memory"
    for attempt in range(5):
        proc = subprocess.Popen([sys.argv[1], recipe], env=env)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            break
        print(f"note: the app exited with status {proc.returncode} at start; starting it again", flush=True)
        time.sleep(1)
    try:
        def app_on_bus():
            if proc.poll() is not None:
                walk.fail(f"the app exited with status {proc.returncode} before it showed a window")
            return walk.find_app("vectorsmith")

        app = walk.wait("the app on the accessibility bus", app_on_bus)
        window = walk.wait("the main window", lambda: app.childCount > 0 and app.getChildAtIndex(0))
        walk.show_page(window, "Train")
        page = walk.find_page(window, "VsTrainPage")

        # Idle: the opened recipe's run, every control named.
        state = find_label(page, "the state", lambda t: t == "Ready to train")
        progress = find_label(page, "the progress text", lambda t: t == "Not started")
        walk.check_controls(page, "Train")
        count_controls(page)
        fields = form_fields(page)
        for name, want in (("Maximum Steps", str(MAX_STEPS)), ("Evaluation Steps", str(EVAL_STEPS)),
                           ("Save Steps", str(SAVE_STEPS)), ("Batch Size", "16")):
            if fields.get(name) != want:
                walk.fail(f"the field {name!r} reads {fields.get(name)!r}, the opened recipe has {want}")
        print("ok: page Train: the form reads the opened recipe's max_steps, eval_steps, "
              "save_steps and batch_size", flush=True)
        slider = walk.wait("the smoothing slider",
                           lambda: next((n for n, _ in walk.walk(page)
                                         if n.getRole() == pyatspi.ROLE_SLIDER), None))
        print(f"ok: page Train: the smoothing slider is named {slider.name!r}, "
              f"value {slider.queryValue().currentValue:.2f}", flush=True)
        check_no_mnemonics(page, "Train")
        start = find_button(page, "the Start button", "Start")
        pause = find_button(page, "the Pause button", "Pause")
        resume = find_button(page, "the Resume button", "Resume", exclude=("from",))
        for button, name in ((start, "Start Training"), (pause, "Pause"), (resume, "Resume")):
            if plain_name(button.name) != name:
                walk.fail(f"the button {name!r} is named {button.name!r}")
        find_button(page, "the Stop and Save button", "Stop")
        find_button(page, "the Cancel button", "Cancel")

        # Start: the progress text counts the steps up.
        press(start, "Start")
        first = walk.wait("the progress text to read “Step N of M” with N ≥ 1",
                          lambda: (step_of(progress) or (0, 0))[0] >= 1 and step_of(progress))
        if first[1] != MAX_STEPS:
            walk.fail(f"the progress text {text_of(progress)!r} counts to {first[1]}, not max_steps {MAX_STEPS}")
        print(f"ok: page Train: progress reads {text_of(progress)!r}", flush=True)

        # Pause as early as possible, so the run cannot end first.
        press(pause, "Pause")
        walk.wait("the state to read “Paused”",
                  lambda: text_of(state) == "Paused"
                  or (text_of(state).startswith("Finished")
                      and walk.fail(f"the run finished before Pause took effect: {text_of(state)!r}")))
        paused_at = step_of(progress)
        if paused_at is None or paused_at[0] < first[0] or paused_at[0] >= MAX_STEPS:
            walk.fail(f"paused, the progress text reads {text_of(progress)!r}")
        print(f"ok: page Train: paused: state {text_of(state)!r}, progress {text_of(progress)!r}", flush=True)
        # The step stays while paused: watched for a while, polling.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if step_of(progress) != paused_at or text_of(state) != "Paused":
                walk.fail(f"paused at {paused_at[0]}, the page now reads "
                          f"{text_of(state)!r} / {text_of(progress)!r}")
            time.sleep(0.1)
        print(f"ok: page Train: the step stays at {paused_at[0]} while paused", flush=True)
        stats = find_label(page, "the speed, CPU and memory",
                           lambda t: re.match(r"^\d+ examples/s", t) is not None)
        if not re.search(r"CPU \d+ % · memory \S", text_of(stats)):
            walk.fail(f"paused, the speed label reads {text_of(stats)!r}: no CPU and memory")
        walk.check_controls(page, "Train (paused)")

        # Resume: the count goes on past the paused step, to the end.
        press(resume, "Resume")
        seen = [paused_at[0]]

        def finished():
            s = step_of(progress)
            if s is not None and s[0] != seen[-1]:
                if s[0] < seen[-1]:
                    walk.fail(f"the step went back from {seen[-1]} to {s[0]}")
                seen.append(s[0])
            t = text_of(state)
            if t.startswith("Training failed"):
                walk.fail(f"the run failed: {t!r}")
            if t.startswith("Finished") and t not in finals:
                finals.append(t)
            return re.match(r"^Finished · .+ -?\d+\.\d{4}$", t) and t
        finals = []
        final = walk.wait("the state to read “Finished · METRIC VALUE”", finished)
        if len(finals) > 1:
            print(f"note: page Train: the state read {finals[:-1]} before {final!r}", flush=True)
        last = step_of(progress)
        if last is None or last[0] != MAX_STEPS:
            walk.fail(f"finished, the progress text reads {text_of(progress)!r}, not step {MAX_STEPS}")
        if len(seen) < 2:
            walk.fail(f"the progress text did not change after Resume (steps seen: {seen})")
        print(f"ok: page Train: steps read after Resume: {seen} → {last[0]}", flush=True)
        m = re.match(r"^Finished · (.+) (-?\d+\.\d{4})$", final)
        if not m:
            walk.fail(f"the final state {final!r} names no metric and value")
        metric, value = m.group(1), m.group(2)
        print(f"ok: page Train: the final state reads {final!r}", flush=True)

        # The engine's record of the run: the page said what it did.
        events = read_events(tmp)
        steps = [e for e in events if e.get("event") == "step"]
        done = [e for e in events if e.get("event") == "done"]
        if len(steps) != MAX_STEPS or not done:
            walk.fail(f"the engine logged {len(steps)} steps and {len(done)} done events")
        primary = done[-1]["primary_metric"]
        # The page names a metric without the evaluator's "eval_" prefix.
        if metric not in (primary, primary.removeprefix("eval_")) or f"{done[-1]['metrics'][primary]:.4f}" != value:
            walk.fail(f"the page reads {metric} {value}, the engine logged {primary} "
                      f"{done[-1]['metrics'][primary]!r}")
        print(f"ok: page Train: the final state matches the engine's {primary} "
              f"{done[-1]['metrics'][primary]!r}", flush=True)
        bar = next((n for n, _ in walk.walk(page) if n.getRole() == pyatspi.ROLE_PROGRESS_BAR), None)
        if bar is None or not bar.name:
            walk.fail("no named progress bar on the Train page")
        value_iface = bar.queryValue()
        if abs(value_iface.currentValue - value_iface.maximumValue) > 1e-6:
            walk.fail(f"finished, the progress bar {bar.name!r} is at {value_iface.currentValue} "
                      f"of {value_iface.maximumValue}")
        print(f"ok: page Train: the progress bar {bar.name!r} is full", flush=True)

        # The charts: named by their title, the values as the description.
        charts = {}

        def read_charts():
            for n, _ in walk.walk(page):
                if n.getRole() == pyatspi.ROLE_IMAGE and n.name and n.name != "GtkImage":
                    charts[n.name] = n.description or ""
            return all(charts.get(t) for t in ("Loss", "Evaluation Metrics", "Learning Rate", "Gradient Norm"))
        walk.wait("the four charts with a description", read_charts)
        for title, description in charts.items():
            print(f"ok: page Train: chart {title!r}: {description[:160]!r}", flush=True)
        for title, series, key in (("Learning Rate", "Learning rate", "lr"),
                                   ("Gradient Norm", "Gradient norm", "grad_norm")):
            got = chart_last(charts[title], series)
            if got is None or got[0] != MAX_STEPS or got[2] != MAX_STEPS \
               or not same_3g(got[1], steps[-1][key]):
                walk.fail(f"the {title} chart reads {charts[title]!r}; the engine logged "
                          f"{MAX_STEPS} steps, the last {key} {steps[-1][key]!r}")
            print(f"ok: page Train: the {title} chart matches the engine's last {key} "
                  f"{steps[-1][key]!r}", flush=True)
        got = chart_last(charts["Loss"], "Training loss")
        if got is None or got[0] != MAX_STEPS:
            walk.fail(f"the Loss chart's description has no {MAX_STEPS} training loss points: {charts['Loss']!r}")
        # The summary rounds to 3 significant digits: the same value, rounded.
        series = chart_last(charts["Evaluation Metrics"], metric)
        if not series:
            walk.fail(f"the Evaluation Metrics chart has no series {metric!r}: {charts['Evaluation Metrics']!r}")
        if not same_3g(series[1], value) or series[2] != MAX_STEPS:
            walk.fail(f"the Evaluation Metrics chart gives {metric} {series[1]} at step "
                      f"{series[2]}, the state {value} at step {MAX_STEPS}")
        # A baseline before training and one evaluation every EVAL_STEPS.
        n_evals = len([e for e in events if e.get("event") == "eval"])
        if series[0] != n_evals or n_evals != 1 + MAX_STEPS // EVAL_STEPS:
            walk.fail(f"the Evaluation Metrics chart has {series[0]} points of {metric}; the engine "
                      f"logged {n_evals} evaluations, the recipe asks for {1 + MAX_STEPS // EVAL_STEPS}")
        print(f"ok: page Train: the Evaluation Metrics chart gives the final {metric} "
              f"{series[1]} over {n_evals} evaluations (state: {value})", flush=True)

        # The checkpoints: one row per saved step, its Resume button named.
        group = walk.wait("the checkpoints list",
                          lambda: next((n for n, _ in walk.walk(page)
                                        if n.getRole() == pyatspi.ROLE_LIST and n.name == "Checkpoints"), None))
        want = [f"Step {s}" for s in range(SAVE_STEPS, MAX_STEPS + 1, SAVE_STEPS)]

        def rows():
            texts = walk.texts_under(group)
            return all(w in texts for w in want) and texts
        texts = walk.wait(f"the checkpoint rows {want}", rows)
        print(f"ok: page Train: the checkpoints list reads {texts[:12]!r}", flush=True)
        names = [n.name for n, _ in walk.walk(group) if n.getRole() == pyatspi.ROLE_PUSH_BUTTON]
        for s in range(SAVE_STEPS, MAX_STEPS + 1, SAVE_STEPS):
            if f"Resume from step {s}" not in names:
                walk.fail(f"no button “Resume from step {s}” in the checkpoints list (buttons: {names})")
        print(f"ok: page Train: the checkpoints' buttons: {names}", flush=True)
        for s in range(SAVE_STEPS, MAX_STEPS + 1, SAVE_STEPS):
            if not os.path.isdir(os.path.join(tmp, "model", f"checkpoint-{s}")):
                walk.fail(f"the page lists step {s}, but the engine wrote no checkpoint-{s}")
        walk.check_controls(page, "Train (finished)")
        check_no_mnemonics(page, "Train (finished)")

        # A run the engine refuses: its message in the state and the banner.
        set_field(page, "Learning Rate", "1e30")
        press(start, "Start (learning rate 1e30)")

        left = []

        def failed():
            t = text_of(state)
            if t != final:
                left.append(t)     # the new run has begun
            if left and t.startswith("Finished"):
                walk.fail(f"the run with learning rate 1e30 finished: {t!r}")
            return t.startswith("Training failed: ") and t
        failure = walk.wait("the state to read “Training failed: …”", failed)
        message = failure[len("Training failed: "):]
        errors = [e for e in read_events(tmp) if e.get("event") == "error"]
        if not errors or errors[-1].get("message") != message:
            walk.fail(f"the state {failure!r} does not give the engine's logged error "
                      f"{errors[-1].get('message') if errors else None!r}")
        print(f"ok: page Train: the state reads {failure!r}", flush=True)
        banner = find_label(page, "the error banner", lambda t: t.startswith(message + "\n"))
        # The run failed before writing a checkpoint: the folder's checkpoints
        # are the earlier run's, and the banner must not offer them as this
        # run's last good one.
        if "checkpoint-" in text_of(banner):
            walk.fail(f"the banner names an earlier run's checkpoint: {text_of(banner)!r}")
        dismiss = find_button(page, "the banner's dismiss button", "Dismiss")
        if plain_name(dismiss.name) != "Dismiss the error":
            walk.fail(f"the banner's dismiss button is named {dismiss.name!r}")
        walk.check_controls(page, "Train (failed)")
        check_no_mnemonics(page, "Train (failed)")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("a11y train: all checks passed", flush=True)


if __name__ == "__main__":
    main()
