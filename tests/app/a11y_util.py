"""Helpers of the AT-SPI tests (a11y-walk.py, a11y-train.py, a11y-try.py,
a11y-flow.py): the app started with the accessibility bridge on, the tree
walked and polled with timeouts (never fixed sleeps), controls checked for
names, texts read, actions run, keys sent, as a screen reader user works.

GTK 4.8's AT-SPI bridge and what these helpers do about it:
- nodes are not marked as showing, so a page is found by its widget's name
  (find_page) and every page's subtree stays in the tree;
- a widget without a label is named after its type ("GtkSwitch",
  "GtkImage"): such a name says nothing, so has_name() does not count it;
- a GtkDropDown's popup list takes no AT-SPI selection and its entries have
  no action: choose_in_dropdown() reaches the entry with keys sent through
  AT-SPI;
- Text.characterCount may be read before a label's new text: text_of()
  reads until the count holds.
"""
import os
import re
import subprocess
import sys
import time

import pyatspi
import gi  # noqa: E402
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

TIMEOUT_S = 150

# libatspi gives up on a call after 0.8 s by default; on a loaded machine
# the app's main thread may be busy longer (a project opening, a page
# rebuilt): wait for its answers up to 10 s (the polls still time out).
Atspi.set_timeout(10000, 15000)

# Roles a user operates; each needs a name a screen reader can say. GTK 4.8
# gives a GtkText (GtkEntry, AdwEntryRow, AdwPasswordEntryRow) the role
# "text": editable ones are checked too (is_control).
CONTROL_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_ENTRY,
    pyatspi.ROLE_SPIN_BUTTON, pyatspi.ROLE_SLIDER, pyatspi.ROLE_PASSWORD_TEXT,
    pyatspi.ROLE_SWITCH if hasattr(pyatspi, "ROLE_SWITCH") else pyatspi.ROLE_TOGGLE_BUTTON,
}
TEXT_ROLES = {pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY, pyatspi.ROLE_PASSWORD_TEXT}

# The bridge's fallback name of an unlabelled widget: its type name.
TYPE_NAME = re.compile(r"^(Gtk|Adw)[A-Z][A-Za-z]*$")

KEY_HOME, KEY_DOWN, KEY_RETURN = 0xFF50, 0xFF54, 0xFF0D


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def wait(what, predicate, timeout=None):
    """Polls predicate until it returns a truthy value; fails after the timeout."""
    deadline = time.monotonic() + (timeout or TIMEOUT_S)
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


