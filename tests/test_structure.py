"""The harness's structure: every subcommand answers --help, imports go one way (command line -> report ->
check / bench / parallel -> engine -> implementations), and the one runner keeps, resumes and marks
resumable work the same way for every command."""

import ast
import io
import json
import signal
from pathlib import Path

import pytest
from rich.console import Console

from conformance import cli
from conformance.run import checkpoint
from conformance.run.runner import Runner, Unit

ROOT = Path(__file__).resolve().parents[1]
IMPLEMENTATIONS = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf")


@pytest.mark.parametrize("command", [c.__name__.rsplit(".", 1)[1].replace("_", "-") for c in cli.COMMANDS])
def test_every_subcommand_answers_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: quartet {command}") and "--help" in out


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` (the text of `module`) imports, anywhere in it (inside functions too), absolute."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            found.add(stem)
            found |= {f"{stem}.{alias.name}" for alias in node.names}  # `from . import compare` names a module
    return found


def _layer(module: str) -> int:
    """0 the implementations, 1 the engine, 2 check / bench / parallel, 3 report, 4 the command line."""
    if module.split(".")[0] in IMPLEMENTATIONS:
        return 0
    parts = module.split(".")
    if parts[0] != "conformance":
        return -1  # a library
    if len(parts) == 1:
        return 1
    return {"check": 2, "bench": 2, "parallel": 2, "report": 3, "cli": 4, "__main__": 4}.get(parts[1], 1)


def test_imports_go_one_way_down_the_layers():
    upward = []
    for package in ("conformance", *IMPLEMENTATIONS):
        for path in sorted((ROOT / package).rglob("*.py")):
            here = _layer(_module_name(path))
            for target in _imports(path.read_text(), _module_name(path), path.name == "__init__.py"):
                if _layer(target) > here or (here == 0 and target.startswith("conformance")):
                    upward.append(f"{_module_name(path)} imports {target}")
    assert not upward, "imports that climb a layer:\n" + "\n".join(sorted(set(upward)))


def test_the_layer_check_sees_an_upward_import():
    """The check above must be able to fail: the engine importing the command line, or bench importing report."""
    found = _imports("from .cli import main\nfrom . import compare\n", "conformance.spec")
    assert {"conformance.cli", "conformance.compare"} <= found
    assert _layer("conformance.cli") > _layer("conformance.spec")
    found = _imports("from ..report.check import write_check\n", "conformance.bench.run")
    assert "conformance.report.check" in found and _layer("conformance.report.check") > _layer("conformance.bench.run")


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
