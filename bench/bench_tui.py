"""Dashboard benchmarks, measured on the real thing in tmux: first paint, idle CPU, RSS.

On a copy of the 10M-row bench store (bench/common.py), ``lokifi --db COPY`` is started in a detached
tmux pane (120x40, its own tmux server) with the default configuration — live host vitals and the live
collector writing into the store, as a user gets it. Measured:

* ``bare Textual app first paint``: the floor on this machine — a one-line Textual app, same tmux.
* ``tui first paint``: from spawning the pane's process to the first frame on screen (the top bar's
  "CPU" appears in ``capture-pane``), and ``tui data paint`` to the store's figures ("Patterns"); the
  median of PAINT_RUNS starts (env LOKIFI_BENCH_PAINT_RUNS, default 5), each on a fresh copy of the store.
* ``tui idle CPU``: the process's CPU time (user+system, children included) over 60 s after it has
  settled, as a percentage of one core; ``btop idle CPU`` the same for btop (default 2 s update) in
  a second pane during the same 60 s, when btop is installed.
* ``tui idle CPU, no collector``: the same dashboard started with ``collect=False`` in a third pane on
  its own copy (what the screen itself costs: vitals every 2 s, store checks, re-reads).
* ``tui RSS``: the largest resident set seen during the run.
* ``demo first row``: ``lokifi demo`` (built once into the run's own LOKIFI_HOME), from spawning to the
  first table row on screen (a severity cell of the Predictions pane), median of PAINT_RUNS starts:
  without a last known state (its snapshot removed before the start), and on a restart (the state the
  previous start saved, analytics/dashboard/snapshot.py, is painted while the store is read). The bare
  Textual app's paint is measured in the same loop for scale. Then ``demo idle RSS``: the demo's
  dashboard (no collector runs on the demo) after it has settled, beside btop's in the same run, and
  the same on a start that builds the demo first (``lokifi demo --reset``).

    python -m bench.run tui          # through the runner (one table)
    python -m bench.bench_tui        # alone, with the raw numbers
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_SECONDS = float(os.environ.get("LOKIFI_BENCH_IDLE_SECONDS", "60"))
SETTLE_SECONDS = 10.0
PAINT_RUNS = int(os.environ.get("LOKIFI_BENCH_PAINT_RUNS", "5"))
SIZE = (120, 40)


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True).stdout


def _start(socket: str, name: str, argv: list[str], env: dict[str, str], first: bool) -> None:
    cmd = ["-f", "/dev/null"] if first else []
    env_args = [f"{k}={v}" for k, v in env.items()]
    names = {k for k in os.environ if k.startswith("LOKIFI_")} | {"COLUMNS", "LINES", "NO_COLOR"}
    unset = [a for k in sorted(names) for a in ("-u", k)]
    _tmux(
        socket,
        *cmd,
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        str(SIZE[0]),
        "-y",
        str(SIZE[1]),
        "env",
        *unset,
        *env_args,
        *argv,
    )


def _pane_pid(socket: str, name: str) -> int:
    return int(_tmux(socket, "display", "-p", "-t", name, "#{pane_pid}").strip())


def _wait_for(socket: str, name: str, text: str, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if text in _tmux(socket, "capture-pane", "-p", "-t", name):
            return time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError(f"{text!r} not on screen after {timeout}s:\n{_tmux(socket, 'capture-pane', '-p', '-t', name)}")


ROW_MARKS = ("│ CRIT ", "│ HIGH ", "│ MED ", "│ LOW ", "│ INFO ")


def _wait_for_row(socket: str, name: str, timeout: float) -> float:
    """When a pane's first table row (its severity cell) is on screen."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        screen = _tmux(socket, "capture-pane", "-p", "-t", name)
        if any(m in screen for m in ROW_MARKS):
            return time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError(f"no table row on screen after {timeout}s:\n{_tmux(socket, 'capture-pane', '-p', '-t', name)}")


