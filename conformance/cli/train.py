"""`quartet train`: the NumPy reference trained on a dataset, with a progress bar, the course's printed
costs, and the accuracies."""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.progress import TextColumn
from rich.table import Table

from reference_numpy import deep, initializers, logistic
from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.initializers import SCHEMES

from ..check import course
from ..core import datasets
from ..core.backends import check_divergence
from ..report.course import plot_cost_curves
from ..run.runner import progress_bar
from .common import add_cache_option, console, parse_layer_dims, positive_float, positive_int
from .train_settings import GENERIC, Settings, check_shapes, settings

COST = TextColumn("cost {task.fields[cost]:.6f}")  # training shows its cost beside the bar


def _each(setting: str) -> str:
    return ", ".join(f"{name} {getattr(run, setting)}" for name, run in course.RUNS.items())


def add_parser(sub) -> None:
    runs = ", ".join(f"{name} ({run.title})" for name, run in course.RUNS.items())
    train = sub.add_parser(
        "train",
        help="train the NumPy reference: one of the course's runs by name, or a model on a dataset",
        description="Train the NumPy reference. With a name and no other option, the course's run as its notebook "
        f"ran it (data, layers, initialisation, seed, learning rate, iterations): {runs}. Every option changes "
        "one setting of it; on a dataset the course has no run for, the defaults below apply.",
    )
    train.add_argument(
        "name",
        choices=(*course.RUNS,),
        metavar="NAME",
        help=f"one of {list(course.RUNS)}: a course run (logistic and deep are also the models)",
    )
    _add_settings(train)
    _add_output(train)
    add_cache_option(train)
    train.set_defaults(func=run)


def _add_settings(train: argparse.ArgumentParser) -> None:
    """The options that each change one setting of the run: data, layers, activation, rate, steps, init, seed."""
    train.add_argument(
        "--dataset", choices=datasets.DATASETS, default=None, help="default: the run's (cat, or planar for planar)"
    )
    train.add_argument(
        "--layer-dims",
        type=parse_layer_dims,
        default=None,
        metavar="N0,N1,...,1",
        help="sizes from the input to the output unit (default: the run's, with N0 = the dataset's n_x; n_x,4,1 "
        "where the course has no run)",
    )
    train.add_argument(
        "--hidden-activation",
        choices=HIDDEN_ACTIVATIONS,
        default=None,
        help="default: the run's (relu; tanh for planar)",
    )
    train.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help=f"default: the run's ({_each('learning_rate')}); {GENERIC['learning_rate']} otherwise",
    )
    train.add_argument(
        "--num-iterations",
        type=positive_int,
        default=None,
        help=f"default: the run's ({_each('num_iterations')}); {GENERIC['num_iterations']} otherwise",
    )
    train.add_argument(
        "--init",
        choices=SCHEMES,
        default=None,
        help=f"weight initialisation (default: the run's ({_each('init')}); zeros for logistic, "
        "xavier for deep otherwise)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed of the initialisation and of a split (default: the run's ({_each('seed')}); 1 otherwise)",
    )