def find_app(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name and app.name.lower() == name:
            return app
    return None


def start_app(argv, env=None):
    """Starts the app (argv) with the accessibility bridge on; returns (proc,
    app, window) once its window is on the AT-SPI bus."""
    env = dict(os.environ if env is None else env)
    env.pop("NO_AT_BRIDGE", None)
    env.pop("GTK_A11Y", None)
    env.setdefault("GSETTINGS_BACKEND", "memory")
    # The X server of xvfb-run may still be coming up when the app starts
    # ("cannot open display"): start it again, a bounded number of times.
    for _ in range(5):
        proc = subprocess.Popen(argv, env=env)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            break
        print(f"note: the app exited with status {proc.returncode} at start; starting it again", flush=True)
        time.sleep(1)

    def app_on_bus():
        if proc.poll() is not None:
            fail(f"the app exited with status {proc.returncode} before it showed a window")
        return find_app("vectorsmith")

    app = wait("the app on the accessibility bus", app_on_bus)
    window = wait("the main window", lambda: app.childCount > 0 and app.getChildAtIndex(0))
    return proc, app, window


def stop_app(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def walk(node, depth=0, path=()):
    """Yields (node, path) for every node under node."""
    yield node, path
    for i in range(node.childCount):
        child = node.getChildAtIndex(i)
        if child is not None:
            yield from walk(child, depth + 1, path + (f"{child.getRoleName()}:{child.name}",))


def same(a, b):
    """Whether two AT-SPI proxies are the same object."""
    try:
        return a.get_process_id() == b.get_process_id() and a.path == b.path
    except Exception:  # noqa: BLE001
        return a == b


def has_name(node):
    """A name a screen reader can say: the node's own (not the bridge's type
    name fallback) or the labels it is labelled by."""
    if node.name and not TYPE_NAME.match(node.name):
        return True
    for relation in node.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            return True
    return False


def is_editable_text(node):
    return node.getRole() in TEXT_ROLES and node.getState().contains(pyatspi.STATE_EDITABLE)


def is_control(node):
    return node.getRole() in CONTROL_ROLES or is_editable_text(node)


def text_of(node):
    """The text of a node: its Text (read until the count holds), else its name."""
    try:
        # characterCount, read first, may be the previous text's ("Training"
        # cut "Finished · …" to "Finished"): read until the count holds.
        text = node.queryText()
        value = ""
        for _ in range(20):
            count = text.characterCount
            value = text.getText(0, count)
            if text.characterCount == count:
                return value
        return value
    except Exception:  # noqa: BLE001
        return node.name or ""


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
        except Exception:  # noqa: BLE001
            pass
        if n.description:
            out.append(n.description)
    return out


def settled(what, fn):
    """fn's value, computed again when a call to the app fails (libatspi gives
    up on a call after 800 ms: the app's main thread may be busy a moment)."""
    return wait(what, lambda: (fn(),))[0]


def check_controls(window, page):
    def unnamed_controls():
        return [" > ".join(path[-4:]) or n.getRoleName() for n, path in walk(window)
                if is_control(n) and not has_name(n)]
    unnamed = settled(f"the controls of page {page}", unnamed_controls)
    if unnamed:
        fail(f"page {page}: {len(unnamed)} control(s) without an accessible name:\n  " + "\n  ".join(unnamed[:20]))
    print(f"ok: page {page}: every control and text field has an accessible name", flush=True)


def show_page(window, title):
    """Selects the view-switcher tab of a page, as a user would."""
    def tab():
        for n, _ in walk(window):
            if n.getRole() == pyatspi.ROLE_PAGE_TAB_LIST:
                for i in range(n.childCount):
                    t = n.getChildAtIndex(i)
                    if t is not None and t.name == title:
                        return (n, i, t)
        return None
    tabs, i, node = wait(f"the switcher tab {title!r}", tab)
    if action_names(node):
        node.queryAction().doAction(0)
    else:
        tabs.querySelection().selectChild(i)


def find_page(window, widget_name):
    """The subtree of a page widget (GTK names widgets without a label by type);
    waited for, as the tree may change under the walk (a project opening)."""
    return find_node(window, f"the {widget_name} in the window", lambda n: n.name == widget_name, timeout=30)


def expect_text(window, page, what, predicate):
    found = wait(f"{what} on page {page}", lambda: [t for t in texts_under(window) if predicate(t)])
    print(f"ok: page {page}: {what}: {found[0]!r}", flush=True)
    return found[0]


def find_node(subtree, what, predicate, timeout=None):
    """The first node under subtree that predicate accepts (waited for)."""
    return wait(what, lambda: next((n for n, _ in walk(subtree) if predicate(n)), None), timeout)


def action_names(node):
    try:
        action = node.queryAction()
    except NotImplementedError:
        return []
    return [action.getName(i) for i in range(action.nActions)]


def do_action(node, name=None):
    """Runs node's AT-SPI action called name (the first one when None)."""
    names = action_names(node)
    if not names or (name is not None and name not in names):
        fail(f"{node.getRoleName()} {node.name!r} has no AT-SPI action {name!r} (it has {names})")
    node.queryAction().doAction(0 if name is None else names.index(name))


def press(keysym):
    """A key press as a keyboard user (or a screen reader) sends it."""
    pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    time.sleep(0.2)


def type_text(node, value, what=None):
    """Types value into an editable text node through AT-SPI's EditableText."""
    what = what or repr(node.name)
    try:
        editable = node.queryEditableText()
    except NotImplementedError:
        fail(f"the field {what} cannot be edited through AT-SPI")
    editable.setTextContents(value)


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
