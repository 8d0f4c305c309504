"""The notebooks run: each executed once, in a fresh kernel, with fewer iterations (QUARTET_NOTEBOOK_QUICK=1)
and the same cells; a cell that raises fails the test, naming the cell. Two need the course's cat images."""

import importlib.util

import pytest

from conformance.report import notebooks

NAMES = [path.stem for path in notebooks.notebooks()]


def test_the_four_assignments_have_notebooks():
    assert NAMES == ["1_logistic_regression", "2_planar_data", "3_deep_network_step_by_step",
                     "4_deep_network_application"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs(name, request):
    missing = [m for m in ("jupytext", "nbclient", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (pip install quartet-nndl[notebooks])")
    data_dir = request.getfixturevalue("cat_data_dir") if name in notebooks.NEEDS_DATA else None
    executed = notebooks.execute(notebooks.FOLDER / f"{name}.py", quick=True, data_dir=data_dir)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code)  # every cell ran
    images = sum("image/png" in output.get("data", {}) for cell in code for output in cell.get("outputs", []))
    assert images >= 1  # the plots are inline
