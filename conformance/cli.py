"""The `quartet` command: doctor, train, replicate."""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.initializers import SCHEMES

from . import course, datasets, environment

console = Console()
error_console = Console(stderr=True, soft_wrap=True)  # an error message is never wrapped mid-path


class UsageError(ValueError):
    """A command-line argument that cannot be used; printed without a traceback."""


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cost {task.fields[cost]:.6f}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _layer_dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layer-dims takes integers separated by commas, got {text!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--layer-dims needs at least two positive sizes, got {text!r}")
    return dims


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


# --- doctor -------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    env = environment.environment()
    if args.json:
        print(json.dumps(env, indent=2))
        return 0
    blas = env["blas"]
    overrides = ", ".join(f"{k}={v}" for k, v in blas.items() if k.isupper())
    console.print(
        f"[bold]quartet doctor[/]  Python {env['python']} on {env['platform']}\n"
        f"CPU: {env['cpu']} ({env['cores_usable']} of {env['cores']} cores usable)\n"
        f"BLAS (NumPy): {blas['library']} {blas['version']} {blas['architecture']}, {blas['threads']} threads"
        + (f"  [dim]{overrides}[/]" if overrides else "")
    )
    table = Table(title="frameworks", title_justify="left")
    for column in ("framework", "version", "import s", "threads", "devices", "note"):
        table.add_column(column, justify="right" if column == "import s" else "left")
    for fw in env["frameworks"]:
        table.add_row(
            fw["name"],
            fw["version"] if fw["installed"] else "[red]missing[/]",
            "" if fw["import_s"] is None else f"{fw['import_s']:.2f}",
            fw["threads"],
            ", ".join(fw["devices"]),
            fw["note"],
        )
    console.print(table)
    return 0


# --- train --------------------------------------------------------------------------------------


def _accuracy(predictions: np.ndarray, Y: np.ndarray | None) -> float | None:
    return None if Y is None else float(np.mean(predictions == Y))


def cmd_train(args: argparse.Namespace) -> int:
    from reference_numpy import deep, initializers, logistic

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
    with _progress() as progress:
        task = progress.add_task("training", total=args.num_iterations, cost=float("nan"))

        def callback(i: int, cost: float) -> None:
            curve.append(cost)
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
        from .report import plot_cost_curves

        path = plot_cost_curves(
            {"NumPy reference": curve}, Path(args.plot), f"{args.model} {layer_dims} on {args.dataset}"
        )
        summary.add_row("cost curve", str(path))
    console.print(summary)
    return 0


# --- replicate ----------------------------------------------------------------------------------


def cmd_replicate(args: argparse.Namespace) -> int:
    from .report import write_replication

    names = args.runs or list(course.RUNS)
    unknown = [n for n in names if n not in course.RUNS]
    if unknown:
        raise UsageError(f"unknown course run(s) {unknown}; choose from {list(course.RUNS)}")
    results = []
    with _progress() as progress:
        for name in names:
            run = course.RUNS[name]
            task = progress.add_task(name, total=run.num_iterations, cost=float("nan"))
            result = course.replay(
                run, data_dir=args.data_dir, callback=lambda i, c, t=task: progress.update(t, advance=1, cost=c)
            )
            results.append(result)
    page = write_replication(results, Path(args.out), environment.environment(include_frameworks=False))
    console.print(f"wrote {page}")
    return 0


# --- main ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartet",
        description="The course's logistic regression and L-layer network in NumPy, PyTorch, JAX and "
        "TensorFlow: do they compute the same thing, and how fast?",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    doctor = sub.add_parser("doctor", help="which frameworks, versions, threads, BLAS and devices are here")
    doctor.add_argument("--json", action="store_true", help="print the environment as JSON")
    doctor.set_defaults(func=cmd_doctor)

    train = sub.add_parser("train", help="train the NumPy reference on a dataset")
    train.add_argument("model", choices=("logistic", "deep"))
    train.add_argument("--dataset", choices=datasets.DATASETS, default="planar")
    train.add_argument(
        "--layer-dims",
        type=_layer_dims,
        default=None,
        metavar="N0,N1,...,1",
        help="sizes from the input to the output unit (default: n_x,4,1; cat: n_x,20,7,5,1)",
    )
    train.add_argument("--hidden-activation", choices=HIDDEN_ACTIVATIONS, default="relu")
    train.add_argument("--learning-rate", type=_positive_float, default=0.0075)
    train.add_argument("--num-iterations", type=_positive_int, default=2500)
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
    train.add_argument("--print-every", type=_positive_int, default=100, metavar="N")
    train.add_argument("--plot", type=Path, default=None, metavar="PNG", help="save the cost curve here")
    train.set_defaults(func=cmd_train)

    replicate = sub.add_parser("replicate", help="replay the course's four runs and write the replication page")
    replicate.add_argument("runs", nargs="*", metavar="RUN", help=f"some of {list(course.RUNS)} (default: all)")
    replicate.add_argument("--data-dir", type=Path, default=None, help="directory of the *_catvnoncat.h5 files")
    replicate.add_argument("--out", type=Path, default=Path("docs"), help="where course-replication.md goes")
    replicate.set_defaults(func=cmd_replicate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # our own checks: UsageError, DatasetError and the models' ValueErrors
        error_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        return 2
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
