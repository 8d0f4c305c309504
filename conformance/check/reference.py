"""The judge checked first. Every framework is compared with the float64 NumPy reference, so a bug in the
reference fails every framework at once, or (in an initializer every backend draws from) none of them. Before
it judges anything, `quartet check` compares the reference with what the course itself printed: the notebooks'
test cases (conformance/kit/course_cases.py) and the first costs of the course's runs (conformance/check/
course.py: the planar run always; the cat / non-cat runs where the course's data is here). A failure names the
reference's function, and the suspects then start with it (suspects.of_run).

Each row: function (the reference's), status ("green", "wrong", or "not checked" with the reason), detail.
"""

import numpy as np

from ..core.datasets import DatasetError
from ..kit import course_cases
from .course import RUNS, published_tolerance, replay

# how far each run is replayed (about a second in all): the planar and logistic runs to their first printed cost
# after 0 (the training step), the two on the cat images' 12288 inputs to 0 alone (their initializers)
ITERATIONS = {"planar": 1001, "logistic": 101, "two_layer": 1, "deep": 1}


def _row(function: str, status: str, detail: str = "") -> dict:
    return {
        "judge_check": True,
        "backend": "numpy",
        "mode": "eager",
        "dtype": "float64",
        "device": "cpu",
        "function": f"reference_numpy.{function}",
        "status": status,
        "detail": detail,
    }


def check_reference(data_dir=None) -> list[dict]:
    """The reference against the notebooks' test cases and the course's printed costs: one row per case or run."""
    rows = []
    for case in [c for c in course_cases.CASES if c.source == "the notebook prints"]:  # the course's, not ours
        got = course_cases.call(case, course_cases.reference(case.module), lambda a: a, np.asarray)
        problem = course_cases.mismatch(case, got)
        function = f"{case.module}.{case.function}" if case.function != "sigmoid" else "activations.sigmoid"
        rows.append(_row(function, "wrong" if problem else "green", problem and f"the notebook's test: {problem}"))
    with np.errstate(all="ignore"):
        for name, n in ITERATIONS.items():
            rows.append(_run(name, n, data_dir))
    return rows


def _run(name: str, n: int, data_dir) -> dict:
    """A course run replayed for n iterations: its cost at 0 speaks for the initializer and the forward pass, the
    one printed after it for the training step."""
    run = RUNS[name]
    start = "logistic.initialize_with_zeros" if run.model == "logistic" else "deep.initialize_parameters_deep"
    train = "logistic.optimize" if run.model == "logistic" else "deep.L_layer_model"
    try:
        result = replay(run, num_iterations=n, data_dir=data_dir)
    except DatasetError as err:
        return _row(start, "not checked", f"the {name} run: {err}")
    for i in sorted(k for k in run.published_costs if k < n):
        printed = run.published_costs[i]
        got = result.cost_curve[i]
        if not abs(got - float(printed)) <= published_tolerance(printed):
            function = start if i == 0 else train
            scheme = f" (scheme {run.init!r}, seed {run.seed})" if i == 0 and run.model != "logistic" else ""
            return _row(
                function,
                "wrong",
                f"the {name} run's cost at iteration {i} is {got!r}; the course printed {printed}{scheme}",
            )
    return _row(f"{start}, {train}", "green", f"the {name} run's costs agree to iteration {n - 1}")
