#!/usr/bin/python3
"""The Try page through the accessibility tree (AT-SPI), as a screen reader
sees it: every control named, the note about the trained model readable,
and after pressing Compare (through its AT-SPI action) the summary of the
engine's similarities and the heat map's values as text.

Run like a11y-walk.py (whose helpers it uses) inside `xvfb-run
dbus-run-session`, with the app as argv[1].
"""
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("a11y_walk", os.path.join(HERE, "a11y-walk.py"))
walk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(walk)


def main():
    env = dict(os.environ)
    env.pop("NO_AT_BRIDGE", None)
    env.pop("GTK_A11Y", None)
    env["GSETTINGS_BACKEND"] = "memory"
    for attempt in range(5):
        proc = subprocess.Popen([sys.argv[1]], env=env)
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
        walk.show_page(window, "Try")
        page = walk.find_page(window, "VsTryPage")
        walk.expect_text(page, "Try", "the note about the trained model",
                         lambda t: t in ("Train the model to compare", "Base model beside the trained one"))
        walk.check_controls(page, "Try")

        def compare_button():
            for n, _ in walk.walk(page):
                # GTK 4.8's bridge joins the button's label and its child's text
                if n.getRole() == walk.pyatspi.ROLE_PUSH_BUTTON and "Compare" in (n.name or "").split():
                    return n
            return None
        button = walk.wait("the Compare button", compare_button)
        print(f"ok: page Try: the Compare button is named {button.name!r}", flush=True)
        action = button.queryAction()
        action.doAction(0)
        walk.expect_text(page, "Try", "the most similar pair", lambda t: t.startswith("Most similar: “"))

        def heatmap_text():
            for n, _ in walk.walk(page):
                if n.name == "Base model" and n.description and "A man is playing a guitar." in n.description:
                    return n.description
            return None
        text = walk.wait("the base model's heat map as text", heatmap_text)
        print(f"ok: page Try: the base model's heat map reads {text[:80]!r}…", flush=True)
        walk.check_controls(page, "Try (compared)")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("a11y try: all checks passed", flush=True)


if __name__ == "__main__":
    main()
