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
# # Deep neural network for image classification: application (course 1, week 4)
#
# The assignment's two models on the cat / non-cat images, as the course ran them: the two-layer
# [12288, 7, 1] and the L-layer [12288, 20, 7, 5, 1] ReLU networks, learning rate 0.0075, 2500 iterations,
# each from the notebook's own initial weights. The NumPy reference (forward and backward by hand) prints the
# notebook's lines; PyTorch, JAX and TensorFlow train the same nets from the same weights, float64; then the
# four curves and accuracies side by side. `quartet train two_layer` and `quartet train deep` are the same runs
# from the terminal.
#
# Set `QUARTET_DATA_DIR` to the folder of the course's `*_catvnoncat.h5` (by default
# `../shared/data/catvnoncat` beside this checkout). Open it with `.venv/bin/jupyter lab notebooks/`.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from conformance.check import course
from conformance.core.datasets import default_data_dir, load_catvnoncat
from reference_numpy import deep

QUICK = os.environ.get("QUARTET_NOTEBOOK_QUICK") == "1"  # the test suite's run: fewer iterations, same cells
ITERATIONS = 51 if QUICK else None  # None: the course's 2500
DATA_DIR = os.environ.get("QUARTET_DATA_DIR") or default_data_dir()
torch.set_num_threads(1)  # in a Jupyter kernel on 2 cores, two threads wait on the kernel's own (100x slower)

# %%
train_x, train_y, test_x, test_y, classes = load_catvnoncat(DATA_DIR)
print("train_x", train_x.shape, "test_x", test_x.shape)

# %% [markdown]
# ## The initial weights, called as each notebook calls them
# The application notebook's `initialize_parameters_deep` seeds 1 and divides by sqrt(n[l-1]); its two-layer
# `initialize_parameters` seeds 1 and multiplies by 0.01 (the step-by-step notebook's differ: see its notebook).

# %%
for name in ("two_layer", "deep"):
    run = course.RUNS[name]
    parameters = deep.initialize_parameters_deep(list(run.layer_dims), seed=run.seed, scheme=run.init)
    print(
        f"{name}: layer_dims {list(run.layer_dims)}, init {run.init} (seed {run.seed}), "
        f"W1[0, :3] = {parameters['W1'][0, :3]}"
    )

# %% [markdown]
# ## The two runs in NumPy, printed as the notebook prints them

# %%
replays = {}
for name in ("two_layer", "deep"):
    run = course.RUNS[name]
    print(f"--- {run.title}")
    result = course.replay(run, num_iterations=ITERATIONS, data_dir=DATA_DIR)
    for i, cost in enumerate(result.cost_curve):
        if run.prints(i) or i == len(result.cost_curve) - 1:
            print(f"Cost after iteration {i}: {run.printed(cost)}")
    replays[name] = {"numpy": result}
    print(
        f"train accuracy {result.train_accuracy:.4f}, test {result.test_accuracy:.2f}, {result.wall_s:.1f} s "
        f"(the course after 2500: {run.published_train_accuracy:.4f}, {run.published_test_accuracy:.2f})"
    )

# %% [markdown]
# ## The same runs in PyTorch, JAX and TensorFlow
# Through the backend protocol: each framework's own forward, autodiff and update, float64, from the same
# initial weights (compiled where the framework compiles a whole training loop).

# %%
for name in ("two_layer", "deep"):
    for framework in ("torch", "jax", "tf"):
        mode = "eager" if framework == "torch" else "compiled"
        replays[name][framework] = course.replay_in(course.RUNS[name], framework, mode, ITERATIONS, DATA_DIR)
rows = {}
for name, by_framework in replays.items():
    reference = np.array(by_framework["numpy"].cost_curve)
    for framework, result in by_framework.items():
        rows[(name, framework)] = {
            "final cost": result.cost_curve[-1],
            "largest |cost - NumPy's|": float(np.max(np.abs(np.array(result.cost_curve) - reference))),
            "train accuracy": result.train_accuracy,
            "test accuracy": result.test_accuracy,
            "seconds": round(result.wall_s, 1),
        }
summary = pd.DataFrame(rows).T
summary

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, (name, by_framework) in zip(axes, replays.items(), strict=True):
    for framework, result in by_framework.items():
        ax.plot(result.cost_curve, label=framework, linewidth=1)
    published = course.RUNS[name].published_costs
    ax.scatter(list(published), [float(v) for v in published.values()], s=12, color="black", label="the course")
    ax.set_title(course.RUNS[name].title, fontsize=9)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()
assert (summary["largest |cost - NumPy's|"] < 1e-8).all()
