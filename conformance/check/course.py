"""The course's four training runs, with the numbers its notebooks printed, and one function that
replays any of them (or a prefix of it) with the NumPy reference.

The published costs are kept as the strings the course printed: the number of decimals says how
closely a replay can be compared (half a unit in the last printed place)."""

import time
from dataclasses import dataclass, field

import numpy as np

from reference_numpy import deep, logistic

from ..core.backends import load_backend
from ..core.datasets import load_catvnoncat, load_planar_dataset
from ..core.spec import ModelSpec


@dataclass(frozen=True)
class CourseRun:
    name: str
    title: str
    dataset: str  # "cat" or "planar"
    model: str  # "logistic" or "deep"
    layer_dims: tuple[int, ...]
    hidden_activation: str
    init: str
    seed: int
    learning_rate: float
    num_iterations: int
    published_costs: dict[int, str]  # iteration -> the cost as the course printed it
    published_train_accuracy: float
    published_test_accuracy: float | None
    note: str = ""  # what a reader should know about replaying this run in other frameworks
    print_every: int = 100  # the notebook prints the cost every print_every iterations
    prints_last: bool = False  # ... and after the last one (the week 4 application's L_layer_model does)

    def printed(self, cost: float) -> str:
        """A cost as this run's notebook prints it: %f (6 decimals) or the float's full repr."""
        decimals = len(next(iter(self.published_costs.values())).split(".")[1])
        return f"{cost:.{decimals}f}" if decimals <= 6 else repr(float(cost))

    def prints(self, i: int) -> bool:
        """Whether the notebook prints iteration i's cost."""
        return i % self.print_every == 0 or (self.prints_last and i == self.num_iterations - 1)


RUNS = {
    run.name: run
    for run in (
        CourseRun(
            "logistic",
            "Logistic regression on cat / non-cat (course 1, week 2)",
            "cat",
            "logistic",
            (12288, 1),
            "none",
            "zeros",
            0,
            0.005,
            2000,
            {
                0: "0.693147",
                100: "0.584508",
                200: "0.466949",
                300: "0.376007",
                400: "0.331463",
                500: "0.303273",
                600: "0.279880",
                700: "0.260042",
                800: "0.242941",
                900: "0.228004",
                1000: "0.214820",
                1100: "0.203078",
                1200: "0.192544",
                1300: "0.183033",
                1400: "0.174399",
                1500: "0.166521",
                1600: "0.159305",
                1700: "0.152667",
                1800: "0.146542",
                1900: "0.140872",
            },
            0.9904306220095694,
            0.70,
        ),
        CourseRun(
            "two_layer",
            "Two-layer network [12288, 7, 1] on cat / non-cat (course 1, week 4)",
            "cat",
            "deep",
            (12288, 7, 1),
            "relu",
            "small",
            1,
            0.0075,
            2500,
            {
                0: "0.6930497356599888",
                100: "0.6464320953428849",
                200: "0.6325140647912677",
                300: "0.6015024920354665",
                400: "0.5601966311605747",
            },
            1.0,
            0.72,
            prints_last=True,
        ),
        CourseRun(
            "deep",
            "L-layer network [12288, 20, 7, 5, 1] on cat / non-cat (course 1, week 4)",
            "cat",
            "deep",
            (12288, 20, 7, 5, 1),
            "relu",
            "xavier",
            1,
            0.0075,
            2500,
            {
                0: "0.7717493284237686",
                100: "0.6720534400822914",
                200: "0.6482632048575212",
                300: "0.6115068816101356",
                400: "0.5670473268366111",
            },
            0.9856459330143541,
            0.80,
            prints_last=True,
        ),
        CourseRun(
            "planar",
            "Planar data, one tanh hidden layer [2, 4, 1] (course 1, week 3)",
            "planar",
            "deep",
            (2, 4, 1),
            "tanh",
            "small",
            2,
            1.2,
            10000,
            {
                0: "0.693048",
                1000: "0.288083",
                2000: "0.254385",
                3000: "0.233864",
                4000: "0.226792",
                5000: "0.222644",
                6000: "0.219731",
                7000: "0.217504",
            },
            0.90,
            None,
            "At learning rate 1.2 this run passes through an unstable stretch near iteration 7,800 (the cost "
            "rises from 0.2175 at iteration 7000 to 0.2194 at 8000). Up to there the four frameworks agree to "
            'rounding (the column "first iteration beyond tolerance" gives the largest difference before it, '
            "as measured); the instability amplifies those rounding differences exponentially, and each "
            "framework then settles at a slightly different point (the right panel below). No framework is "
            "wrong: the tolerance model assumes a stable step, which does not amplify old rounding errors, and "
            "float64 cannot follow an unstable trajectory for long.",
            print_every=1000,
        ),
    )
}