def demo_rows(socket: str, work: Path, hello: str) -> dict[str, tuple[float, str]]:
    """First rows of ``lokifi demo`` with and without the last known state (see the module docstring)."""
    from analytics.config.paths import demo_db_path
    from analytics.dashboard.snapshot import snapshot_path

    env = {"LOKIFI_HOME": str(work / "demo-home")}
    subprocess.run(
        [*_lokifi(), "demo", "--no-open"], env={**os.environ, **env}, check=True, capture_output=True, timeout=600
    )
    old = os.environ.get("LOKIFI_HOME")
    os.environ["LOKIFI_HOME"] = env["LOKIFI_HOME"]
    try:
        snap = snapshot_path(demo_db_path())
    finally:
        if old is None:
            del os.environ["LOKIFI_HOME"]
        else:
            os.environ["LOKIFI_HOME"] = old
    bare, frames, cold, again = [], [], [], []
    for _ in range(PAINT_RUNS):
        spawned = time.perf_counter()
        _start(socket, "hello", [sys.executable, "-c", hello], env, first=False)
        bare.append(_wait_for(socket, "hello", "CPU", 30) - spawned)
        _tmux(socket, "kill-session", "-t", "hello")
        snap.unlink(missing_ok=True)
        for times in (cold, again):
            spawned = time.perf_counter()
            _start(socket, "demo", [*_lokifi(), "demo"], env, first=False)
            if times is cold:
                frames.append(_wait_for(socket, "demo", "CPU", 30) - spawned)
            times.append(_wait_for_row(socket, "demo", 60) - spawned)
            deadline = time.time() + 30
            while not snap.exists() and time.time() < deadline:  # the start's first read saves it
                time.sleep(0.05)
            _tmux(socket, "kill-session", "-t", "demo")
    import psutil

    _start(socket, "demo", [*_lokifi(), "demo"], env, first=False)
    _wait_for_row(socket, "demo", 60)
    time.sleep(SETTLE_SECONDS)
    proc = psutil.Process(_pane_pid(socket, "demo"))
    rss = 0
    for _ in range(5):
        rss = max(rss, proc.memory_info().rss)
        time.sleep(1.0)
    out = {}
    if shutil.which("btop"):
        _start(socket, "btop", ["btop"], {}, first=False)
        time.sleep(SETTLE_SECONDS)
        out["btop RSS (same run)"] = (psutil.Process(_pane_pid(socket, "btop")).memory_info().rss / 1e6, "MB")
    _tmux(socket, "kill-session", "-t", "demo")
    # a first start: the demo built and then opened by the same command (it reopens itself fresh)
    _start(socket, "first", [*_lokifi(), "demo", "--reset"], env, first=False)
    _wait_for_row(socket, "first", 600)
    time.sleep(SETTLE_SECONDS)
    first = psutil.Process(_pane_pid(socket, "first")).memory_info().rss
    _tmux(socket, "kill-session", "-t", "first")
    return {
        **out,
        "demo idle RSS (dashboard, no collector)": (rss / 1e6, "MB"),
        "demo idle RSS on the start that built it": (first / 1e6, "MB"),
        f"demo first frame, median of {PAINT_RUNS}": (statistics.median(frames), "s"),
        "demo first row, no last state, median": (statistics.median(cold), "s"),
        "demo first row, restart (last state), median": (statistics.median(again), "s"),
        "bare Textual app first paint (demo loop), median": (statistics.median(bare), "s"),
    }


def _cpu_seconds(proc) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except Exception:  # noqa: BLE001, S110 — a child that just ended
            pass
    return total


def _lokifi() -> list[str]:
    # the entry point installed beside this interpreter (not a pyenv/asdf shim, which adds its own startup)
    beside = Path(sys.executable).parent / "lokifi"
    if beside.exists():
        return [str(beside)]
    exe = shutil.which("lokifi")
    return [exe] if exe else [sys.executable, "-m", "lokifi_tui.cli.main"]


