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
# # Logistic regression with a neural network mindset (course 1, week 2)
#
# The assignment in its order, with the course's own calls (the NumPy reference, `reference_numpy/logistic.py`),
# on the course's cat / non-cat images; then the same model in PyTorch, JAX and TensorFlow, the check's
# verdict on their functions, and the lesson the notes begin with, measured: vectorisation.
#
# The images are the course's `train_catvnoncat.h5` and `test_catvnoncat.h5`: set `QUARTET_DATA_DIR` to their
# folder (by default, `../shared/data/catvnoncat` beside this checkout). Open it with
# `.venv/bin/jupyter lab notebooks/`.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import quartet
from conformance.bench import vectorisation
from conformance.check import course
from conformance.core.datasets import default_data_dir, load_catvnoncat
from conformance.kit import course_cases
from impl_jax import arrays as jax_arrays
from impl_jax import logistic as jax_logistic
from impl_tf import arrays as tf_arrays
from impl_tf import logistic as tf_logistic
from impl_torch import arrays as torch_arrays
from impl_torch import logistic as torch_logistic
from reference_numpy import logistic

QUICK = os.environ.get("QUARTET_NOTEBOOK_QUICK") == "1"  # the test suite's run: fewer iterations, same cells
ITERATIONS = 101 if QUICK else 2000
DATA_DIR = os.environ.get("QUARTET_DATA_DIR") or default_data_dir()
torch.set_num_threads(1)  # in a Jupyter kernel on 2 cores, two threads wait on the kernel's own (100x slower)
np.set_printoptions(precision=8, suppress=True)

# %% [markdown]
# ## 2 - The dataset
# 209 training and 50 test images of 64 x 64 x 3 pixels, flattened into the columns of X (12288, m) and
# divided by 255.

# %%
train_x, train_y, test_x, test_y, classes = load_catvnoncat(DATA_DIR)
print("train_x", train_x.shape, "train_y", train_y.shape, "test_x", test_x.shape, "test_y", test_y.shape)
index = 25
plt.imshow(train_x[:, index].reshape(64, 64, 3))
plt.title(f"y = {int(train_y[0, index])}: a '{classes[int(train_y[0, index])]}' picture")
plt.axis("off")
plt.show()

# %% [markdown]
# ## 4 - The parts of the algorithm, on the notebook's test cases

# %%
print("sigmoid([0, 2]) =", logistic.sigmoid(np.array([0, 2])))  # the course: [0.5 0.88079708]
w, b = logistic.initialize_with_zeros(2)
print("w =", w.T, "b =", b)  # a Python float b, as the notebook returns it
w, b = np.array([[1.0], [2.0]]), 1.5
X = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]])
Y = np.array([[1, 1, 0]])
grads, cost = logistic.propagate(w, b, X, Y)
print("dw =", grads["dw"].T, "db =", grads["db"], "cost =", cost)  # the course: [[0.25071532 -0.06604096]] ...
params, grads, costs = logistic.optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009)
print("w =", params["w"].T, "b =", params["b"])  # the course: [[0.80956046 2.0508202]] 1.5948713189708588

# %% [markdown]
# The same test cases in every framework (conformance/kit/course_cases.py: what a new port's tests check):

# %%
ports = {
    "numpy": (course_cases.reference("logistic"), None),
    "torch": (torch_logistic, torch_arrays),
    "jax": (jax_logistic, jax_arrays),
    "tf": (tf_logistic, tf_arrays),
}
verdict = {}
for case in (c for c in course_cases.CASES if c.module == "logistic"):
    row = verdict.setdefault(case.name, {})
    for framework, (module, arrays) in ports.items():
        put = (lambda a: a) if arrays is None else (lambda a, arrays=arrays: arrays.from_numpy(a, "float64", "cpu"))
        got = course_cases.call(case, module, put, np.asarray if arrays is None else arrays.to_numpy)
        row[framework] = course_cases.mismatch(case, got) or "as printed"
pd.DataFrame(verdict).T

