"""`quartet mutate`: mutation testing of the check. Every mutant (conformance/check/mutation.py) of the chosen
implementation files, or a seeded sample of them, checked by `quartet check --quick` in a scratch copy;
a table of killed and survived per file, and every survivor by file, line and change."""

import argparse
from pathlib import Path

import pandas as pd
from rich.table import Table

from ..check import mutation
from ..run.files import frame_markdown, fresh_results_dir, write_atomically
from ..run.runner import progress_bar
from .common import UsageError, choices, console, positive_int


def add_parser(sub) -> None:
    parser = sub.add_parser("mutate", help="mutation testing: how many seeded bugs quartet check --quick catches")
    parser.add_argument(
        "--files",
        default=",".join(mutation.FILES),
        metavar="A,B",
        help="implementation files to mutate (default: every one)",
    )
    parser.add_argument(
        "--sample",
        type=positive_int,
        default=None,
        metavar="N",
        help="a seeded sample of N mutants (default: every one)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the seed of --sample")
    parser.add_argument(
        "--changes",
        default="",
        metavar="A,B",
        help="only the mutants whose change contains one of these words, e.g. "
        "'record_every,first call' (default: every change)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants, run none")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results go to OUT/mutate-<time>/")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    chosen = mutation.sample(choices(args.files, tuple(mutation.FILES), "file(s)"), args.sample, args.seed)
    chosen = mutation.with_changes(chosen, args.changes)
    if not chosen:
        raise UsageError(f"--changes: no mutant's change contains any of {args.changes!r}")
    if args.list:
        for m in chosen:
            console.print(f"{m.file}:{m.line}  {m.description}", highlight=False)
        console.print(f"{len(chosen)} mutants")
        return 0
    rows = []
    with progress_bar(console) as progress:
        task = progress.add_task("mutants", total=len(chosen))
        for m in chosen:
            progress.update(task, description=f"{m.file}:{m.line} {m.description}")
            verdict, seconds = mutation.run(m)
            witness = f"numpy, {mutation.witness(m.file)}"
            rows.append(
                {
                    "file": m.file,
                    "line": m.line,
                    "change": m.description,
                    "checked on": witness,
                    "verdict": verdict,
                    "seconds": round(seconds, 1),
                }
            )
            progress.advance(task)
    frame = pd.DataFrame(rows)
    per_file = frame.groupby("file", sort=False)["verdict"].value_counts().unstack(fill_value=0)
    per_file = per_file.reindex(columns=["killed", "survived"], fill_value=0).reset_index()
    table = Table(title="mutants killed by quartet check --quick", title_justify="left")
    for column in per_file.columns:
        table.add_column(column, justify="left" if column == "file" else "right")
    for record in per_file.itertuples(index=False):
        table.add_row(*map(str, record))
    console.print(table)
    survivors = frame[frame["verdict"] == "survived"]
    for r in survivors.itertuples():
        console.print(f"[yellow]survived[/] {r.file}:{r.line}  {r.change}", highlight=False)
    out = fresh_results_dir(args.out, "mutate")
    write_atomically(out / "mutation.csv", frame.to_csv(index=False).encode())
    killed = int((frame["verdict"] == "killed").sum())
    head = f"{len(frame)} mutants (seed {args.seed}), {killed} killed by `quartet check --quick`."
    listed = frame_markdown(survivors) if len(survivors) else "none"
    page = f"# Mutation testing\n\n{head}\n\n{frame_markdown(per_file)}\n\n## Survivors\n\n{listed}\n"
    write_atomically(out / "mutation.md", page.encode())
    console.print(f"wrote {out / 'mutation.md'} (and mutation.csv)")
    return 0