# `quartet train NAME`: a run's name, or a model whose dataset picks the course's run for it
TRAIN_DEFAULTS = {("logistic", "cat"): "logistic", ("deep", "cat"): "deep", ("deep", "planar"): "planar"}


def run_for(name: str, dataset: str) -> CourseRun | None:
    """The course's run whose settings `quartet train NAME --dataset DATASET` starts from: the run of that
    name, or the course's run of that model on that dataset; None where the course has none."""
    if name in RUNS and name not in ("logistic", "deep"):
        return RUNS[name]
    key = TRAIN_DEFAULTS.get((name, dataset))
    return RUNS[key] if key else None


def published_tolerance(printed: str) -> float:
    """Half a unit in the last printed decimal, and never below 1e-12: the course's formulas
    (dAL by quotient, the naive cost) and ours round differently by about 1e-16 per step."""
    decimals = len(printed.split(".")[1])
    return max(0.5 * 10.0**-decimals, 1e-12)


@dataclass
class RunResult:
    run: CourseRun
    num_iterations: int
    framework: str = "numpy"
    mode: str = "eager"
    costs: dict[int, float] = field(default_factory=dict)  # every 100th iteration and the last
    cost_curve: list[float] = field(default_factory=list)  # every iteration
    train_accuracy: float = float("nan")
    test_accuracy: float | None = None
    wall_s: float = float("nan")


def replay(run: CourseRun, num_iterations: int | None = None, data_dir=None, callback=None) -> RunResult:
    """Train the NumPy reference exactly as the course did, for `num_iterations` (default: all)."""
    n = run.num_iterations if num_iterations is None else num_iterations
    if run.dataset == "cat":
        X, Y, X_test, Y_test, _ = load_catvnoncat(data_dir)
    else:
        (X, Y), X_test, Y_test = load_planar_dataset(), None, None
    result = RunResult(run, n)

    def record(i: int, cost: float) -> None:
        result.cost_curve.append(cost)
        if callback is not None:
            callback(i, cost)

    start = time.perf_counter()
    if run.model == "logistic":
        d = logistic.model(X, Y, X_test, Y_test, n, run.learning_rate, callback=record)
        result.train_accuracy, result.test_accuracy = d["train_accuracy"], d["test_accuracy"]
    else:
        parameters = deep.initialize_parameters_deep(list(run.layer_dims), seed=run.seed, scheme=run.init)
        parameters, _ = deep.L_layer_model(
            X,
            Y,
            list(run.layer_dims),
            run.learning_rate,
            n,
            hidden_activation=run.hidden_activation,
            parameters=parameters,
            callback=record,
        )
        predictions = deep.predict(X, parameters, run.hidden_activation)  # (1, m)
        result.train_accuracy = float(np.mean(predictions == Y))
        if X_test is not None:
            result.test_accuracy = float(np.mean(deep.predict(X_test, parameters, run.hidden_activation) == Y_test))
    result.wall_s = time.perf_counter() - start
    result.costs = {i: c for i, c in enumerate(result.cost_curve) if i % 100 == 0 or i == n - 1}
    return result


def replay_in(
    run: CourseRun, framework: str, mode: str = "eager", num_iterations: int | None = None, data_dir=None
) -> RunResult:
    """The same run, float64, through the backend protocol: the framework's own forward, autodiff and
    update from the course's initial weights; the cost at every iteration."""
    n = run.num_iterations if num_iterations is None else num_iterations
    if run.dataset == "cat":
        X, Y, X_test, Y_test, _ = load_catvnoncat(data_dir)
    else:
        (X, Y), X_test, Y_test = load_planar_dataset(), None, None
    spec = ModelSpec(run.model, run.layer_dims, run.hidden_activation if run.model == "deep" else "relu")
    params = spec.init_params(seed=run.seed, scheme=run.init)
    backend = load_backend(framework, spec, mode, "float64")
    result = RunResult(run, n, framework, mode)
    start = time.perf_counter()
    final, result.cost_curve = backend.train(params, X, Y, run.learning_rate, n, record_every=1)
    result.wall_s = time.perf_counter() - start

    def accuracy(X_: np.ndarray, Y_: np.ndarray) -> float:
        return float(np.mean((backend.forward(final, X_)["AL"] > 0.5) == Y_))

    result.train_accuracy = accuracy(X, Y)
    result.test_accuracy = None if X_test is None else accuracy(X_test, Y_test)
    result.costs = {i: c for i, c in enumerate(result.cost_curve) if i % 100 == 0 or i == n - 1}
    return result
