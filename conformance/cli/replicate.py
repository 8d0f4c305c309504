"""`quartet replicate`: the course's four runs replayed in NumPy and in every framework (float64), written
to docs/course-replication.md."""

import argparse
from pathlib import Path

from ..check import course
from ..core import backends, environment
from ..core.registry import AUTODIFF, MODE_NAMES
from ..report.course import write_replication
from ..run.runner import progress_bar
from .common import UsageError, add_cache_option, choices, console
from .train import COST


def add_parser(sub) -> None:
    replicate = sub.add_parser("replicate", help="replay the course's four runs and write the replication page")
    replicate.add_argument("runs", nargs="*", metavar="RUN", help=f"some of {list(course.RUNS)} (default: all)")
    replicate.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory of the *_catvnoncat.h5 files (default: $QUARTET_DATA_DIR or ../shared/data/catvnoncat "
        "beside this checkout)",
    )
    replicate.add_argument("--out", type=Path, default=Path("docs"), help="where course-replication.md goes")
    replicate.add_argument(
        "--frameworks",
        default="torch,jax,tf",
        metavar="A,B",
        help="replay in these too, float64 (empty: the NumPy reference only)",
    )
    replicate.add_argument(
        "--mode", default="compiled", choices=MODE_NAMES[:2], help="mode for the frameworks (default compiled)"
    )
    add_cache_option(replicate)
    replicate.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = args.runs or list(course.RUNS)
    unknown = [n for n in names if n not in course.RUNS]
    if unknown:
        raise UsageError(f"unknown course run(s) {unknown}; choose from {list(course.RUNS)}")
    frameworks = choices(args.frameworks, AUTODIFF, "framework(s)") if args.frameworks else []
    results, others = [], {}
    with progress_bar(console, COST) as progress:
        for name in names:
            run = course.RUNS[name]
            task = progress.add_task(name, total=run.num_iterations, cost=float("nan"))
            result = course.replay(
                run, data_dir=args.data_dir, callback=lambda i, c, t=task: progress.update(t, advance=1, cost=c)
            )
            results.append(result)
            others[name] = []
            for framework in frameworks:
                ok, reason = backends.framework_status(framework)
                if not ok:
                    progress.console.print(f"{framework}: skipped, {reason}")
                    continue
                mode = args.mode if args.mode in backends.MODES[framework] else "eager"
                task = progress.add_task(f"{name} {framework} {mode}", total=1, cost=float("nan"))
                other = course.replay_in(run, framework, mode, data_dir=args.data_dir)
                progress.update(task, completed=1, cost=other.cost_curve[-1])
                others[name].append(other)
    page = write_replication(results, Path(args.out), environment.environment(include_frameworks=False), others)
    console.print(f"wrote {page}")
    return 0