# %% [markdown]
# ## 5 - The model: learning rate 0.005, 2000 iterations, from zeros

# %%
start = time.perf_counter()
d = logistic.model(train_x, train_y, test_x, test_y, num_iterations=ITERATIONS, learning_rate=0.005, print_cost=True)
seconds = time.perf_counter() - start
print(f"after {ITERATIONS} iterations, {seconds:.1f} s (the course's 2000: train 99.04 %, test 70 %)")
print(f"train accuracy: {100 * d['train_accuracy']:.2f} %, test accuracy: {100 * d['test_accuracy']:.2f} %")

# %% [markdown]
# ## The same model in PyTorch, JAX and TensorFlow
# Each framework's own `model`, float64 (the course's precision), its gradients by autodiff:

# %%
quartet.show_code("propagate", ["numpy", "torch", "jax", "tf"])

# %%
results = {"numpy": d}
for framework, (module, arrays) in list(ports.items())[1:]:
    data = [arrays.from_numpy(a, "float64", "cpu") for a in (train_x, train_y, test_x, test_y)]
    mode = "eager" if framework == "torch" else "compiled"
    start = time.perf_counter()
    results[framework] = module.model(*data, num_iterations=ITERATIONS, learning_rate=0.005, mode=mode)
    results[framework]["seconds"] = time.perf_counter() - start
printed = {i: float(text) for i, text in course.RUNS["logistic"].published_costs.items()}  # the notebook's lines
table = pd.DataFrame({fw: r["costs"] for fw, r in results.items()}, index=range(0, ITERATIONS, 100))
table["the course printed"] = pd.Series(printed)
table.index.name = "iteration"
accuracies = pd.DataFrame({fw: {"train": r["train_accuracy"], "test": r["test_accuracy"]} for fw, r in results.items()})
display(accuracies)
table

# %%
curves = np.array([results[fw]["costs"] for fw in results])
print(f"largest |cost - NumPy's| over the recorded iterations: {np.max(np.abs(curves - curves[0])):.1e}")
assert np.max(np.abs(curves - curves[0])) < 1e-9
plt.plot(table.index, table["numpy"], label="all four (on top of each other)")
plt.scatter(list(printed), list(printed.values()), s=10, color="black", label="the course printed")
plt.xlabel("iteration")
plt.ylabel("cost")
plt.legend()
plt.show()

# %% [markdown]
# ## The check's verdict
# Each function of each framework on its own, with inputs the float64 reference builds, judged with
# tolerances from a rounding model (`quartet check` does this and more: the hard regimes, every mode, float32):

# %%
quartet.verdicts(["torch", "jax", "tf"], ["propagate", "logistic.train_step", "optimize", "logistic.predict", "model"])

# %% [markdown]
# ## The lesson the notes begin with: vectorisation
# The gradient as the notes first write it: a loop over the m samples and, inside, over the n_x features,
# one number at a time; against each framework's vectorised `propagate`. The loop is the same code for every
# framework (conformance/bench/vectorisation.py); `quartet bench` measures it too.

# %%
n_x, m = (16, 16) if QUICK else vectorisation.SIZE
rows = [vectorisation.measure(framework, n_x, m) for framework in ("numpy", "torch", "jax", "tf")]
timings = pd.DataFrame(rows).set_index("framework")[["n_x", "m", "loop_s", "vectorised_s", "ratio", "agree"]]
assert timings["agree"].all()  # the same numbers; the times are what this machine measured
timings

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
x = np.arange(len(timings))
ax.bar(x - 0.2, 1e3 * timings["loop_s"], 0.4, label="loop over samples and features")
ax.bar(x + 0.2, 1e3 * timings["vectorised_s"], 0.4, label="vectorised propagate")
ax.set_xticks(x, timings.index)
ax.set_yscale("log")
ax.set_ylabel("ms per gradient (log scale)")
ax.set_title(f"logistic regression's gradient, n_x = {n_x}, m = {m}, float64")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()
