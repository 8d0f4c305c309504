"""The one runner (conformance/run/runner.py) keeps, resumes and marks resumable work the same way for every
command: every finished unit kept, the rest run on --resume, SIGTERM an exit status of its own."""

import io
import json
import signal

import pytest
from rich.console import Console

from conformance.cli import build_parser
from conformance.run import checkpoint
from conformance.run.child import Child
from conformance.run.runner import Runner, Unit


def _units(log: list[str], stop_at: str | None = None) -> list[Unit]:
    def work(key: str):
        if key == stop_at:
            raise KeyboardInterrupt
        log.append(key)
        return None if key == "skipped" else [{"unit": key}]

    return [Unit(key, f"working on {key}", lambda key=key: work(key)) for key in ("a", "skipped", "b", "c")]


def test_the_runner_keeps_every_finished_unit_and_resumes_with_the_rest(tmp_path):
    shown = io.StringIO()
    out = Console(file=shown, width=200)
    runner = Runner.start(tmp_path, "check", {"quick": True}, out)
    log: list[str] = []
    runner.run("work", _units(log, stop_at="b"))
    assert log == ["a", "skipped"] and not runner.complete
    assert "Incomplete run" in runner.incomplete_note() and str(runner.folder) in runner.incomplete_note()
    assert runner.finish() == 130
    state = json.loads((runner.folder / checkpoint.FILE).read_text())
    assert list(state["units"]) == ["a"] and state["complete"] is False  # a unit that kept nothing is not done

    again = Runner.resume(runner.folder, "check", out)
    assert again.settings == {"quick": True} and again.resumed
    again.run("work", _units(log))
    assert log == ["a", "skipped", "skipped", "b", "c"]  # "a" is not run twice
    assert again.finish() is None and again.incomplete_note() == ""
    assert [r["unit"] for r in again.rows()] == ["a", "b", "c"]
    assert checkpoint.status(runner.folder) == {"complete": True, "units": 3}
    shown = shown.getvalue()
    assert "work: interrupted" in shown and "work: done" in shown and "cost" not in shown
    assert f"quartet check --resume {runner.folder}" in shown


def test_the_runner_turns_sigterm_into_exit_status_143(tmp_path):
    runner = Runner.start(tmp_path, "bench", {}, Console(file=io.StringIO()))

    def terminate():
        signal.raise_signal(signal.SIGTERM)

    runner.run("work", [Unit("a", "a", lambda: [{"x": 1}]), Unit("b", "b", terminate), Unit("c", "c", lambda: [])])
    assert runner.finish() == 143 and list(json.loads((runner.folder / checkpoint.FILE).read_text())["units"]) == ["a"]
    assert signal.getsignal(signal.SIGTERM) is not None  # the runner put the previous handler back


def test_every_child_command_line_parses_back_to_what_the_parent_meant(tmp_path):
    """The flags a parent passes (run.child.Child.argv) are the flags the child's parser reads."""
    parser = build_parser()
    for child in (
        Child("check", resume=tmp_path, shard=(2, 3)),
        Child("bench", resume=tmp_path, shard=(0, 1), process=4),
        Child("check", quick=True, modes=("eager", "compiled"), backends=("numpy", "jax"), out=tmp_path / "r"),
        Child("check", backends=("numpy", "mlx"), functions=("relu", "logistic.model"), no_cache=True),
    ):
        argv = child.argv()
        assert argv[1:3] == ["-m", "conformance"]
        args = parser.parse_args(argv[3:])
        assert args.command == child.command
        assert args.resume == child.resume and args.shard == child.shard
        if child.process is not None:
            assert args.process == child.process
        if child.modes:
            assert (args.quick, args.modes, args.backends) == (True, "eager,compiled", "numpy,jax")
            assert args.out == child.out
        if child.functions:
            assert (args.function, args.no_cache, args.backends) == ("relu,logistic.model", True, "numpy,mlx")


def test_a_bad_shard_is_named():
    for spec in ("2", "3/3", "a/b"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["check", "--shard", spec])
