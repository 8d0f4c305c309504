"""`quartet doctor`: which frameworks, versions, threads, BLAS and devices are here."""

import argparse
import json

from rich.table import Table

from .. import environment
from .common import console


def add_parser(sub) -> None:
    parser = sub.add_parser("doctor", help="which frameworks, versions, threads, BLAS and devices are here")
    parser.add_argument("--json", action="store_true", help="print the environment as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