def run(idle_seconds: float = IDLE_SECONDS) -> dict[str, tuple[float, str]]:
    import psutil

    from bench.common import database

    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is not installed (apt-get install tmux)")
    source = database("10m")
    work = Path(tempfile.mkdtemp(prefix="lokifi-bench-tui-"))
    socket = f"lokifi-bench-{os.getpid()}"
    try:
        db = work / "store.duckdb"
        shutil.copyfile(source, db)
        home = work / "home"
        env = {"LOKIFI_HOME": str(home)}
        # baseline in the same conditions: a bare Textual app showing one line (python + textual + tmux)
        hello = (
            "from textual.app import App\nfrom textual.widgets import Static\n"
            "class Hello(App):\n    def compose(self):\n        yield Static('CPU hello')\nHello().run()\n"
        )
        # first paints are short and noisy on a VM: each is taken PAINT_RUNS times (alternating with the
        # bare app), the median reported; the last dashboard started stays open for the idle figures
        _tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep", "sleep", "3600")
        hello_paints, tui_paints, data_paints = [], [], []
        for run in range(PAINT_RUNS):
            spawned_hello = time.perf_counter()
            _start(socket, "hello", [sys.executable, "-c", hello], env, first=False)
            hello_paints.append(_wait_for(socket, "hello", "CPU", 30) - spawned_hello)
            _tmux(socket, "kill-session", "-t", "hello")
            if run:
                _tmux(socket, "kill-session", "-t", "tui")
                db = work / f"store{run}.duckdb"
                shutil.copyfile(source, db)
            spawned = time.perf_counter()
            _start(socket, "tui", [*_lokifi(), "--db", str(db)], env, first=False)
            tui_paints.append(_wait_for(socket, "tui", "CPU", 30) - spawned)
            data_paints.append(_wait_for(socket, "tui", "Patterns", 120) - spawned)
        proc = psutil.Process(_pane_pid(socket, "tui"))
        # the same dashboard without the in-process collector (rendering and store reads only)
        view_db = work / "view.duckdb"
        shutil.copyfile(source, view_db)
        code = f"from lokifi_tui.app import LokifiApp; LokifiApp({str(view_db)!r}, collect=False).run()"
        _start(socket, "view", [sys.executable, "-c", code], env, first=False)
        _wait_for(socket, "view", "Patterns", 120)
        view = psutil.Process(_pane_pid(socket, "view"))
        btop = None
        if shutil.which("btop"):
            _start(socket, "btop", ["btop"], {}, first=False)
            btop = psutil.Process(_pane_pid(socket, "btop"))
        rss = proc.memory_info().rss
        time.sleep(SETTLE_SECONDS)
        t0, w0 = _cpu_seconds(proc), time.perf_counter()
        v0 = _cpu_seconds(view)
        b0 = _cpu_seconds(btop) if btop else 0.0
        end = w0 + idle_seconds
        while time.perf_counter() < end:
            time.sleep(1.0)
            rss = max(rss, proc.memory_info().rss)
        t1, w1 = _cpu_seconds(proc), time.perf_counter()
        v1 = _cpu_seconds(view)
        b1 = _cpu_seconds(btop) if btop else 0.0
        screen = _tmux(socket, "capture-pane", "-p", "-t", "tui")
        if "Traceback" in screen:
            raise RuntimeError(f"the dashboard crashed:\n{screen}")
        out = {
            f"tui first paint (10M rows), median of {PAINT_RUNS}": (statistics.median(tui_paints), "s"),
            f"tui first paint, slowest of {PAINT_RUNS}": (max(tui_paints), "s"),
            f"bare Textual app first paint, median of {PAINT_RUNS}": (statistics.median(hello_paints), "s"),
            "tui data paint (10M rows), median": (statistics.median(data_paints), "s"),
            f"tui idle CPU over {idle_seconds:.0f}s": (100.0 * (t1 - t0) / (w1 - w0), "% core"),
            f"tui idle CPU, no collector, {idle_seconds:.0f}s": (100.0 * (v1 - v0) / (w1 - w0), "% core"),
            "tui RSS max (10M rows)": (rss / 1e6, "MB"),
        }
        if btop:
            out[f"btop idle CPU over {idle_seconds:.0f}s"] = (100.0 * (b1 - b0) / (w1 - w0), "% core")
        _tmux(socket, "kill-session", "-t", "tui")
        _tmux(socket, "kill-session", "-t", "view")
        out.update(demo_rows(socket, work, hello))
        return out
    finally:
        _tmux(socket, "kill-server")
        shutil.rmtree(work, ignore_errors=True)


def run_demo() -> dict[str, tuple[float, str]]:
    """Only the demo's first-row figures (``python -m bench.bench_tui demo``)."""
    work = Path(tempfile.mkdtemp(prefix="lokifi-bench-demo-"))
    socket = f"lokifi-bench-demo-{os.getpid()}"
    hello = (
        "from textual.app import App\nfrom textual.widgets import Static\n"
        "class Hello(App):\n    def compose(self):\n        yield Static('CPU hello')\nHello().run()\n"
    )
    try:
        _tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep", "sleep", "3600")
        return demo_rows(socket, work, hello)
    finally:
        _tmux(socket, "kill-server")
        shutil.rmtree(work, ignore_errors=True)


BENCHMARKS = [("tui", run, 1)]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for figure, (value, unit) in (run_demo() if sys.argv[1:] == ["demo"] else run()).items():
        print(f"{figure:<32} {value:10.3f} {unit}")