def _add_output(train: argparse.ArgumentParser) -> None:
    """Where the data is read from, and what the run prints and plots."""
    train.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory of the course's *_catvnoncat.h5 files (default: $QUARTET_DATA_DIR or "
        "../shared/data/catvnoncat beside this checkout)",
    )
    train.add_argument(
        "--print-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="print the cost every N iterations (default: as the run's notebook, 100; 1000 for planar)",
    )
    train.add_argument(
        "--plot", type=Path, default=None, metavar="PNG", help="save the cost curve here (default: none)"
    )


def _accuracy(predictions: np.ndarray, Y: np.ndarray | None) -> float | None:
    return None if Y is None else float(np.mean(predictions == Y))


def run(args: argparse.Namespace) -> int:
    named = course.RUNS[args.name]
    dataset = args.dataset or named.dataset
    run_ = course.run_for(args.name, dataset)
    seed = args.seed if args.seed is not None else (run_.seed if run_ else GENERIC["seed"])  # the split's too
    data = datasets.load_dataset(dataset, data_dir=args.data_dir, seed=seed)
    chosen = settings(args, data.n_x, dataset)
    check_shapes(chosen, data)
    X, Y = data.X_train, data.Y_train
    if chosen.as_the_course:
        console.print(f"[bold]the course's run {args.name!r}[/]: {chosen.run.title}, as its notebook ran it")
    elif chosen.run is not None:
        console.print(f"[bold]from the course's run {chosen.run.name!r}[/], with the options given")
    console.print(
        f"[bold]train[/] {chosen.model} on {dataset}: X {X.shape}, Y {Y.shape}; layer_dims {chosen.layer_dims}, "
        f"hidden {chosen.hidden_activation}, init {chosen.init} (seed {chosen.seed}), "
        f"learning rate {chosen.learning_rate}, {chosen.num_iterations} iterations"
    )
    curve, predict, wall = _train(chosen, X, Y, course_lines=chosen.as_the_course and args.print_every is None)
    train_accuracy = _accuracy(predict(X), Y)
    test_accuracy = None if data.X_test is None else _accuracy(predict(data.X_test), data.Y_test)
    summary = _summary(chosen, curve, wall, (train_accuracy, Y.shape[1]), (test_accuracy, data.Y_test))
    if args.plot:
        title = f"{chosen.model} {chosen.layer_dims} on {dataset}"
        path = plot_cost_curves({"NumPy reference": curve}, Path(args.plot), title)
        summary.add_row("cost curve", str(path), *([""] if chosen.as_the_course else []))
    console.print(summary)
    return 0


def _train(chosen: Settings, X: np.ndarray, Y: np.ndarray, course_lines: bool) -> tuple[list[float], Callable, float]:
    """The reference trained with a progress bar: (every iteration's cost, predict, seconds). `course_lines`: the
    notebook's printed lines in its format, else every print_every-th cost and the last."""
    curve: list[float] = []
    if course_lines:
        as_printed, printed = chosen.run.prints, chosen.run.printed
    else:

        def as_printed(i: int) -> bool:
            return i % chosen.print_every == 0 or i == chosen.num_iterations - 1

        def printed(cost: float) -> str:
            return f"{cost:.6f}"

    with progress_bar(console, COST) as progress:
        task = progress.add_task("training", total=chosen.num_iterations, cost=float("nan"))

        def callback(i: int, cost: float) -> None:
            curve.append(cost)
            check_divergence(i, cost, curve[0], chosen.learning_rate)  # stops training with the iteration
            if as_printed(i):
                progress.console.print(f"Cost after iteration {i}: {printed(cost)}")
            progress.update(task, advance=1, cost=cost)

        start = time.perf_counter()
        parameters = initializers.initialize(chosen.layer_dims, scheme=chosen.init, seed=chosen.seed)
        if chosen.model == "logistic":
            w, b = parameters["W1"].T, parameters["b1"]  # (n_x, 1), (1, 1)
            params, _, _ = logistic.optimize(w, b, X, Y, chosen.num_iterations, chosen.learning_rate, callback=callback)

            def predict(X_: np.ndarray) -> np.ndarray:
                return logistic.predict(params["w"], params["b"], X_)
        else:
            parameters, _ = deep.L_layer_model(
                X,
                Y,
                chosen.layer_dims,
                chosen.learning_rate,
                chosen.num_iterations,
                hidden_activation=chosen.hidden_activation,
                parameters=parameters,
                callback=callback,
            )

            def predict(X_: np.ndarray) -> np.ndarray:
                return deep.predict(X_, parameters, chosen.hidden_activation)

        wall = time.perf_counter() - start
    return curve, predict, wall


def _summary(chosen: Settings, curve: list[float], wall: float, train: tuple, test: tuple) -> Table:
    """The summary table: the final cost, the accuracies (train: (accuracy, m); test: (accuracy or None, Y_test)),
    the wall time, and beside them what the course printed when the run is the course's."""
    course_run = chosen.run if chosen.as_the_course else None
    summary = Table(title="summary", title_justify="left")
    summary.add_column("", style="bold")
    summary.add_column("this run", justify="right")
    if course_run:
        summary.add_column("the course printed", justify="right")

    def row(label: str, ours: str, theirs: float | None = None) -> None:
        summary.add_row(label, ours, *([] if course_run is None else ["" if theirs is None else f"{100 * theirs:g} %"]))

    (train_accuracy, m), (test_accuracy, Y_test) = train, test
    row("final cost", f"{curve[-1]:.6f}")
    row(
        "train accuracy", f"{100 * train_accuracy:.2f} %  (m = {m})", course_run and course_run.published_train_accuracy
    )
    row(
        "test accuracy",
        "n/a (no test set)" if test_accuracy is None else f"{100 * test_accuracy:.2f} %  (m = {Y_test.shape[1]})",
        course_run and course_run.published_test_accuracy,
    )
    row("wall time", f"{wall:.2f} s ({1e3 * wall / chosen.num_iterations:.3f} ms per iteration)")
    return summary
