# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Building your deep neural network, step by step (course 1, week 4)
#
# The assignment's functions in its order, each on the notebook's own test case, in the NumPy reference
# (forward and backward by hand, `reference_numpy/deep.py`) and in PyTorch, JAX and TensorFlow (the same
# forward; autodiff writes the backward); the check's verdict on every function; and one lesson of the
# course's notes, with numbers: a symmetric start leaves every hidden unit identical however long it trains.
#
# Open it with `.venv/bin/jupyter lab notebooks/`.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import quartet
from conformance.core.datasets import load_planar_dataset
from conformance.kit import course_cases
from impl_jax import arrays as jax_arrays
from impl_jax import deep as jax_deep
from impl_tf import arrays as tf_arrays
from impl_tf import deep as tf_deep
from impl_torch import arrays as torch_arrays
from impl_torch import deep as torch_deep
from reference_numpy import deep
from reference_numpy.initializers import initialize_parameters

QUICK = os.environ.get("QUARTET_NOTEBOOK_QUICK") == "1"  # the test suite's run: fewer iterations, same cells
ITERATIONS = 300 if QUICK else 10000
torch.set_num_threads(1)  # tiny arrays; in a Jupyter kernel two threads wait on the kernel's own (100x slower)
np.set_printoptions(precision=8, suppress=True)

# %% [markdown]
# ## 2 - Initialization
# The notebook writes `initialize_parameters` (seed 1) and `initialize_parameters_deep` (seed 3, weights x 0.01)
# with the seeds inside; the reference takes them as arguments (its docstrings say which call gives which
# notebook's numbers: the application notebook's `initialize_parameters_deep` seeds 1 and divides by sqrt(n[l-1])).

# %%
parameters = initialize_parameters(3, 2, 1)
print("W1 =", parameters["W1"], sep="\n")  # the course: [[ 0.01624345 -0.00611756 -0.00528172] [-0.01072969 ...
parameters = deep.initialize_parameters_deep([5, 4, 3], seed=3, scheme="small")
print("W1[0] =", parameters["W1"][0])  # the course: [ 0.01788628  0.0043651   0.00096497 -0.01863493 -0.00277388]

# %% [markdown]
# ## 3 and 4 - Forward and cost, on the notebook's test cases, in all four
# Each case's inputs come from the notebook's seeds; each framework converts them with its `arrays.from_numpy`
# and returns what the notebook prints (conformance/kit/course_cases.py: the same cases a port of
# `quartet new-backend` gets as its own tests).

# %%
PACKAGES = {
    "numpy": (course_cases.reference("deep"), None),
    "torch": (torch_deep, torch_arrays),
    "jax": (jax_deep, jax_arrays),
    "tf": (tf_deep, tf_arrays),
}


def on_case(case, framework: str) -> dict:
    module, arrays = PACKAGES[framework]
    if arrays is None:  # the reference: NumPy in and out
        return course_cases.call(case, module, lambda a: a, np.asarray)
    return course_cases.call(case, module, lambda a: arrays.from_numpy(a, "float64", "cpu"), arrays.to_numpy)


deep_cases = [case for case in course_cases.CASES if case.module == "deep"]
verdict = {}
for case in deep_cases:
    verdict[case.name] = {}
    for framework in PACKAGES:
        got = on_case(case, framework)
        problem = course_cases.mismatch(case, got)
        verdict[case.name][framework] = "as printed" if not problem else problem
    print(case.name, "->", {k: np.round(v, 8).tolist() for k, v in on_case(case, "jax").items()})
pd.DataFrame(verdict).T

# %% [markdown]
# ## 6 - Backward propagation: by hand, and by autodiff
# The reference writes `linear_backward`, `linear_activation_backward` and `L_model_backward` as the course
# does; each framework has one `L_model_grads`, the cost differentiated by the library. Side by side:

# %%
quartet.show_code("backward", ["numpy", "jax"])

# %% [markdown]
# The same gradients from the same net: a [5, 4, 3, 1] ReLU net on the notebook's L_model_forward inputs.

