"""`quartet train`: the NumPy reference trained on a dataset, with a progress bar, the course's printed
costs, and the accuracies."""

import argparse
import time
from pathlib import Path

import numpy as np
from rich.progress import TextColumn
from rich.table import Table

from reference_numpy import deep, initializers, logistic
from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.initializers import SCHEMES

from ..core import datasets
from ..core.backends import check_divergence
from ..report.course import plot_cost_curves
from ..run.runner import progress_bar
from .common import UsageError, console, parse_layer_dims, positive_float, positive_int

COST = TextColumn("cost {task.fields[cost]:.6f}")  # training shows its cost beside the bar


def add_parser(sub) -> None:
    train = sub.add_parser("train", help="train the NumPy reference on a dataset")
    train.add_argument("model", choices=("logistic", "deep"))
    train.add_argument("--dataset", choices=datasets.DATASETS, default="planar")
    train.add_argument(
        "--layer-dims",
        type=parse_layer_dims,
        default=None,
        metavar="N0,N1,...,1",
        help="sizes from the input to the output unit (default: n_x,4,1; cat: n_x,20,7,5,1)",
    )
    train.add_argument("--hidden-activation", choices=HIDDEN_ACTIVATIONS, default="relu")
    train.add_argument("--learning-rate", type=positive_float, default=0.0075)
    train.add_argument("--num-iterations", type=positive_int, default=2500)
    train.add_argument(
        "--init",
        choices=SCHEMES,
        default=None,
        help="weight initialisation (default: zeros for logistic, xavier for deep)",
    )
    train.add_argument("--seed", type=int, default=1)
    train.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory of the course's *_catvnoncat.h5 files (default: $QUARTET_DATA_DIR or "
        "../shared/data/catvnoncat beside this checkout)",
    )
    train.add_argument("--print-every", type=positive_int, default=100, metavar="N")
    train.add_argument("--plot", type=Path, default=None, metavar="PNG", help="save the cost curve here")
    train.set_defaults(func=run)


def _accuracy(predictions: np.ndarray, Y: np.ndarray | None) -> float | None:
    return None if Y is None else float(np.mean(predictions == Y))


def run(args: argparse.Namespace) -> int:
    data = datasets.load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    n_x = data.n_x
    if args.model == "logistic":
        layer_dims = [n_x, 1]
        if args.layer_dims not in (None, layer_dims):
            raise UsageError(
                f"logistic regression has layer_dims [n_x, 1] = {layer_dims}; got --layer-dims {args.layer_dims}"
            )
        init = args.init or "zeros"
    else:
        layer_dims = args.layer_dims or ([n_x, 20, 7, 5, 1] if args.dataset == "cat" else [n_x, 4, 1])
        init = args.init or "xavier"
    if layer_dims[0] != n_x:
        rest = ",".join(map(str, layer_dims[1:]))
        raise UsageError(
            f"--layer-dims starts with {layer_dims[0]}, but dataset {args.dataset!r} has "
            f"n_x = {n_x} features (X is {data.X_train.shape}); use --layer-dims {n_x},{rest}"
        )
    if layer_dims[-1] != 1:
        raise UsageError(f"--layer-dims must end with 1 (one sigmoid output unit), got {layer_dims}")
    if args.model == "deep" and init == "zeros" and len(layer_dims) > 2:
        console.print("[yellow]note:[/] zero initialisation leaves every hidden unit identical (no symmetry breaking)")

    X, Y = data.X_train, data.Y_train
    console.print(
        f"[bold]train[/] {args.model} on {args.dataset}: X {X.shape}, Y {Y.shape}; layer_dims {layer_dims}, "
        f"hidden {args.hidden_activation if args.model == 'deep' else 'none'}, init {init} (seed {args.seed}), "
        f"learning rate {args.learning_rate}, {args.num_iterations} iterations"
    )
    curve: list[float] = []
    with progress_bar(console, COST) as progress:
        task = progress.add_task("training", total=args.num_iterations, cost=float("nan"))

        def callback(i: int, cost: float) -> None:
            curve.append(cost)
            check_divergence(i, cost, curve[0], args.learning_rate)  # stops training with the iteration
            if i % args.print_every == 0 or i == args.num_iterations - 1:
                progress.console.print(f"Cost after iteration {i}: {cost:.6f}")
            progress.update(task, advance=1, cost=cost)

        start = time.perf_counter()
        parameters = initializers.initialize(layer_dims, scheme=init, seed=args.seed)
        if args.model == "logistic":
            w, b = parameters["W1"].T, parameters["b1"]  # (n_x, 1), (1, 1)
            params, _, _ = logistic.optimize(w, b, X, Y, args.num_iterations, args.learning_rate, callback=callback)

            def predict(X_: np.ndarray) -> np.ndarray:
                return logistic.predict(params["w"], params["b"], X_)
        else:
            parameters, _ = deep.L_layer_model(
                X,
                Y,
                layer_dims,
                args.learning_rate,
                args.num_iterations,
                hidden_activation=args.hidden_activation,
                parameters=parameters,
                callback=callback,
            )

            def predict(X_: np.ndarray) -> np.ndarray:
                return deep.predict(X_, parameters, args.hidden_activation)

        wall = time.perf_counter() - start

    train_accuracy = _accuracy(predict(X), Y)
    test_accuracy = None if data.X_test is None else _accuracy(predict(data.X_test), data.Y_test)
    summary = Table(title="summary", title_justify="left", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("final cost", f"{curve[-1]:.6f}")
    summary.add_row("train accuracy", f"{100 * train_accuracy:.2f} %  (m = {Y.shape[1]})")
    summary.add_row(
        "test accuracy",
        "n/a (no test set)" if test_accuracy is None else f"{100 * test_accuracy:.2f} %  (m = {data.Y_test.shape[1]})",
    )
    summary.add_row("wall time", f"{wall:.2f} s ({1e3 * wall / args.num_iterations:.3f} ms per iteration)")
    if args.plot:
        path = plot_cost_curves(
            {"NumPy reference": curve}, Path(args.plot), f"{args.model} {layer_dims} on {args.dataset}"
        )
        summary.add_row("cost curve", str(path))
    console.print(summary)
    return 0
