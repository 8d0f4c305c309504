"""The course's vectorisation lesson, measured: logistic regression's cost and gradients as the notes first
write them, a loop over the m samples and, inside, over the n_x features, one number at a time, against the
same quantities from each package's vectorised propagate. The loop is one function for every framework
(only the arrays and their exp and log differ): what it costs in each is the price of one framework call per
number. The notebooks plot it; `quartet bench` prints it beside its table.

    propagate_loop(w, b, X, Y, exp, log)   (dw as a list of n_x numbers, db, J)
    measure(framework, n_x, m)             seconds of the loop and of propagate, their ratio, the two agreeing
"""

import importlib
import time

import numpy as np
import pandas as pd

from ..core.backends import load_backend
from ..core.registry import FRAMEWORKS
from ..core.spec import ModelSpec
from ..run.files import frame_markdown

SIZE = (64, 64)  # n_x, m: 8,192 multiply-adds in the loops; JAX's and TensorFlow's take a second or two eagerly
QUICK_SIZE = (32, 32)  # `quartet bench --quick`: a quarter of the numbers, the loop a quarter of the time
# each built-in framework's exp and log, applied to one number at a time; a plugin's are its framework module's
# (registry: mlx.core's exp and log)
MATH = {
    "numpy": ("numpy", "exp", "log"),
    "torch": ("torch", "exp", "log"),
    "jax": ("jax.numpy", "exp", "log"),
    "tf": ("tensorflow", "math.exp", "math.log"),
}


def math_of(name: str) -> tuple[str, str, str] | None:
    """(module, exp, log) of a backend, or None where its framework module has no exp and log to time."""
    if name in MATH:
        return MATH[name]
    if name not in FRAMEWORKS:
        return None
    try:
        module = importlib.import_module(FRAMEWORKS[name])
    except ImportError:
        return None
    return (FRAMEWORKS[name], "exp", "log") if hasattr(module, "exp") and hasattr(module, "log") else None


def propagate_loop(w, b, X, Y, exp, log):
    """J, dw and db for w (n_x, 1), b (1, 1), X (n_x, m), Y (1, m), one number at a time."""
    n_x, m = X.shape
    J, db, dw = 0.0, 0.0, [0.0] * n_x
    for i in range(m):
        z = b[0, 0]
        for j in range(n_x):
            z = z + w[j, 0] * X[j, i]  # z(i) = w^T x(i) + b
        a = 1 / (1 + exp(-z))  # a(i) = sigmoid(z(i))
        J = J - (Y[0, i] * log(a) + (1 - Y[0, i]) * log(1 - a))
        dz = a - Y[0, i]  # dz(i) = a(i) - y(i)
        for j in range(n_x):
            dw[j] = dw[j] + X[j, i] * dz  # dw_j += x_j(i) dz(i)
        db = db + dz
    return [dw_j / m for dw_j in dw], db / m, J / m


def _math(framework: str):
    module, exp, log = math_of(framework)
    library = importlib.import_module(module)

    def attribute(dotted: str):
        value = library
        for part in dotted.split("."):
            value = getattr(value, part)
        return value

    return attribute(exp), attribute(log)


def _seconds(call, budget: float):
    """The median seconds of `call` (its result waited for), repeated for about `budget` seconds; and its result."""
    times, result = [], None
    while not times or (sum(times) < budget and len(times) < 1000):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def measure(
    framework: str, n_x: int = SIZE[0], m: int = SIZE[1], dtype: str = "float64", seed: int = 0, budget: float = 0.3
) -> dict:
    """The loop and the package's propagate on the same seeded w, b, X, Y, each the median of calls repeated
    for about `budget` seconds after a warm-up call (the loop's on a 2 x 2 slice; a loop slower than the budget
    runs once); their results must agree to float rounding."""
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((n_x, 1)) * 0.1, np.full((1, 1), 0.1)
    X, Y = rng.standard_normal((n_x, m)), (rng.random((1, m)) > 0.5).astype(float)
    backend = load_backend(framework, ModelSpec("logistic", (n_x, 1)), "eager", dtype)
    put = backend._put({"w": w, "b": b, "X": X, "Y": Y})
    w_, b_, X_, Y_ = put["w"], put["b"], put["X"], put["Y"]
    exp, log = _math(framework)
    propagate_loop(w_[:2], b_, X_[:2, :2], Y_[:, :2], exp, log)  # first calls of each operation
    loop_s, (dw, db, J) = _seconds(lambda: propagate_loop(w_, b_, X_, Y_, exp, log), budget)
    backend.logistic.propagate(w_, b_, X_, Y_)

    def vectorised():
        grads, cost = backend.logistic.propagate(w_, b_, X_, Y_)
        return backend._get(grads), backend._get(cost)  # NumPy: waits for a framework that runs asynchronously

    vectorised_s, (grads, cost) = _seconds(vectorised, budget)
    number = lambda value: float(np.asarray(backend._get(value)).ravel()[0])  # noqa: E731  a 0-d value as a float
    loop = np.array([[number(v) for v in dw], [number(db)] * n_x, [number(J)] * n_x])
    vectorised = np.array([grads["dw"].ravel(), [float(np.ravel(grads["db"])[0])] * n_x, [float(cost)] * n_x])
    agree = bool(np.allclose(loop, vectorised, rtol=1e-5, atol=1e-7))
    return {
        "framework": framework,
        "n_x": n_x,
        "m": m,
        "dtype": dtype,
        "loop_s": loop_s,
        "vectorised_s": vectorised_s,
        "ratio": loop_s / vectorised_s,
        "agree": agree,
    }


def section(rows: list[dict]) -> list[str]:
    """The page's lines: one row per framework, the loop's seconds, propagate's, and how many times slower."""
    table = pd.DataFrame(
        [
            {
                "framework": r["framework"],
                "n_x x m": f"{r['n_x']} x {r['m']}",
                "dtype": r["dtype"],
                "loop (ms)": f"{1e3 * r['loop_s']:.3g}",
                "propagate (ms)": f"{1e3 * r['vectorised_s']:.3g}",
                "loop / propagate": f"{r['ratio']:.0f}",
                "same numbers": "yes" if r["agree"] else "NO",
            }
            for r in rows
        ]
    )
    return [
        "## Vectorisation: the loop the notes write first, against propagate",
        "",
        "Logistic regression's cost and gradients one number at a time (conformance/bench/vectorisation.py, "
        "the same loop in every framework) and from each package's vectorised `propagate`, eager, each the "
        "median of repeated calls.",
        "",
        frame_markdown(table),
        "",
    ]
