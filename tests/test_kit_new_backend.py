"""`quartet new-backend NAME`: a package of stubs that quartet finds by its entry point once installed;
filled in (here: a port that calls the NumPy reference, its backward written by hand), its own test
and `quartet check` pass with no edit to quartet."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.cli import new_backend

ROOT = Path(__file__).resolve().parents[1]

REF = "from reference_numpy import deep\n\n"
BODIES = {  # file -> function -> its body, filled in
    "arrays": {
        "resolve_device": 'if device != "cpu":\n    raise RuntimeError("port runs on the CPU only")\nreturn "cpu"',
        "from_numpy": "import numpy as np\n\nif dtype not in DTYPES:\n"
        '    raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")\n'
        "if isinstance(arrays, dict):\n"
        "    return {k: np.array(v, dtype=dtype) for k, v in arrays.items()}\n"
        "return np.array(arrays, dtype=dtype)",
        "to_numpy": "import numpy as np\n\nif isinstance(x, dict):\n    return {k: to_numpy(v) for k, v in x.items()}\n"
        "return float(x) if np.ndim(x) == 0 else np.asarray(x)",
        "sync": "return None",
    },
    "deep": {
        **{
            f: f"from reference_numpy import activations\n\nreturn activations.{f}(Z)[0]"
            for f in ("relu", "leaky_relu", "sigmoid", "tanh")
        },
        "linear_forward": "return W @ A_prev + b",
        "linear_activation_forward": "Z = linear_forward(A_prev, W, b)\n"
        "return ACTIVATIONS[activation](Z), ((A_prev, W, b), Z)",
        "L_model_forward": REF + "return deep.L_model_forward(X, parameters, hidden_activation)",
        "compute_cost": REF + "return deep.compute_cost(AL, Y)",
        "compute_cost_from_logits": REF + "return deep.compute_cost_from_logits(ZL, Y)",
        "L_model_grads": REF + "AL, caches = deep.L_model_forward(X, parameters, hidden_activation)\n"
        "grads = deep.L_model_backward(AL, Y, caches, hidden_activation)\n"
        "return grads, deep.compute_cost_from_logits(caches[-1][1], Y)",
        "update_parameters": REF + "return deep.update_parameters(parameters, grads, learning_rate)",
        "train_step": "grads, cost = L_model_grads(parameters, X, Y, hidden_activation)\n"
        "return update_parameters(parameters, grads, learning_rate), cost",
        "make_train_step": "return lambda p, X, Y, lr: train_step(p, X, Y, lr, hidden_activation)",
        "predict": REF + "return deep.predict(X, parameters, hidden_activation)",
        "L_layer_model": "costs = []\nfor i in range(num_iterations):\n"
        "    parameters, cost = train_step(parameters, X, Y, learning_rate, hidden_activation)\n"
        "    if i % record_every == 0:\n        costs.append(float(cost))\nreturn parameters, costs",
    },
    "logistic": {
        "propagate": "from reference_numpy import logistic\n\nreturn logistic.propagate(w, b, X, Y)",
        "train_step": "from reference_numpy import logistic\n\nreturn logistic.train_step(w, b, X, Y, learning_rate)",
        "make_train_step": "return train_step",
        "optimize": "from reference_numpy import logistic\n\n"
        "return logistic.optimize(w, b, X, Y, num_iterations, learning_rate, record_every=record_every)",
        "predict": "from reference_numpy import logistic\n\nreturn logistic.predict(w, b, X)",
        "model": "from reference_numpy import logistic\n\n"
        "return logistic.model(X_train, Y_train, X_test, Y_test, num_iterations, learning_rate)",
    },
}


def functions(path: Path) -> list[str]:
    return [n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)]


def test_the_stubs_follow_the_implementations_names_and_order(tmp_path):
    assert cli.main(["new-backend", "port", "--dir", str(tmp_path)]) == 0
    package = tmp_path / "port" / "quartet_port"
    for module in ("deep", "logistic"):
        ours = [f for f in functions(ROOT / "impl_jax" / f"{module}.py") if f != "make_train_loop" and f[0] != "_"]
        stubs = functions(package / f"{module}.py")
        assert [f for f in stubs if f in ours] == ours, module  # every function of impl_jax, in its order
        text = (package / f"{module}.py").read_text()
        assert text.count("raise NotImplementedError") == len(stubs)  # every body is to be filled in
        assert "(n[l], m)" in text if module == "deep" else "(n_x, 1)" in text  # with the course's shapes
    assert 'port = "quartet_port.backend:BACKEND"' in (tmp_path / "port" / "pyproject.toml").read_text()
    assert cli.main(["new-backend", "port", "--dir", str(tmp_path)]) == 2  # never overwrites
    assert cli.main(["new-backend", "jax", "--dir", str(tmp_path)]) == 2  # a built-in's name
    assert cli.main(["new-backend", "my-port", "--dir", str(tmp_path)]) == 2  # not an identifier


def port(tmp_path: Path, modules=tuple(BODIES)) -> dict:
    """A port with the bodies of `modules` filled in (the rest left as stubs), installed out of this environment
    (pip writes its entry point); the subprocess options that see it."""
    new_backend.write(tmp_path / "port", "port", "a NumPy port")
    package = tmp_path / "port" / "quartet_port"
    for module in modules:
        path = package / f"{module}.py"
        text = path.read_text()
        for name, body in BODIES[module].items():
            indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
            text, count = re.subn(rf'    raise NotImplementedError\("{name}"\)', lambda _, new=indented: new, text)
            assert count == 1, (module, name)
        path.write_text(text)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(tmp_path / "port"),
        ],
        check=True,
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "COLUMNS": "200",
    }  # the lines a test reads stay whole, whatever the terminal (or none)
    return {"env": env, "capture_output": True, "text": True}


@pytest.mark.slow
def test_a_half_written_port_gets_a_table_and_its_own_exit_status(tmp_path):
    """arrays.py and logistic.py filled in, deep.py all stubs: logistic regression is green function by function,
    deep.py's stubs are "not written yet", the rest of the run goes on, and no traceback: exit status 3."""
    run = port(tmp_path, ("arrays", "logistic"))
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "check",
            "--backends",
            "numpy,port",
            "--quick",
            "--dtypes",
            "float64",
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        **run,
    )
    out = check.stdout
    assert check.returncode == 3 and "Traceback" not in out + check.stderr, out[-3000:] + check.stderr[-3000:]
    assert "port: arrays: 4 of 4 green; logistic: 5 of 5 green; deep: 0 of 14 written, 0 green" in out, out[-3000:]
    assert "port: not written yet: relu, leaky_relu, tanh, sigmoid, linear_forward" in out
    assert "L_model_forward not written yet; it stopped forward" in out and "the rest of the run went on" in out
    assert " 0 failed" in out and "wrong (" not in out  # what it could compare (logistic regression's) is right
    # the cells measured on part of the cases say so, and the run's last lines say what is not written yet
    assert (
        "*: measured on part of the cases only" in out
        and "unfinished: 14 functions not written yet (relu first)" in out
    ), out[-3000:]
    suspects = json.loads(next((tmp_path / "results").glob("check-*/suspects.json")).read_text())
    assert suspects and suspects[0]["function"] == "relu" and suspects[0]["status"] == "not written yet", suspects
    # a wrong function of the written half: the matrix holds no row of it (what needs deep.py stopped), and
    # the count line says it beside the comparisons, not "0 failed" alone
    logistic = tmp_path / "site" / "quartet_port" / "logistic.py"  # as installed
    logistic.write_text(
        logistic.read_text().replace("return logistic.predict(w, b, X)", "return 1 - logistic.predict(w, b, X)")
    )
    again = subprocess.run([*check.args[:-1], str(tmp_path / "again")], cwd=ROOT, **run)
    assert again.returncode == 3 and "1 function wrong (logistic.predict)" in again.stdout, again.stdout[-3000:]
    course = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "port" / "tests" / "test_course.py"),
        ],
        cwd=tmp_path,
        **run,
    )
    assert "test_course.py::test_propagate PASSED" in course.stdout, course.stdout[-3000:]
    assert "test_course.py::test_linear_forward FAILED" in course.stdout
    assert "Failed: linear_forward is not written yet" in course.stdout


