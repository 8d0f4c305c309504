"""What is timed: the workloads (a model, a batch size m, a learning rate), each one's seeded data and
weights, the float64 reference's first step from them, and the check that holds every timed row to
that step: no row is fast because it computes something else."""

from dataclasses import dataclass

import numpy as np

from ..spec import ModelSpec


@dataclass(frozen=True)
class Workload:
    name: str
    spec: ModelSpec
    m: int
    learning_rate: float
    family: str = ""  # the main workloads have none; sweeps are "m" or "width"


def main_workloads() -> list[Workload]:
    """The four of the design: the course's two cat models, the planar net and a wide net."""
    return [
        Workload("course_logistic", ModelSpec("logistic", (12288, 1)), 209, 0.005),
        Workload("course_deep", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), 209, 0.0075),
        Workload("planar", ModelSpec("deep", (2, 4, 1), "tanh"), 400, 1.2),
        Workload("wide", ModelSpec("deep", (1024, 1024, 1024, 1), "relu"), 4096, 0.01),
    ]


def sweep_workloads() -> list[Workload]:
    """Step time against m (the course's deep net) and against width ([w, w, w, 1] x 1024)."""
    by_m = [Workload(f"deep_m{m}", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), m, 0.0075, "m")
            for m in (64, 256, 1024, 4096, 16384)]  # fmt: skip
    by_width = [Workload(f"width{w}", ModelSpec("deep", (w, w, w, 1), "relu"), 1024, 0.01, "width")
                for w in (64, 128, 256, 512, 1024, 2048)]  # fmt: skip
    return by_m + by_width


@dataclass
class Problem:
    """A workload's data and initial weights (float64 NumPy), and the reference's first step from them."""

    workload: Workload
    params: dict[str, np.ndarray]
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    cost0: float  # the cost before the first update
    params1: dict[str, np.ndarray]  # the parameters after it


_PROBLEMS: dict[str, Problem] = {}


def problem(workload: Workload) -> Problem:
    """Seeded data and He/Xavier weights for the workload, with the float64 reference's first step (cached)."""
    if workload.name not in _PROBLEMS:
        from reference_numpy import deep, logistic

        from ..datasets import make_random_dataset

        spec = workload.spec
        X, Y = make_random_dataset(spec.n_x, workload.m, seed=0)
        scheme = "he" if spec.hidden_activation in ("relu", "leaky_relu") else "xavier"
        params = spec.init_params(seed=1, scheme=scheme)
        if spec.kind == "logistic":
            w, b, cost0 = logistic.train_step(params["w"], params["b"], X, Y, workload.learning_rate)
            params1 = {"w": w, "b": b}
        else:
            params1, cost0 = deep.train_step(params, X, Y, workload.learning_rate, spec.hidden_activation)
        _PROBLEMS[workload.name] = Problem(workload, params, X, Y, cost0, params1)
    return _PROBLEMS[workload.name]


def check_first_step(
    prob: Problem, dtype: str, cost0: float, params1: dict[str, np.ndarray]
) -> tuple[bool, float, float]:
    """(passed, error, tolerance): the worst of the cost's and the updated parameters' normwise relative
    errors against the float64 reference, against the conformance tolerance for one step."""
    from ..compare import errors, flatten
    from ..tolerances import tolerance

    spec, m = prob.workload.spec, prob.workload.m
    cost_err = errors(np.array(float(cost0)), np.array(prob.cost0))[1]
    params_err = errors(flatten({k: np.asarray(v, np.float64) for k, v in params1.items()}),
                        flatten(prob.params1))[1]  # fmt: skip
    cost_tol = tolerance("cost", dtype, spec, m).rtol
    params_tol = tolerance("params@1", dtype, spec, m, 1).rtol
    passed = cost_err <= cost_tol and params_err <= params_tol
    worst = max(cost_err / cost_tol, params_err / params_tol)
    return passed, max(cost_err, params_err), (cost_tol if cost_err / cost_tol == worst else params_tol)
