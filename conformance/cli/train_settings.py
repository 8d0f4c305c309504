"""What one `quartet train` trains: the course run it starts from and each setting, given or the run's or the
generic default, checked against the data's shapes."""

import argparse
from dataclasses import dataclass

from ..check import course
from ..core import datasets
from .common import UsageError, console

# where the course has no run for a model on a dataset
GENERIC = {"learning_rate": 0.0075, "num_iterations": 2500, "seed": 1, "hidden_activation": "relu"}
SETTINGS = ("layer_dims", "hidden_activation", "learning_rate", "num_iterations", "init", "seed")


@dataclass(frozen=True)
class Settings:
    """What one `quartet train` trains: the course run it starts from (None: the generic defaults) and its settings."""

    model: str
    dataset: str
    run: course.CourseRun | None
    layer_dims: list[int]
    hidden_activation: str
    learning_rate: float
    num_iterations: int
    init: str
    seed: int
    print_every: int

    @property
    def as_the_course(self) -> bool:
        """Every setting the course run's own (its printed numbers apply)."""
        run = self.run
        return (
            run is not None
            and self.dataset == run.dataset
            and all(
                getattr(self, s) == (list(run.layer_dims) if s == "layer_dims" else getattr(run, s))
                for s in SETTINGS
                if not (s == "hidden_activation" and self.model == "logistic")
            )
        )


def settings(args: argparse.Namespace, n_x: int, dataset: str) -> Settings:
    """The run's settings: each option given, else the course run's, else the generic default."""
    run = course.run_for(args.name, dataset)
    model = run.model if run else args.name

    def pick(setting: str, generic):
        given = getattr(args, setting)
        if given is not None:
            return given
        return getattr(run, setting) if run is not None else generic

    if model == "logistic":
        layer_dims = [n_x, 1]
        if args.layer_dims not in (None, layer_dims):
            raise UsageError(
                f"logistic regression has layer_dims [n_x, 1] = {layer_dims}; got --layer-dims {args.layer_dims}"
            )
    else:
        layer_dims = args.layer_dims or ([n_x, *run.layer_dims[1:]] if run else [n_x, 4, 1])
    hidden = "none" if model == "logistic" else pick("hidden_activation", GENERIC["hidden_activation"])
    print_every = args.print_every or (run.print_every if run else 100)
    return Settings(
        model,
        dataset,
        run,
        layer_dims,
        hidden,
        pick("learning_rate", GENERIC["learning_rate"]),
        pick("num_iterations", GENERIC["num_iterations"]),
        pick("init", "zeros" if model == "logistic" else "xavier"),
        pick("seed", GENERIC["seed"]),
        print_every,
    )


def check_shapes(chosen: Settings, data: datasets.Dataset) -> None:
    """The layer sizes against the data (a UsageError naming both), and a note on zero initialisation."""
    layer_dims, n_x = chosen.layer_dims, data.n_x
    if layer_dims[0] != n_x:
        rest = ",".join(map(str, layer_dims[1:]))
        raise UsageError(
            f"--layer-dims starts with {layer_dims[0]}, but dataset {chosen.dataset!r} has "
            f"n_x = {n_x} features (X is {data.X_train.shape}); use --layer-dims {n_x},{rest}"
        )
    if layer_dims[-1] != 1:
        raise UsageError(f"--layer-dims must end with 1 (one sigmoid output unit), got {layer_dims}")
    if chosen.model == "deep" and chosen.init == "zeros" and len(layer_dims) > 2:
        console.print(
            "[yellow]note:[/] zero initialisation leaves every hidden unit identical (no symmetry breaking); "
            "with tanh, ReLU or leaky ReLU, which are 0 at 0, every gradient but the output bias's is 0: "
            "the hidden layers never move"
        )
