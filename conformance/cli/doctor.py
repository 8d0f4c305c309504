"""`quartet doctor`: which frameworks, versions, threads, BLAS and devices are here."""

import argparse
import json

from rich.markup import escape
from rich.table import Table

from ..core import caches, environment, registry
from .common import console


def add_parser(sub) -> None:
    parser = sub.add_parser("doctor", help="which frameworks, versions, threads, BLAS and devices are here")
    parser.add_argument("--json", action="store_true", help="print the environment as JSON")
    parser.add_argument(
        "--clear-cache",
        action="store_true",
        help="remove the compilation caches (~/.cache/quartet, or $QUARTET_CACHE_DIR)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.clear_cache:
        folders, size = caches.clear()
        console.print(f"removed {folders} cache folders ({size / 1e6:.1f} MB) from {caches.root()}", highlight=False)
        return 0
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
    console.print(backends_table())
    console.print(caches_table())
    for name, reason in registry.BROKEN.items():
        console.print(f"[bold red]plugin {name} not loaded:[/] {escape(reason)}")
    return 0


def backends_table() -> Table:
    """Every backend quartet can check, built-in or plugin (docs/plugins.md), with what it declares."""
    table = Table(title="backends (quartet check --backends NAME)", title_justify="left")
    for column in ("backend", "package", "from", "modes", "dtypes", "devices", "here"):
        table.add_column(column)
    for name, info in registry.BACKENDS.items():
        ok, reason = registry.framework_status(name)
        table.add_row(
            name,
            info.package,
            info.plugin or "built in",
            ", ".join(info.modes),
            ", ".join(info.dtypes),
            ", ".join(info.devices),
            "yes" if ok else f"[red]{escape(reason)}[/]",
        )
    return table


def caches_table() -> Table:
    """Where each framework's persistent compilation cache is and how large (conformance/core/caches.py)."""
    table = Table(
        title=f"compilation caches (quartet check --no-cache runs without; doctor --clear-cache "
        f"empties {caches.root()})",
        title_justify="left",
    )
    for column in ("framework", "folder", "files", "MB", "note"):
        table.add_column(column, justify="right" if column in ("files", "MB") else "left")
    for cache in caches.report():
        table.add_row(
            cache.framework,
            escape(cache.folder.name) if cache.folder else "off",
            str(cache.files),
            f"{cache.size / 1e6:.1f}",
            escape(cache.note),
        )
    return table