@pytest.mark.slow
def test_filled_in_it_is_checked_with_no_edit_to_quartet(tmp_path):
    run = port(tmp_path)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "port" / "tests")],
        cwd=tmp_path,
        **run,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "check",
            "--backends",
            "numpy,port",
            "--quick",
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        **run,
    )
    assert check.returncode == 0 and " 0 failed" in check.stdout, check.stdout[-3000:]


@pytest.mark.slow
def test_a_port_with_a_wrong_backward_fails_its_own_tests_readably(tmp_path, monkeypatch):
    """The last layer's gradient doubled (a wrong sigmoid derivative, say): the generated course tests reached no
    backward (all 9 passed); now test_L_model_grads fails as the notebooks say it, and the conformance test names
    the function to look at first in lines, not a repr cut mid-word."""
    doubled = BODIES["deep"]["L_model_grads"].replace("return grads,", "grads['dW3'] = 2 * grads['dW3']\nreturn grads,")
    monkeypatch.setitem(BODIES["deep"], "L_model_grads", doubled)
    run = port(tmp_path)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", str(tmp_path / "port" / "tests")],
        cwd=tmp_path,
        **run,
    )
    out = tests.stdout
    assert "FAILED" in out and "test_course.py::test_L_model_grads" in out, out[-3000:]
    assert "L_model_grads: dW3 is" in out and "the reference gives" in out, out[-3000:]
    assert "test_course.py::test_linear_forward" not in out  # the forward is right, and passes
    assert "the functions to look at first (quartet check says the same):" in out, out[-3000:]
    assert "L_model_grads (port eager" in out, out[-3000:]