# %%
X, params = course_cases._deep_params()[0]
Y = np.array([[1.0, 0.0, 1.0, 0.0]])
AL, caches = deep.L_model_forward(X, params, "relu")
by_hand = deep.L_model_backward(AL, Y, caches, "relu")
rows = {}
for framework in ("torch", "jax", "tf"):
    module, arrays = PACKAGES[framework]
    put = [arrays.from_numpy(a, "float64", "cpu") for a in (params, X, Y)]
    grads, cost = module.L_model_grads(*put, "relu")
    grads = arrays.to_numpy(grads)
    rows[framework] = {key: f"{np.max(np.abs(grads[key] - by_hand[key])):.1e}" for key in sorted(grads)}
print("max |autodiff - by hand| per gradient, float64:")
pd.DataFrame(rows)

# %% [markdown]
# ## The check's verdict
# `quartet check` calls each function of each framework on its own, with inputs the float64 reference builds,
# and judges the results with tolerances from a rounding model (the activations also at the kinks and for
# large |z|, their derivatives read through L_model_grads):

# %%
quartet.verdicts(
    ["torch", "jax", "tf"],
    [
        "relu",
        "leaky_relu",
        "tanh",
        "sigmoid",
        "linear_forward",
        "linear_activation_forward",
        "L_model_forward",
        "compute_cost",
        "compute_cost_from_logits",
        "L_model_grads",
        "update_parameters",
    ],
)

# %% [markdown]
# ## A lesson of the notes: zero initialisation
# The notes: start every weight at the same value and every hidden unit computes the same thing, gets the same
# gradient and takes the same step; the units stay identical however long the net trains, and a [2, 4, 1]
# tanh net is no better than a single unit. The start that shows it breaks nothing but symmetry: every
# weight 0.5 ("constant"). The units learn (their weights move) and stay identical, and the net ends about
# where a [2, 1, 1] net from the same start ends (not the same function: four units carry W2 = 0.5 each).
# All zeros is the degenerate case, not the lesson: tanh(0) = 0 and W2 = 0 make every gradient but db2's
# exactly 0, and on this balanced data db2's is 0 too, so nothing moves (cost ln 2 = 0.693147, half the
# labels right). Planar data, learning rate 1.2, in all four frameworks through the same protocol, beside
# the course's small random start:

# %%
X2, Y2 = load_planar_dataset()
STARTS = {
    "zeros": ((2, 4, 1), "zeros"),
    "constant": ((2, 4, 1), 0.5),
    "one unit, constant": ((2, 1, 1), 0.5),
    "randn x 0.01": ((2, 4, 1), "small"),
}
table = {}
for name, (dims, scheme) in STARTS.items():
    spec = quartet.ModelSpec("deep", dims, "tanh")
    start = spec.init_params(seed=2, scheme=scheme if isinstance(scheme, str) else "small")
    if not isinstance(scheme, str):  # every weight the same value: symmetric, but not zero
        start = {k: np.full_like(v, scheme) if k.startswith("W") else v for k, v in start.items()}
    for framework in ("numpy", "torch", "jax", "tf"):
        mode = "eager" if framework in ("numpy", "torch") else "compiled"
        backend = quartet.load_backend(framework, spec, mode, "float64")
        final, costs = backend.train(start, X2, Y2, 1.2, ITERATIONS)
        W1 = final["W1"]
        table[(name, framework)] = {
            "largest difference between hidden units' weights": float(np.max(np.abs(W1 - W1[0]))),
            "how far W1 moved": float(np.max(np.abs(W1 - start["W1"]))),
            "accuracy": float(np.mean((backend.forward(final, X2)["AL"] > 0.5) == Y2)),
            "final cost": costs[-1],
        }
lesson = pd.DataFrame(table).T
lesson

# %%
same, moved = "largest difference between hidden units' weights", "how far W1 moved"
assert (lesson.loc["zeros", moved] == 0).all() and np.allclose(lesson.loc["zeros", "final cost"], np.log(2))
assert (lesson.loc["constant", same] == 0).all() and (lesson.loc["constant", moved] > 0.1).all()
assert (abs(lesson.loc["constant", "accuracy"] - lesson.loc["one unit, constant", "accuracy"]) <= 0.05).all()
assert (lesson.loc["randn x 0.01", same] > 0.1).all()
assert (lesson.loc["randn x 0.01", "accuracy"] > lesson.loc["constant", "accuracy"] + 0.1).all()
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(list(STARTS), [lesson.loc[(name, "numpy"), "accuracy"] for name in STARTS])
ax.set_ylabel("train accuracy")
ax.set_title(f"[2, 4, 1] tanh on planar data, {ITERATIONS} iterations")
plt.show()
