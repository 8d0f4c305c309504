"""Nothing lost: a benchmark killed with SIGTERM keeps every finished row, says it is incomplete, and
`--resume` completes it without redoing (or changing) the rows it had."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from backend_helper import small_bench

from conformance.core import backends
from conformance.run import checkpoint

ROOT = Path(__file__).resolve().parents[1]


def quartet(*argv: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", *argv],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def units(folder: Path) -> dict:
    path = folder / checkpoint.FILE
    return json.loads(path.read_text())["units"] if path.is_file() else {}


@pytest.mark.slow
def test_interrupted_bench_keeps_its_rows_and_resumes(tmp_path):
    ok, reason = backends.framework_status("jax")
    if not ok:
        pytest.skip(reason)
    run = quartet(*small_bench(tmp_path, "numpy,jax", "float64", "planar,course_logistic", "--modes", "eager,compiled"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        folders = list(tmp_path.glob("bench-*"))
        if folders and len(units(folders[0])) >= 1:  # a unit is a workload: its rows, timed in rounds
            break
        time.sleep(0.05)
    assert run.poll() is None, f"the run ended before it could be interrupted:\n{run.stdout.read()}"
    run.send_signal(signal.SIGTERM)
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 143, output
    (folder,) = tmp_path.glob("bench-*")
    assert "interrupted (SIGTERM)" in output and f"--resume {folder}" in " ".join(output.split())

    state = json.loads((folder / checkpoint.FILE).read_text())
    assert not state["complete"] and checkpoint.status(folder) == {"complete": False, "units": len(state["units"])}
    kept = pd.read_csv(folder / "bench.csv")
    finished = sum(len(rows) for rows in state["units"].values())
    assert len(kept) == finished >= 6  # every finished row is in the written table
    assert "Incomplete run" in (folder / "bench.md").read_text()
    assert json.loads((folder / "bench.json").read_text())["complete"] is False
    from conformance.report import html as html_report

    assert "Incomplete run" in html_report.bench_section(folder, tmp_path)  # quartet report says so too

    resumed = quartet("bench", "--resume", str(folder))
    output = resumed.communicate(timeout=240)[0]
    assert resumed.returncode == 0, output
    assert "resuming" in output and "probing" not in output
    final = pd.read_csv(folder / "bench.csv")
    # numpy eager, jax eager and compiled, jax's compiled loop, each library's products alone and jax's products
    # inside a compiled loop, on 2 workloads
    assert len(final) == 14 and (final["status"] == "ok").all(), final[["workload", "backend", "mode", "status"]]
    assert checkpoint.status(folder)["complete"] and "Incomplete" not in (folder / "bench.md").read_text()
    assert "Incomplete run" not in html_report.bench_section(folder, tmp_path)
    key = ["workload", "backend", "mode", "dtype"]
    before = kept.set_index(key)["median_s"]
    after = final.set_index(key)["median_s"].loc[before.index]
    pd.testing.assert_series_equal(before, after)  # the finished rows were kept, not measured again


def test_resume_names_what_it_cannot_resume(tmp_path):
    with pytest.raises(ValueError, match=r"no progress\.json there"):
        checkpoint.Checkpoint.resume(tmp_path, "bench")
    run = checkpoint.Checkpoint(tmp_path, "check", {"quick": True})
    run.add("a", [{"x": 1.0}])
    with pytest.raises(ValueError, match="holds a quartet check run, not quartet bench"):
        checkpoint.Checkpoint.resume(tmp_path, "bench")
    again = checkpoint.Checkpoint.resume(tmp_path, "check")
    assert again.rows() == [{"x": 1.0}] and again.done("a") and not again.done("b")
    again.save(complete=True)
    with pytest.raises(ValueError, match="already complete"):
        checkpoint.Checkpoint.resume(tmp_path, "check")


def test_checkpoint_file_is_replaced_atomically(tmp_path):
    """The file is whole after every add: a reader never sees a partial JSON document."""
    run = checkpoint.Checkpoint(tmp_path, "bench", {})
    for i in range(20):
        run.add(str(i), [{"i": i, "row": "x" * 1000}])
        assert len(json.loads((tmp_path / checkpoint.FILE).read_text())["units"]) == i + 1
    assert [p.name for p in tmp_path.iterdir()] == [checkpoint.FILE]  # no temporary file left behind


def wait_for_a_signal(seconds: float = 5) -> None:
    """A signal the kernel handed to another thread reaches Python's handler a moment later: give it time
    inside the block that expects it, rather than let it land after the block has ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.001)


