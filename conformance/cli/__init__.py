"""The `quartet` command: one module per subcommand, each with add_parser (its options) and run (parse
into plain values, call the layer below, print; train, the smallest, runs its few steps itself). Exit
statuses: common.EXIT_STATUSES."""

import argparse
import re
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed

from rich.markup import escape

from .. import ROOT
from ..bench import threads
from ..core import caches
from ..core.registry import DISTRIBUTION
from . import bench, check, code, determinism, doctor, gpu, mutate, new_backend, replicate, report, train
from .common import EXIT_STATUSES, GREEN, USAGE, Parser, error_console

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


def version() -> str:
    """The installed distribution's version (the source tree's pyproject.toml where it is not installed)."""
    try:
        return f"{DISTRIBUTION} {installed(DISTRIBUTION)}"
    except PackageNotFoundError:
        found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
        return f"{DISTRIBUTION} {found.group(1) if found else 'unknown'} (source tree, not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="quartet",
        description="The course's logistic regression and L-layer network in NumPy, PyTorch, JAX and "
        "TensorFlow: do they compute the same thing, and how fast?",
        epilog=f"`quartet help COMMAND` (or `quartet COMMAND --help`) says what a command takes. {EXIT_STATUSES}",
    )
    parser.add_argument("--version", action="version", version=version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    helper = sub.add_parser("help", help="what a command takes: quartet help COMMAND")
    helper.add_argument("topic", nargs="?", metavar="COMMAND", choices=[*sub.choices], help="default: the commands")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "help"):  # bare `quartet`, or `quartet help [COMMAND]`
        topic = getattr(args, "topic", None)
        (parser._subparsers._group_actions[0].choices[topic] if topic else parser).print_help()
        return GREEN
    if hasattr(args, "no_cache"):  # a command that compiles: JAX's and PyTorch's persistent caches, or none
        caches.enable(not args.no_cache)
    try:
        with threads.threads_kept():  # bench binds threads and cores: a caller's process gets its own back
            return args.func(args)
    except ValueError as err:  # our own checks: UsageError, DatasetError and the models' ValueErrors
        error_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        return USAGE
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
