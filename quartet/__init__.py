"""quartet's Python API, where a notebook or a port's CI imports it (the command line is `quartet --help`,
the code's layout conformance/README.md):

    import quartet
    result = quartet.check(["numpy", "myport"], quick=True)     # the conformance check, in this process
    result.passed, result.frame, result.functions, quartet.suspects(result)
    frame, meta = quartet.bench(quartet.BenchSettings(backends=["numpy", "jax"], quick=True))
    backend = quartet.load_backend("jax", quartet.ModelSpec("deep", (8, 7, 6, 1)), "eager", "float32")
    quartet.registry.NAMES                                       # every backend installed here
    quartet.verdicts(["torch", "jax"], ["propagate", "optimize"])   # each course function's verdict, a table
    quartet.show_code("L_model_forward", ["numpy", "torch"])         # side by side, in a notebook
    quartet.check_notebook()   # in a learner's notebook, its last cell: the course functions it defines, checked

The distribution is quartet-nndl, not on the package index yet (`python -m pip install -e '.[torch]'` from a
checkout); "quartet" on the package index is an unrelated library.
"""

from dataclasses import asdict
from pathlib import Path

import pandas as pd
from rich.console import Console

from conformance.bench import threads
from conformance.bench.run import BenchSettings
from conformance.bench.run import run as run_bench
from conformance.check import CheckSettings
from conformance.check import plan as plan_check
from conformance.check import result as check_result
from conformance.check.functions import check_functions
from conformance.check.matrix import MatrixResult
from conformance.check.suspects import of_run as ranked
from conformance.cli.learner import show as show_learner
from conformance.core import registry
from conformance.core.backends import load_backend
from conformance.core.registry import DISTRIBUTION, DTYPES, MODE_NAMES
from conformance.core.spec import ModelSpec
from conformance.learner import LearnerResult, check_cells, check_file
from conformance.report import html
from conformance.run.runner import Runner

LOGISTIC_ONLY = ("propagate", "optimize", "model")  # named alone, these are logistic regression's (FUNCTIONS' keys)

__all__ = [
    "DISTRIBUTION",
    "BenchSettings",
    "CheckSettings",
    "ModelSpec",
    "bench",
    "check",
    "check_notebook",
    "load_backend",
    "registry",
    "show_code",
    "suspects",
    "verdicts",
]


def check(
    backends: list[str] | None = None,
    modes: list[str] | None = None,
    dtypes: list[str] | None = None,
    device: str = "cpu",
    quick: bool = False,
) -> MatrixResult:
    """`quartet check` in this process, without a results folder: each course function of every backend on
    its own, then the matrix. result.passed, result.frame (every comparison), result.functions (each
    function's verdict), result.raised (what a backend raised), result.skipped (what cannot run here)."""
    settings = CheckSettings(
        list(backends or registry.NAMES), list(modes or MODE_NAMES), list(dtypes or DTYPES), device, quick
    )
    plan = plan_check(settings)
    rows = [row for unit in plan.units for row in (unit.work() or [])]
    return check_result(rows, plan.skipped)


def check_notebook(path: str | Path | None = None, show: bool = True) -> LearnerResult:
    """`quartet check FILE` for a learner's notebook, from inside it: with no path, the cells this kernel has
    run, in order (IPython's `In`), so the last cell of a notebook can check the functions above it. Prints
    the same table (show=False: not); result.exit_status is the command's (0 right, 1 wrong, 3 not written
    yet, 2 not checkable), result.suspects() what suspects.json would hold."""
    if path is not None:
        result = check_file(path)
    else:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("check_notebook() with no path reads the running notebook's cells: give a path here")
        result = check_cells(list(shell.user_ns.get("In", [])[1:-1]), "this notebook")  # [-1]: this very cell
    if show:
        show_learner(result)
    return result


def suspects(result: MatrixResult) -> list[dict]:
    """The functions to look at first, in the order `quartet check` prints them (never none when it failed)."""
    return ranked(result.functions, result.frame, result.raised, result.judge)


def bench(settings: BenchSettings, out: str | Path = "results") -> tuple:
    """`quartet bench` with these settings: (the frame of every row, the run's metadata), its files in
    OUT/bench-<time>/. Threads are limited first, which holds only for frameworks not yet imported; the caller's
    process gets its own threads and cores back when the run ends."""
    with threads.threads_kept():
        threads.limit_threads(settings.threads)
        runner = Runner.start(Path(out), "bench", asdict(settings), Console())
        frame, meta = run_bench(settings, runner)
        runner.finish()
    return frame, meta


def verdicts(
    backends: list[str], functions: list[str] | None = None, mode: str = "eager", dtype: str = "float64"
) -> pd.DataFrame:
    """Each course function's verdict (green, wrong, not written yet, raised) per backend, as `quartet check`
    judges it (conformance/check/functions.py): one row per function (those named, e.g. "propagate" or
    "logistic.optimize", or all), one column per backend."""
    keys = None if functions is None else tuple(f"logistic.{f}" if f in LOGISTIC_ONLY else f for f in functions)
    frame = pd.DataFrame([row for name in backends for row in check_functions(name, mode, dtype, "cpu", keys)])
    table = frame.pivot_table(index="function", columns="backend", values="status", aggfunc="first", sort=False)
    return table.reindex(columns=[b for b in backends if b in table.columns])


def show_code(name: str, backends: list[str] | None = None):
    """A concept or any function of the course, side by side in columns (a notebook displays the object)."""
    from IPython.display import HTML
    from pygments.formatters import HtmlFormatter

    style = html.CSS.replace("body {", ".quartet-none {") + HtmlFormatter().get_style_defs(".highlight")
    return HTML(f"<style>{style}</style>{html.code_panes(name, backends)}")