def test_a_signal_while_saving_stops_the_run_after_the_file_is_whole(tmp_path, monkeypatch):
    """SIGTERM that lands during a save is held until the rename, then stops the run like any other."""
    from conformance.run import files

    rename = os.replace

    def replace_while_signalled(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives between the write and the rename
        rename(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_while_signalled)
    with pytest.raises(checkpoint.Terminated), checkpoint.interruptible():
        files.write_atomically(tmp_path / "a.json", b"whole")
        wait_for_a_signal()
    assert (tmp_path / "a.json").read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_signals_during_saves_with_framework_threads_running_lose_no_file(tmp_path, monkeypatch, request):
    """With the frameworks' own threads started (the kernel may hand a process's signal to any of them), 300
    saves each get a SIGTERM or SIGINT between the write and the rename: every file is whole and every save is
    followed by the stop the signal asked for."""
    from conformance.run import files

    started = [framework for framework in ("torch", "jax") if backends.framework_status(framework)[0]]
    assert started, "neither torch nor jax is installed: nothing starts threads of its own"
    for framework in started:
        start_threads = __import__(framework).numpy if framework == "jax" else __import__(framework)
        (start_threads.ones((256, 256)) @ start_threads.ones((256, 256))).sum()
    assert len(os.listdir("/proc/self/task")) > 1  # the frameworks' threads, beside Python's main one

    rename, sent = os.replace, []

    def replace_while_signalled(src, dst):
        os.kill(os.getpid(), sent[-1])  # arrives between the write and the rename
        deadline = time.monotonic() + 0.002  # which comes a moment later, as on a loaded machine
        while time.monotonic() < deadline:
            pass
        rename(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_while_signalled)
    # a suite started in the background by a shell without job control inherits Ctrl-C ignored: here it must
    # arrive, as in a terminal
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        request.addfinalizer(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    stopped = 0
    for i in range(300):
        sent.append(signal.SIGTERM if i % 2 else signal.SIGINT)
        path = tmp_path / f"{i}.json"
        try:
            with checkpoint.interruptible():
                files.write_atomically(path, b"whole")
                wait_for_a_signal()
        except KeyboardInterrupt as stop:  # Terminated is one
            stopped += isinstance(stop, checkpoint.Terminated) == (sent[-1] == signal.SIGTERM)
        assert path.read_bytes() == b"whole", f"save {i} lost its file"
    assert stopped == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{i}.json" for i in range(300))


def test_an_interrupt_just_after_the_rename_is_the_interrupt_not_a_missing_file(tmp_path, monkeypatch):
    """An exception raised after the rename (a signal whose handler ran late) propagates as itself."""
    from conformance.run import files

    rename = os.replace

    def replace_then_interrupt(src, dst):
        rename(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(tmp_path / "a.json", b"whole")
    assert (tmp_path / "a.json").read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception, as intended
def test_a_signal_swallowed_in_a_garbage_collector_callback_still_stops_the_run(tmp_path):
    """Python prints and drops an exception raised in a gc callback (JAX installs one): a SIGTERM whose
    handler runs there stops the run after the unit at work, that unit's rows kept, not at the run's end."""
    import gc
    import io

    from rich.console import Console

    from conformance.run.runner import Runner, Unit

    def collect_while_signalled() -> list[dict]:
        def callback(phase, info):
            if phase == "start":
                os.kill(os.getpid(), signal.SIGTERM)
                wait_for_a_signal(1)  # the handler runs here, inside the callback, and its exception is dropped

        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
        return [{"unit": 1}]

    runner = Runner.start(tmp_path, "bench", {}, Console(file=io.StringIO()))
    units = [Unit("one", "one", collect_while_signalled), Unit("two", "two", lambda: [{"unit": 2}])]
    runner.run("bench", units)
    assert isinstance(runner.interrupted, checkpoint.Terminated)
    assert runner.rows() == [{"unit": 1}] and runner.finish() == 143
