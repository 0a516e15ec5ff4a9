#!/usr/bin/python3
"""Walks Vectorsmith's window through the accessibility tree (AT-SPI), as a
screen reader or an automation tool sees it.

Run inside `xvfb-run dbus-run-session`: starts the app (argv[1]) with the
accessibility bridge on, waits for its window to appear on the AT-SPI bus,
then for each page of the workbench: shows it through its view-switcher
button (the AT-SPI action, as a user of a screen reader would), checks that
every control has an accessible name, and that the texts a user must read
(the detected case, the loss reasons, the model's dimensions) are there as
text. Then it walks issue #11's flow as a screen reader user would (see
flow()). Prints one line per check and exits non-zero on the first failure.
"""
import os
import re
import subprocess
import sys
import time

import pyatspi

TIMEOUT_S = 150

# Roles a user operates; each needs a name a screen reader can say.
CONTROL_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_ENTRY,
    pyatspi.ROLE_SPIN_BUTTON, pyatspi.ROLE_SLIDER, pyatspi.ROLE_PASSWORD_TEXT,
    pyatspi.ROLE_SWITCH if hasattr(pyatspi, "ROLE_SWITCH") else pyatspi.ROLE_TOGGLE_BUTTON,
}


def wait(what, predicate):
    """Polls predicate until it returns a truthy value; fails after TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as error:  # noqa: BLE001
            # A node went away while we walked (the page rebuilt it): walk again.
            print(f"note: {what}: {error}; walking again", flush=True)
            value = None
        if value:
            return value
        time.sleep(0.1)
    fail(f"timed out waiting for {what}")


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def find_app(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name and app.name.lower() == name:
            return app
    return None


def walk(node, depth=0, path=()):
    """Yields (node, path) for every node under node (GTK 4.8 does not mark
    nodes as showing, so a page is found by its widget's name instead)."""
    yield node, path
    for i in range(node.childCount):
        child = node.getChildAtIndex(i)
        if child is not None:
            yield from walk(child, depth + 1, path + (f"{child.getRoleName()}:{child.name}",))


def has_name(node):
    if node.name:
        return True
    for relation in node.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            return True
    return False


def texts_under(node):
    """Every name and text a screen reader reads under node."""
    out = []
    for n, _ in walk(node):
        if n.name:
            out.append(n.name)
        try:
            text = n.queryText()
            out.append(text.getText(0, text.characterCount))
        except NotImplementedError:
            pass
        except Exception:
            pass
        if n.description:
            out.append(n.description)
    return out


def check_controls(window, page):
    unnamed = []
    for n, path in walk(window):
        if n.getRole() in CONTROL_ROLES and not has_name(n):
            unnamed.append(" > ".join(path[-4:]) or n.getRoleName())
    if unnamed:
        fail(f"page {page}: {len(unnamed)} control(s) without an accessible name:\n  " + "\n  ".join(unnamed[:20]))
    print(f"ok: page {page}: every control has an accessible name", flush=True)


def show_page(window, title):
    """Selects the view-switcher tab of a page, as a user would."""
    for n, _ in walk(window):
        if n.getRole() != pyatspi.ROLE_PAGE_TAB_LIST:
            continue
        for i in range(n.childCount):
            tab = n.getChildAtIndex(i)
            if tab is None or tab.name != title:
                continue
            try:
                action = tab.queryAction()
                if action.nActions > 0:
                    action.doAction(0)
                    return
            except NotImplementedError:
                pass
            n.querySelection().selectChild(i)
            return
    fail(f"no switcher tab named {title!r}")


def find_page(window, widget_name):
    """The subtree of a page widget (GTK names widgets without a label by type)."""
    for n, _ in walk(window):
        if n.name == widget_name:
            return n
    fail(f"no {widget_name} in the window")


def expect_text(window, page, what, predicate):
    found = wait(f"{what} on page {page}", lambda: [t for t in texts_under(window) if predicate(t)])
    print(f"ok: page {page}: {what}: {found[0]!r}", flush=True)
    return found[0]


def find_node(subtree, what, predicate):
    """The first node under subtree that predicate accepts (waited for)."""
    return wait(what, lambda: next((n for n, _ in walk(subtree) if predicate(n)), None))


def do_action(node, name=None):
    """Runs node's AT-SPI action called name (the first one when None)."""
    action = node.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    if not names or (name is not None and name not in names):
        fail(f"{node.getRoleName()} {node.name!r} has no AT-SPI action {name!r} (it has {names})")
    action.doAction(0 if name is None else names.index(name))


def press(keysym):
    """A key press as a keyboard user (or a screen reader) sends it."""
    pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    time.sleep(0.2)


KEY_HOME, KEY_DOWN, KEY_RETURN = 0xFF50, 0xFF54, 0xFF0D


def choose_in_dropdown(combo, item):
    """Opens a GtkDropDown through its button's AT-SPI action and picks the
    entry named item. GTK 4.8's drop-down takes an entry only when its popup
    list *activates* it: the list's AT-SPI Selection.selectChild selects the
    entry in the popup without changing the drop-down, and the entries have
    no AT-SPI action. So the entry is found by name in the tree and reached
    with the keyboard (Home, Down to it, Return), as a screen reader user does."""
    button = find_node(combo, f"the button of {combo.name!r}", lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON)
    do_action(button, "click")
    popup = find_node(combo, f"the open list of {combo.name!r}",
                      lambda n: n.getRole() == pyatspi.ROLE_LIST and n.childCount > 0)
    names = [[m.name for m, _ in walk(popup.getChildAtIndex(i))] for i in range(popup.childCount)]
    index = next((i for i, ns in enumerate(names) if item in ns), None)
    if index is None:
        fail(f"{combo.name!r} has no entry {item!r}")
    press(KEY_HOME)
    for _ in range(index):
        press(KEY_DOWN)
    press(KEY_RETURN)
    wait(f"{combo.name!r} to show {item!r}",
         lambda: any(n.name == item for n, _ in walk(button) if n.getRole() == pyatspi.ROLE_LABEL))
    print(f"ok: {combo.name!r} set to {item!r} (entry {index} of its list)", flush=True)


def flow(window):
    """Issue #11's flow through the accessibility tree alone: a column role
    changed by its drop-down changes the case; a loss that does not fit is
    refused with its reason, one that fits is explained; a Dense block added
    to the new model's stack changes the dimension on its arrow, and a move
    the engine forbids is refused with the reason."""
    show_page(window, "Dataset")
    page = find_page(window, "VsDatasetPage")
    combo = find_node(page, "the role drop-down of column score",
                      lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX and n.name == "Role of score")
    choose_in_dropdown(combo, "Ignore")
    expect_text(page, "Dataset", "the case without the score column",
                lambda t: t.startswith("Case 2"))

    show_page(window, "Loss")
    page = find_page(window, "VsLossPage")

    def loss_row(name):
        return find_node(page, f"the {name} row", lambda n: n.getRole() == pyatspi.ROLE_LIST_ITEM
                         and n.name.split(" ")[0] == name)

    do_action(loss_row("CoSENTLoss"), "row.activate")
    expect_text(page, "Loss", "the refusal of a loss that needs the ignored score",
                lambda t: t.startswith("CoSENTLoss does not fit this dataset: "))
    do_action(loss_row("MultipleNegativesRankingLoss"), "row.activate")
    expect_text(page, "Loss", "the explanation of the chosen loss with these columns",
                lambda t: t.startswith("Each `sentence1` must pick its `sentence2` among the "))

    show_page(window, "Model")
    page = find_page(window, "VsModelPage")

    def button(name):
        return find_node(page, f"the {name!r} button", lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                         and name in n.name and n.getState().contains(pyatspi.STATE_SENSITIVE))

    do_action(button("Add Dense"), "click")
    expect_text(page, "Model", "the width on the arrow after the new Dense block",
                lambda t: t.strip() == "64 dimensions")
    do_action(button("Move Dense Up"), "click")
    expect_text(page, "Model", "the refused move with the engine's reason",
                lambda t: t.startswith("Not moved: modules[0]: a Dense module comes after the Pooling module"))
    do_action(button("Add Normalize"), "click")
    find_node(page, "the Normalize block", lambda n: n.getRole() == pyatspi.ROLE_LABEL and n.name == "Normalize")
    do_action(button("Move Normalize Up"), "click")

    def arrows():
        return [n.name for n, _ in walk(page) if n.getRole() == pyatspi.ROLE_LABEL
                and re.fullmatch(r"\d+ dimensions?", n.name or "")]

    # Transformer 128, Pooling 128, Normalize 128, then the Dense sets 64.
    wanted = ["128 dimensions", "128 dimensions", "128 dimensions", "64 dimensions"]
    wait(f"the arrows to read {wanted}", lambda: arrows() == wanted)
    print(f"ok: page Model: the arrows after moving Normalize above the Dense: {arrows()}", flush=True)
    wait("the refusal to be gone after an allowed move",
         lambda: not any(t.startswith("Not moved:") for t in texts_under(page)))
    print("ok: page Model: Normalize moved above the Dense, the refusal is gone", flush=True)
    check_controls(page, "Model (edited stack)")


def main():
    app_path = sys.argv[1]
    env = dict(os.environ)
    env.pop("NO_AT_BRIDGE", None)
    env.pop("GTK_A11Y", None)
    env["GSETTINGS_BACKEND"] = "memory"
    # The X server of xvfb-run may still be coming up when the app starts
    # ("cannot open display"): start it again, a bounded number of times.
    for attempt in range(5):
        proc = subprocess.Popen([app_path], env=env)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            break
        print(f"note: the app exited with status {proc.returncode} at start; starting it again", flush=True)
        time.sleep(1)
    try:
        def app_on_bus():
            if proc.poll() is not None:
                fail(f"the app exited with status {proc.returncode} before it showed a window")
            return find_app("vectorsmith")

        app = wait("the app on the accessibility bus", app_on_bus)
        window = wait("the main window", lambda: app.childCount > 0 and app.getChildAtIndex(0))
        print(f"ok: window {window.name!r}", flush=True)

        # The flow of issue "Workbench 1 of 3", read as text.
        checks = [
            ("Model", "VsModelPage", "the demo model's width after the Transformer",
             lambda t: t.strip() == "128 dimensions"),
            ("Dataset", "VsDatasetPage", "the detected case of the demo dataset",
             lambda t: "Case 1" in t),
            ("Loss", "VsLossPage", "the chosen loss",
             lambda t: "CoSENTLoss" in t),
        ]
        for page, widget, what, predicate in checks:
            show_page(window, page)
            subtree = find_page(window, widget)
            expect_text(subtree, page, what, predicate)
            check_controls(subtree, page)
        check_controls(window, "all")
        flow(window)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("a11y walk: all checks passed", flush=True)


if __name__ == "__main__":
    main()
