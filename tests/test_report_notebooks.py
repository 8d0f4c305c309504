"""The notebooks run: each executed once, in a fresh kernel, with fewer iterations (QUARTET_NOTEBOOK_QUICK=1)
and the same cells; a cell that raises fails the test, naming the cell. Two need the course's cat images."""

import importlib.util

import pytest

from conformance.report import notebooks

NAMES = [path.stem for path in notebooks.notebooks()]


def test_the_four_assignments_have_notebooks():
    assert NAMES == [
        "1_logistic_regression",
        "2_planar_data",
        "3_deep_network_step_by_step",
        "4_deep_network_application",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs(name, request):
    missing = [m for m in ("jupytext", "nbclient", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (python -m pip install -e '.[notebooks]' from the checkout)")
    data_dir = request.getfixturevalue("cat_data_dir") if name in notebooks.NEEDS_DATA else None
    executed = notebooks.execute(notebooks.FOLDER / f"{name}.py", quick=True, data_dir=data_dir)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code)  # every cell ran
    images = sum("image/png" in output.get("data", {}) for cell in code for output in cell.get("outputs", []))
    assert images >= 1  # the plots are inline
    printed = [o.get("text", "") for cell in code for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
    assert not [line for text in printed for line in text.splitlines() if notebooks.FRAMEWORK_NOISE.match(line)]


@pytest.mark.parametrize("name", NAMES)
def test_the_executed_copy_carries_no_framework_start_up_lines(name):
    """TensorFlow's C++ start-up lines (absl's notice, oneDNN's) reached every executed copy's first cell; no log
    level silences them, so execute() drops them from the outputs."""
    copy = notebooks.ROOT / "docs" / "notebooks" / f"{name}.ipynb"
    assert copy.is_file(), f"no executed copy of {name}: run make notebooks"
    text = copy.read_text()
    assert "absl::InitializeLog" not in text and "oneDNN custom operations" not in text
    assert notebooks.FRAMEWORK_NOISE.match("I0000 00:00:17.5   20110 port.cc:153] oneDNN custom operations are on.")
    assert not notebooks.FRAMEWORK_NOISE.match("E0000 00:00:17.5   20110 cpu_aot_loader.cc:220] Loading XLA:CPU")


@pytest.mark.parametrize("name", NAMES)
def test_the_executed_copy_is_of_the_notebook_as_it_is(name):
    """docs/notebooks/NAME.ipynb (make notebooks) holds the outputs of exactly these cells: a notebook edited
    since fails here, naming the command that writes the copy again."""
    if importlib.util.find_spec("jupytext") is None:
        pytest.skip("jupytext not installed (python -m pip install -e '.[notebooks]' from the checkout)")
    import jupytext
    import nbformat

    copy = notebooks.ROOT / "docs" / "notebooks" / f"{name}.ipynb"
    assert copy.is_file(), f"no executed copy of {name}: run make notebooks"
    cells = lambda nb: [c.source for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    executed = nbformat.read(copy, as_version=4)
    assert cells(executed) == cells(jupytext.read(notebooks.FOLDER / f"{name}.py")), (
        f"docs/notebooks/{name}.ipynb is of an earlier {name}.py: run make notebooks"
    )
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")
    assert str(notebooks.ROOT) not in copy.read_text(), "an output names this machine's paths"
