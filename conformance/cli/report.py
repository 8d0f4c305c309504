"""`quartet report`: one self-contained HTML page of the newest check and bench results, the course
replication and the side-by-side code (report/html.py)."""

import argparse
from pathlib import Path

from ..core import environment
from ..report import html
from .common import console


def add_parser(sub) -> None:
    report = sub.add_parser("report", help="one self-contained HTML report of everything")
    report.add_argument(
        "--from",
        dest="results",
        type=Path,
        default=Path("results"),
        help="where the check-* and bench-* folders are (the newest of each is used)",
    )
    report.add_argument("--docs", type=Path, default=Path("docs"), help="where course-replication/ is")
    report.add_argument("--out", type=Path, default=Path("results"), help="report.html goes here")
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path, missing = html.write(args.results, args.docs, args.out, environment.environment())
    for what in missing:
        command = {"check": "check", "bench": "bench --quick"}.get(what, "replicate")
        console.print(f"[yellow]not in the report:[/] no {what} results (run quartet {command})")
    console.print(f"report: {path.resolve()}")
    return 0
