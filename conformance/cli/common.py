"""What every command shares: the consoles, the error for an unusable argument, the argument types,
and the options that several commands take in the same words."""

import argparse
import math
import sys
from pathlib import Path

from rich.console import Console

from ..core.registry import BUILT_IN, DEVICES, MODE_NAMES, NAMES, supports
from ..parallel.engine import NAMES as ENGINES

# exit statuses, the same for every command (--help and docs/plugins.md say them)
GREEN = 0  # done: every check passed
FAILED = 1  # a check failed: a number outside its tolerance
USAGE = 2  # unusable input: a bad option, a missing file
UNFINISHED = 3  # a backend raised, or a function of it is not written yet (a stub); named, never a traceback
EXIT_STATUSES = (f"exit status: {GREEN} all green, {FAILED} a check failed, {USAGE} unusable input, {UNFINISHED} a "
                 "backend raised or is not written yet, 130 / 143 interrupted (Ctrl-C / SIGTERM)")  # fmt: skip

console = Console(width=None if sys.stdout.isatty() else 120)  # piped output: wide enough for the tables
error_console = Console(stderr=True, soft_wrap=True)  # an error message is never wrapped mid-path


class UsageError(ValueError):
    """A command-line argument that cannot be used; printed without a traceback."""


def parse_layer_dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layer-dims takes integers separated by commas, got {text!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--layer-dims needs at least two positive sizes, got {text!r}")
    return dims


def _positive(kind: type, what: str):
    """An argparse type: `kind`(text), which must be finite and above 0, or the message `what`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


positive_float = _positive(float, "a positive finite number")
positive_int = _positive(int, "a positive integer")


def choices(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    """A comma-separated list of names, each one of `allowed`; UsageError naming the unknown ones."""
    values = [v for v in text.replace(" ", "").split(",") if v]
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise UsageError(f"unknown {what} {unknown or text!r}; choose from {list(allowed)}")
    return values


def data_parallel_backends(text: str) -> list[str]:
    """--backends with --workers: the frameworks that have a data-parallel engine. The default (every
    backend) leaves out a plugin, which has none; naming one is an error that gives its reason."""
    names = choices(text, NAMES, "backend(s)")
    without = [n for n in names if n not in ENGINES]
    if without and text != ",".join(NAMES):
        reasons = "; ".join(supports(n, "data_parallel")[1] or f"{n} has no data-parallel engine" for n in without)
        raise UsageError(f"--workers runs on {', '.join(ENGINES)} only: {reasons}")
    return [n for n in names if n in ENGINES]


def short(value: float) -> str:
    """1.5e-07 -> 1.5e-7: the tables are read across nine columns; inf and nan as they are (a quantity
    one side did not return)."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def add_selection(parser: argparse.ArgumentParser, kind: str, modes: bool = True, device: bool = True,
                  plugins: bool = True) -> None:  # fmt: skip
    """--backends, --modes, --dtypes, --device and --out, as check, bench and determinism take them; the
    default backends are all of them, or (plugins=False) the built-in four, a plugin then taken by name."""
    default = NAMES if plugins else tuple(info.name for info in BUILT_IN)
    which = "all" if plugins else "the built-in four; a plugin by name"
    parser.add_argument("--backends", default=",".join(default), metavar="A,B",
                        help=f"any of {', '.join(NAMES)} (default: {which})")  # fmt: skip
    if modes:
        parser.add_argument("--modes", default=",".join(MODE_NAMES), metavar="A,B")
    parser.add_argument("--dtypes", default="float32,float64", metavar="A,B")
    if device:
        parser.add_argument("--device", choices=DEVICES, default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results"), help=f"results go to OUT/{kind}-<time>/")
