#!/usr/bin/env python3
"""Check the README's first command the way a new user runs it: in a fresh virtualenv, in a real
terminal (tmux at 80x24), `python -m pip install . && lokifi demo` must install and paint the
dashboard; `q` must quit it. Prints the captured screen. Exit 0 on success, 1 otherwise.

Usage: python .ci/check_readme.py VENV_DIR
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


SESSION = "lokifi-readme"  # the tmux session README command 1 runs in


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def main() -> int:
    venv = Path(sys.argv[1])
    home = Path(tempfile.mkdtemp(prefix="lokifi-readme-home-"))
    try:
        return run_first_command(venv, home)
    finally:  # the session's processes write into home: stop them before removing it (a demo there is 80 MB)
        tmux("kill-session", "-t", SESSION)
        shutil.rmtree(home, ignore_errors=True)


def run_first_command(venv: Path, home: Path) -> int:
    first = readme_commands()[0]
    session = SESSION
    tmux("kill-session", "-t", session)
    script = home / "run.sh"
    script.write_text(
        f"cd {shlex.quote(str(ROOT))} && . {shlex.quote(str(venv))}/bin/activate && "
        f"export LOKIFI_HOME={shlex.quote(str(home))} && {first}; echo LOKIFI-EXITED $?; sleep 600\n"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", f"bash {script}"], check=True)
    deadline = time.time() + 1800  # pip downloads at the registry's pace: it has been as slow as 20-45 kB/s
    screen = ""
    ok = False
    while time.time() < deadline:
        time.sleep(2)
        screen = tmux("capture-pane", "-p", "-t", session)
        if "LOKIFI-EXITED" in screen:
            break
        if re.search(r"Recommendations|Predictions|Patterns", screen) and "Building" not in screen:
            ok = True
            break
    print(screen)
    if not ok:
        print("README command 1 did not paint the dashboard", file=sys.stderr)
        tmux("kill-session", "-t", session)
        return 1
    time.sleep(3)
    tmux("send-keys", "-t", session, "q")
    for _ in range(30):
        time.sleep(1)
        screen = tmux("capture-pane", "-p", "-t", session)
        if "LOKIFI-EXITED 0" in screen:
            tmux("kill-session", "-t", session)
            print("README command 1: installed, painted the dashboard at 80x24, quit with q")
            return 0
    print(screen)
    print("the dashboard did not quit with q (exit 0)", file=sys.stderr)
    tmux("kill-session", "-t", session)
    return 1


if __name__ == "__main__":
    sys.exit(main())
