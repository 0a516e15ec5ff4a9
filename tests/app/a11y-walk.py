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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The helpers are shared with a11y-train.py, a11y-try.py and a11y-flow.py
# (which reach them through this module or a11y_util directly).
from a11y_util import (  # noqa: E402,F401
    CONTROL_ROLES, KEY_DOWN, KEY_HOME, KEY_RETURN, TEXT_ROLES, TIMEOUT_S, check_controls,
    choose_in_dropdown, do_action, expect_text, fail, find_app, find_node, find_page, has_name,
    is_control, is_editable_text, press, show_page, text_of, texts_under, wait, walk)


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
