"""The `quartet` command: one module per subcommand, each with add_parser (its options) and run (parse
into plain values, call the layer below, print; train, the smallest, runs its few steps itself). Exit
statuses: common.EXIT_STATUSES."""

import argparse
import sys

from rich.markup import escape

from . import bench, check, code, determinism, doctor, gpu, mutate, new_backend, replicate, report, train
from .common import EXIT_STATUSES, USAGE, error_console

COMMANDS = (
    doctor,
    train,
    check,
    bench,
    gpu,
    determinism,
    code,
    report,
    replicate,
    mutate,
    new_backend,
)  # in the order --help lists them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartet",
        description="The course's logistic regression and L-layer network in NumPy, PyTorch, JAX and "
        "TensorFlow: do they compute the same thing, and how fast?",
        epilog=EXIT_STATUSES,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # our own checks: UsageError, DatasetError and the models' ValueErrors
        error_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        return USAGE
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
