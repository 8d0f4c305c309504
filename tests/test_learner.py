"""`quartet check FILE`: a learner's own notebook, checked function by function against the reference.

tests/learners/ holds one finished notebook per assignment, written as a learner writes them (the course's
idioms: np.dot, loops over l, copy.deepcopy), in the percent format. Each slip below is one edit of one of them,
of the kinds learners make (shapes, axes, factors, signs, thresholds, caches, the order of a loop), and the
check must name the function it is in first."""

import json
from pathlib import Path

import pytest

from conformance import cli
from conformance.learner import check_file
from conformance.learner.source import SourceError, read

LEARNERS = Path(__file__).parent / "learners"
FILES = {
    "deep": "deep_step_by_step.py",
    "logistic": "logistic_regression.py",
    "planar": "planar_data.py",
    "deep_application": "deep_application.py",
}

# (assignment, the function the slip is in, the line as the learner wrote it, the line with the slip)
SLIPS = [
    ("deep", "linear_forward", "Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),
    ("deep", "linear_forward", "cache = (A, W, b)", "cache = (W, A, b)"),
    ("deep", "linear_activation_forward", "A, activation_cache = sigmoid(Z)", "A, activation_cache = relu(Z)"),
    (
        "deep",
        "L_model_forward",
        "    for l in range(1, L):\n        A_prev = A",
        "    for l in range(1, L - 1):\n        A_prev = A",
    ),
    ("deep", "L_model_forward", "parameters['b' + str(L)], \"sigmoid\")", "parameters['b' + str(L)], \"relu\")"),
    ("deep", "compute_cost", "cost = -1 / m * np.sum(", "cost = 1 / m * np.sum("),
    ("deep", "compute_cost", "cost = np.squeeze(cost)", "cost = np.array(cost).reshape(1, 1)"),
    ("deep", "linear_backward", "dW = 1 / m * np.dot(dZ, A_prev.T)", "dW = np.dot(dZ, A_prev.T)"),
    ("deep", "linear_backward", "np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=0, keepdims=True)"),
    ("deep", "linear_backward", "np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=1)"),
    ("deep", "linear_backward", "dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W.T, dZ) / m"),
    (
        "deep",
        "linear_activation_backward",
        "dZ = relu_backward(dA, activation_cache)",
        "dZ = sigmoid_backward(dA, activation_cache)",
    ),
    ("deep", "L_model_backward", "dAL = - (np.divide(Y, AL)", "dAL = (np.divide(Y, AL)"),
    ("deep", "L_model_backward", '(dAL, current_cache, "sigmoid")', '(dAL, current_cache, "relu")'),
    ("deep", "L_model_backward", 'grads["dA" + str(l + 1)], current_cache', 'grads["dA" + str(L - 1)], current_cache'),
    ("deep", "update_parameters", '] - learning_rate * grads["dW"', '] + learning_rate * grads["dW"'),
    ("deep", "update_parameters", 'learning_rate * grads["db" + str(l + 1)]', 'learning_rate * grads["db" + str(l)]'),
    ("deep", "initialize_parameters_deep", "layer_dims[l - 1]) * 0.01", "layer_dims[l - 1])"),
    (
        "deep",
        "initialize_parameters_deep",
        "np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01",
        "np.zeros((layer_dims[l], layer_dims[l - 1]))",
    ),
    ("deep", "initialize_parameters", "W1 = np.random.randn(n_h, n_x) * 0.01", "W1 = np.random.randn(n_x, n_h) * 0.01"),
    ("logistic", "sigmoid", "s = 1 / (1 + np.exp(-z))", "s = 1 / (1 + np.exp(z))"),
    ("logistic", "initialize_with_zeros", "b = 0.0", "b = 0"),
    ("logistic", "initialize_with_zeros", "w = np.zeros((dim, 1))", "w = np.zeros((1, dim))"),
    ("logistic", "propagate", "dw = 1 / m * np.dot(X, (A - Y).T)", "dw = 1 / m * np.dot((A - Y), X.T)"),
    ("logistic", "propagate", "db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)"),
    ("logistic", "propagate", "cost = -1 / m * np.sum(", "cost = -1 * np.sum("),
    ("logistic", "optimize", "b = b - learning_rate * db", "b = b + learning_rate * db"),
    (
        "logistic",
        "optimize",
        "        if i % 100 == 0:\n            costs.append(cost)",
        "        if i % 100 == 1:\n            costs.append(cost)",
    ),
    ("logistic", "predict", "if A[0, i] > 0.5:", "if A[0, i] >= 0.5:"),
    (
        "logistic",
        "model",
        "optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)",
        "optimize(w, b, X_train, Y_train, learning_rate, num_iterations, print_cost)",
    ),
    ("logistic", "model", "Y_prediction_test = predict(w, b, X_test)", "Y_prediction_test = predict(w, b, X_train)"),
    ("planar", "layer_sizes", "n_y = Y.shape[0]", "n_y = Y.shape[1]"),
    ("planar", "forward_propagation", "A1 = np.tanh(Z1)", "A1 = sigmoid(Z1)"),
    ("planar", "forward_propagation", "Z2 = np.dot(W2, A1) + b2", "Z2 = np.dot(W2, Z1) + b2"),
    ("planar", "compute_cost", "cost = - np.sum(logprobs) / m", "cost = - np.sum(logprobs)"),
    ("planar", "backward_propagation", "(1 - np.power(A1, 2))", "(1 - A1)"),
    ("planar", "backward_propagation", "dZ1 = np.dot(W2.T, dZ2)", "dZ1 = np.dot(W1.T, dZ2)"),
    ("planar", "update_parameters", 'learning_rate * grads["db2"]', 'learning_rate * grads["db1"]'),
    (
        "planar",
        "nn_model",
        "        parameters = update_parameters(parameters, grads)",
        "        update_parameters(parameters, grads)",
    ),
    ("planar", "nn_model", "n_y = layer_sizes(X, Y)[2]", "n_y = layer_sizes(X, Y)[1]"),
    ("planar", "predict", "predictions = A2 > 0.5", "predictions = A2 > 0.4"),
    (
        "deep_application",
        "two_layer_model",
        'linear_activation_backward(dA2, cache2, "sigmoid")',
        'linear_activation_backward(dA2, cache1, "sigmoid")',
    ),
    (
        "deep_application",
        "two_layer_model",
        '        W1 = parameters["W1"]\n        b1 = parameters["b1"]\n'
        '        W2 = parameters["W2"]\n        b2 = parameters["b2"]\n        if',
        "        if",
    ),
    (
        "deep_application",
        "L_layer_model",
        "AL, caches = L_model_forward(X, parameters)",
        "AL, caches = L_model_forward(X, initialize_parameters_deep(layers_dims))",
    ),
]


# written by a session that read only the finished notebooks and the reference (docs/learners.md measured them first)
HELD_OUT = json.loads((LEARNERS / "heldout_slips.json").read_text())
ASSIGNMENT_OF = {name: assignment for assignment, name in FILES.items()}


def slipped(tmp_path: Path, assignment: str, old: str, new: str) -> Path:
    text = (LEARNERS / FILES[assignment]).read_text()
    assert text.count(old) == 1, f"{old!r} is not one line of {FILES[assignment]}"
    path = tmp_path / FILES[assignment]
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("assignment", FILES)
def test_a_finished_notebook_is_green(assignment):
    result = check_file(LEARNERS / FILES[assignment])
    assert result.assignment == assignment and result.exit_status == 0, result.rows
    assert {r["status"] for r in result.rows} <= {"green", "provided"}
    assert any("not run" in n for n in result.notes)  # its training and plotting cells were left out, and said so


@pytest.mark.parametrize(
    ("assignment", "function", "old", "new"), SLIPS, ids=[f"{s[1]}-{i}" for i, s in enumerate(SLIPS)]
)
def test_a_slip_is_named_first(tmp_path, assignment, function, old, new):
    result = check_file(slipped(tmp_path, assignment, old, new))
    assert result.exit_status == 1, result.rows
    first = result.suspects()[0]
    assert first["function"] == function, (first, result.suspects()[1:])
    assert not first["follows_from"] and first["detail"]
    # every other failing function follows from another's failure: a slip is blamed on one function
    assert all(s["follows_from"] for s in result.suspects()[1:]), result.suspects()


@pytest.mark.parametrize("slip", HELD_OUT, ids=[f"{s['function']}-{i}" for i, s in enumerate(HELD_OUT)])
def test_a_held_out_slip_is_named_first(tmp_path, slip):
    result = check_file(slipped(tmp_path, ASSIGNMENT_OF[slip["file"]], slip["old"], slip["new"]))
    assert result.exit_status == 1 and result.suspects()[0]["function"] == slip["function"], result.suspects()


def test_a_half_done_notebook_says_what_is_not_written_yet(tmp_path):
    """The course's skeleton left in linear_backward (its `= None` placeholders) and update_parameters (`pass`):
    those are not written yet, the functions that call them not checked yet, the rest green; exit 3."""
    path = slipped(
        tmp_path,
        "deep",
        "    dW = 1 / m * np.dot(dZ, A_prev.T)\n    db = 1 / m * np.sum(dZ, axis=1, "
        "keepdims=True)\n    dA_prev = np.dot(W.T, dZ)",
        "    dW = None\n    db = None\n    dA_prev = None",
    )
    text = path.read_text()
    start = text.index("    parameters = params.copy()")
    path.write_text(text[:start] + "    # YOUR CODE STARTS HERE\n    pass\n" + text[text.index("# %%", start) :])
    result = check_file(path)
    status = {r["function"]: r["status"] for r in result.rows}
    assert status["linear_backward"] == status["update_parameters"] == "not written yet"
    assert status["linear_activation_backward"] == status["L_model_backward"] == "not checked yet"
    assert status["L_model_forward"] == status["compute_cost"] == "green"
    assert "`dW = None`" in next(r["detail"] for r in result.rows if r["function"] == "linear_backward")
    assert result.exit_status == 3 and result.suspects() == []


def test_a_loop_that_never_ends_is_named_and_the_rest_checked(tmp_path):
    path = slipped(
        tmp_path,
        "deep",
        "    Z = np.dot(W, A) + b\n",
        "    Z = np.dot(W, A) + b\n    while Z.size:\n        Z = Z + 0\n",
    )
    result = check_file(path, per_call_s=0.5)
    first = result.suspects()[0]
    assert first["function"] == "linear_forward" and first["status"] == "raised"
    assert "did not return within 0.5 s" in first["detail"] and "cell 5, line" in first["detail"], first
    assert {r["function"]: r["status"] for r in result.rows}["compute_cost"] == "green"


def test_learner_code_that_ends_the_process_is_reported_against_its_function(tmp_path):
    path = slipped(
        tmp_path,
        "deep",
        "    m = Y.shape[1]\n    cost =",
        "    import os\n    os._exit(4)\n    m = Y.shape[1]\n    cost =",
    )
    result = check_file(path)
    assert result.exit_status == 1
    (first,) = result.suspects()
    assert (
        first["function"] == "compute_cost" and "exited with status 4 while compute_cost was running" in first["detail"]
    )


def test_a_syntax_error_names_its_cell_and_line(tmp_path):
    path = slipped(tmp_path, "logistic", "def propagate(w, b, X, Y):", "def propagate(w, b, X, Y)")
    result = check_file(path)
    assert result.exit_status == 2 and "syntax error in cell 6, line 1" in result.error, result.error


def test_a_file_of_no_assignment_is_unusable_input(tmp_path):
    path = tmp_path / "other.py"
    path.write_text("def train(x):\n    return x\n")
    result = check_file(path)
    assert result.exit_status == 2 and "defines none of the course's assignment functions" in result.error
    assert "it defines train" in result.error
    (tmp_path / "other.txt").write_text("")
    with pytest.raises(SourceError, match=r"a \.ipynb or a \.py, not \.txt"):
        read(tmp_path / "other.txt")


def test_a_jupyter_notebook_is_read_cell_by_cell(tmp_path):
    """The same learner's code as a .ipynb (source as lists of lines, markdown cells between): the same verdicts."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Step by step"]}]
    for cell in (LEARNERS / FILES["deep"]).read_text().split("# %%\n")[1:]:
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": cell.splitlines(keepends=True),
            }
        )
    path = tmp_path / "Building_your_Deep_Neural_Network_Step_by_Step.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    result = check_file(path)
    assert result.exit_status == 0 and result.assignment == "deep"
    wrong = path.read_text().replace("Z = np.dot(W, A) + b", "Z = np.dot(W, A)")
    path.write_text(wrong)
    result = check_file(path)
    assert result.suspects()[0]["function"] == "linear_forward"
    assert result.suspects()[0]["where"] == [f"{path.name} cell 5"]  # the 5th code cell: markdown is not counted


def test_a_kernels_cells_are_checked_as_a_file_is():
    """quartet.check_notebook() in a notebook reads the kernel's `In`: check_cells is that path."""
    from conformance.learner import check_cells

    cells = (LEARNERS / FILES["planar"]).read_text().split("# %%\n")[1:]
    cells[4] = cells[4].replace("A1 = np.tanh(Z1)", "A1 = np.maximum(Z1, 0)")
    result = check_cells(cells)
    assert result.path == "this notebook" and result.suspects()[0]["function"] == "forward_propagation"


def test_the_command_writes_the_checks_files_and_exit_status(tmp_path, capsys):
    path = slipped(tmp_path, "logistic", "db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)")
    assert cli.main(["check", str(path), "--out", str(tmp_path / "out")]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "look at first: propagate (logistic_regression.py cell 6)" in out
    (folder,) = (tmp_path / "out").glob("check-*")
    suspects = json.loads((folder / "suspects.json").read_text())
    assert suspects[0]["function"] == "propagate" and set(suspects[0]) >= {
        "function",
        "status",
        "detail",
        "follows_from",
        "where",
    }
    page = (folder / "conformance.md").read_text()
    assert "| propagate | cell 6 | WRONG | grads['db'] is 3 times the course's: the 1/m (m = 3) is left out" in page
    assert cli.main(["check", str(LEARNERS / FILES["planar"]), "--out", str(tmp_path / "out")]) == 0


def test_check_notebook_in_a_running_kernel_reads_the_cells_it_ran():
    """A learner's last cell, `quartet.check_notebook()`, in a real kernel: the cells the kernel ran are checked."""
    import importlib.util

    missing = [m for m in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    import nbclient
    import nbformat

    cells = (LEARNERS / FILES["logistic"]).read_text().split("# %%\n")[1:]
    code = [c for c in cells if c.lstrip().startswith(("import", "def"))]  # the imports and the definitions
    code[0] = "\n".join(
        line
        for line in code[0].splitlines()
        if "lr_utils" not in line and "public_tests" not in line and "%" not in line and "PIL" not in line
    )
    code = [c.replace("db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)") for c in code]
    last = (
        "import quartet\nresult = quartet.check_notebook(show=False)\nprint('EXIT', result.exit_status, "
        "result.suspects()[0]['function'])"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [*code, last]])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "EXIT 1 propagate" in printed, notebook.cells[-1].outputs
