"""Where a row of the check is computed: every compared quantity of one backend on one case, as float64
NumPy arrays (judge.py then holds each against the reference)."""

from collections.abc import Iterable

import numpy as np

from .cases import STEPS, Case


def flatten(params: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(params[k]) for k in sorted(params)])


def measure(backend, case: Case, steps: Iterable[int] = STEPS) -> dict[str, np.ndarray]:
    """Every compared quantity, as float64 NumPy arrays: Z[l], A[l], AL, cost, the gradients, and the
    parameters and costs after each number of steps; for logistic regression also the last iteration's
    grads that the course's optimize returns (grads@N) and the course's model() (model@N, accuracy@N);
    for a per-sample case each sample's loss and gradients on its own (losses, sample_grads)."""
    out = dict(backend.forward(case.params, case.X))
    out["cost"] = np.array(backend.cost(case.params, case.X, case.Y))
    out["course_cost"] = np.array(backend.course_cost(case.params, case.X, case.Y))  # inf once AL rounds to 0 or 1
    out["predictions"] = backend.predict(case.params, case.X)
    out.update(backend.grads(case.params, case.X, case.Y))
    if case.per_sample:  # each sample alone: a tiny loss or gradient is judged against its own size
        columns = [(case.X[:, [j]], case.Y[:, [j]]) for j in range(case.m)]
        out["losses"] = np.array([[backend.cost(case.params, X, Y) for X, Y in columns]])  # (1, m)
        out["sample_grads"] = np.stack([flatten(backend.grads(case.params, X, Y)) for X, Y in columns])  # (m, P)
    logistic = case.spec.kind == "logistic"
    params, costs, done = case.params, [], 0
    for n in sorted(steps):  # continue from the last stop: N = 1, 10, 100 cost 100 steps, not 111
        if logistic:
            params, last, more = backend.optimize(params, case.X, case.Y, case.learning_rate, n - done, 1)
            if last:  # no grads at all: the row of a missing quantity fails
                out[f"grads@{n}"] = flatten(last)
        else:
            params, more = backend.train(params, case.X, case.Y, case.learning_rate, n - done, record_every=1)
        costs, done = costs + more, n
        out[f"params@{n}"] = flatten(params)
        out[f"cost@{n}"] = np.array(costs)
    if logistic:  # the course's model(): from zeros, on the case's data; the test set is the same X, labels flipped
        n = max(steps)
        result = backend.model(case.X, case.Y, case.X, 1 - case.Y, n, case.learning_rate)
        out[f"model@{n}"] = flatten({"w": result["w"], "b": result["b"]})
        out[f"accuracy@{n}"] = np.array([result["train_accuracy"], result["test_accuracy"]])
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
