"""What every command shares: the consoles, the error for an unusable argument, the argument types,
and the options that several commands take in the same words."""

import argparse
import difflib
import math
import os
import re
import sys
from pathlib import Path

from rich.console import Console

from ..core.registry import BROKEN, COURSE, DEVICES, MODE_NAMES, NAMES, supports
from ..parallel.engine import NAMES as ENGINES

# exit statuses, the same for every command (STATUSES below says them)
GREEN = 0  # done: every check passed
FAILED = 1  # a check failed: a number outside its tolerance
USAGE = 2  # unusable input: a bad option, a missing file
UNFINISHED = 3  # a backend raised, or a function of it is not written yet (a stub); named, never a traceback
# what each status means, in the words that --help, the README, docs/commands.md and cli/README.md all use
# (tests/test_docs.py holds them to it)
STATUSES = (
    (f"{GREEN}", "all green"),
    (f"{FAILED}", "a check failed"),
    (f"{USAGE}", "unusable input"),
    (f"{UNFINISHED}", "a backend raised or a function is not written yet"),
    ("130 / 143", "interrupted (Ctrl-C / SIGTERM)"),
)
EXIT_STATUSES = "exit status: " + ", ".join(f"{code} {meaning}" for code, meaning in STATUSES)


def piped_width() -> int | None:
    """A terminal's own width (None: rich asks it); piped, COLUMNS when set, else 120, wide enough for the tables."""
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 120


console = Console(width=piped_width())
error_console = Console(stderr=True, soft_wrap=True)  # an error message is never wrapped mid-path


class Formatter(argparse.HelpFormatter):
    """Every option's help shows its default, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default is not None and action.default is not False and action.default != argparse.SUPPRESS
        if action.option_strings and action.nargs != 0 and shown and "default" not in text:
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse as the conventions want it: no abbreviated options (a future option could change what a
    script's `--js` means), and a misspelled option or command answered with the usage of the command it
    was typed for and the nearest valid name."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:  # a command's own options: its usage, not the top level's
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._nearest_option(extras)}")
        return parsed, extras

    def _nearest_option(self, extras: list[str]) -> str:
        known = [option for action in self._actions for option in action.option_strings]
        for extra in extras:
            if extra.startswith("--"):
                close = difflib.get_close_matches(extra.split("=")[0], known, n=1, cutoff=0.6)
                if close:
                    return f"; did you mean {close[0]}?"
        return ""

    def error(self, message: str):
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            offered = re.findall(r"'([^']*)'", wrong.group(2))
            close = difflib.get_close_matches(wrong.group(1), offered, n=1, cutoff=0.5)
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


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


def _positive(kind: type, what: str, zero: bool = False):
    """An argparse type: `kind`(text), which must be finite and above 0 (zero: or 0), or the message `what`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and (value > 0 or (zero and value == 0))):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


positive_float = _positive(float, "a positive finite number")
positive_int = _positive(int, "a positive integer")
count = _positive(int, "a whole number, 0 or more", zero=True)
seconds_or_none = _positive(float, "a finite number of seconds, 0 or more", zero=True)


def choices(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    """A comma-separated list of names, each one of `allowed`; UsageError naming the unknown ones."""
    values = [v for v in text.replace(" ", "").split(",") if v]
    unknown = [v for v in values if v not in allowed]
    broken = [f"{v} ({BROKEN[v]})" for v in unknown if v in BROKEN]  # installed, but its plugin does not load
    if broken:
        raise UsageError(
            f"{what} {', '.join(broken)}: installed but not loaded; fix the plugin, then `quartet doctor` lists it"
        )
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


def add_selection(
    parser: argparse.ArgumentParser,
    kind: str,
    modes: bool = True,
    device: bool = True,
    plugins: bool = True,
    cache: bool = True,
) -> None:
    """--backends, --modes, --dtypes, --device and --out, as check, bench and determinism take them, and
    --no-cache where a run may load what an earlier one compiled (cache=False: the benchmark, whose
    compile times must be compile times); the default backends are all of them, or (plugins=False) the
    built-in four, a plugin then taken by name."""
    default = NAMES if plugins else COURSE
    which = "all" if plugins else "the built-in four; a plugin by name"
    parser.add_argument(
        "--backends", default=",".join(default), metavar="A,B", help=f"any of {', '.join(NAMES)} (default: {which})"
    )
    if modes:
        parser.add_argument(
            "--modes", default=",".join(MODE_NAMES), metavar="A,B", help="any of these; a backend runs the modes it has"
        )
    parser.add_argument("--dtypes", default="float32,float64", metavar="A,B", help="any of these")
    if device:
        parser.add_argument("--device", choices=DEVICES, default="cpu", help="where the frameworks run")
    parser.add_argument("--out", type=Path, default=Path("results"), help=f"results go to OUT/{kind}-<time>/")
    if cache:
        add_cache_option(parser)


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """--no-cache: compile everything afresh and keep nothing (conformance/core/caches.py)."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compile afresh: no persistent compilation cache (default: JAX's and PyTorch's in "
        "~/.cache/quartet; quartet doctor shows them)",
    )
