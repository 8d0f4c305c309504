"""The notebooks (notebooks/*.py, jupytext's percent format: they diff and review like code), executed: each
cell in a fresh kernel, stopping at the first cell that raises. The test suite runs each once with
QUARTET_NOTEBOOK_QUICK=1 (fewer iterations, the same cells); `make notebooks` runs them in full and writes the
executed copies, plots inline, to docs/notebooks/ (linked from the README and the report).

    python -m conformance.report.notebooks [--quick] [--out docs/notebooks] [NAME ...]
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

from .. import ROOT

FOLDER = ROOT / "notebooks"
# what TensorFlow and XLA write to the process's stderr from C++ before any log level applies (absl's start-up
# lines, oneDNN's notice, the CPU-feature guard): no variable silences them, so the executed copies drop them
FRAMEWORK_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ (port|cpu_feature_guard)\.cc:\d+\] .*"
    r"|To enable the following instructions: .*)$"
)  # only these start-up lines: any other line of TensorFlow's or XLA's, a real warning or error, stays
NEEDS_DATA = ("1_logistic_regression", "4_deep_network_application")  # the course's cat / non-cat images


def notebooks() -> list[Path]:
    return sorted(FOLDER.glob("[0-9]_*.py"))


def execute(path: Path, quick: bool = False, data_dir: str | os.PathLike | None = None, timeout: int = 900):
    """The notebook at `path`, executed (nbformat's NotebookNode with its outputs); raises nbclient's
    CellExecutionError, naming the cell, at the first cell that raises."""
    import jupytext
    import nbclient

    notebook = jupytext.read(path)
    env = {"QUARTET_NOTEBOOK_QUICK": "1" if quick else "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if data_dir is not None:
        env["QUARTET_DATA_DIR"] = str(data_dir)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = nbclient.NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return quiet(notebook)


def quiet(notebook):
    """The notebook without the frameworks' C++ start-up lines in its stderr outputs (FRAMEWORK_NOISE); an
    output left empty goes. Everything else a cell printed, warnings of Python's included, stays."""
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = "".join(
                    line
                    for line in output["text"].splitlines(keepends=True)
                    if not FRAMEWORK_NOISE.match(line.rstrip("\n"))
                )
                if not text:
                    continue
                output["text"] = text
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report.notebooks", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="some of the notebooks (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, as the tests run them")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "notebooks", help="where the .ipynb go")
    parser.add_argument("--data-dir", default=None, help="the course's *_catvnoncat.h5 (default: as the notebooks)")
    args = parser.parse_args(argv)
    import nbformat

    chosen = [p for p in notebooks() if not args.names or p.stem in args.names]
    args.out.mkdir(parents=True, exist_ok=True)
    for path in chosen:
        start = time.perf_counter()
        executed = execute(path, args.quick, args.data_dir)
        target = args.out / f"{path.stem}.ipynb"
        nbformat.write(executed, target)
        shown = target.relative_to(ROOT) if target.resolve().is_relative_to(ROOT) else target
        print(f"{path.name}: {time.perf_counter() - start:.0f} s -> {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
