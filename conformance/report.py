"""Written results: cost-curve plots (PNG) and the course replication page (markdown)."""

import json
import os
import tempfile
from pathlib import Path

from .course import RunResult, published_tolerance


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def plot_cost_curves(curves: dict[str, list[float]], path: Path, title: str) -> Path:
    """One line per label, cost against iteration, saved as a PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=120)
    for label, costs in curves.items():
        ax.plot(range(len(costs)), costs, label=label, linewidth=1.4)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    write_atomically(path, buffer.getvalue())
    return path


def replication_markdown(results: list[RunResult], env: dict, figures: dict[str, str]) -> str:
    lines = [
        "# Course replication",
        "",
        "The course's four training runs, replayed by `quartet replicate` with the NumPy reference",
        "(`reference_numpy/`) on the course's own data, and set beside the numbers the course's",
        'notebooks printed. "match" means within half a unit of the last printed digit (and never',
        "closer than 1e-12, the rounding that separates the course's formulas from ours).",
        "",
        f"Machine: {env['cpu']}, {env['cores_usable']} cores, Python {env['python']}, "
        f"NumPy {env.get('numpy', '')} with {env['blas']['library']} {env['blas']['version']} "
        f"({env['blas']['architecture']}, {env['blas']['threads']} threads).",
        "",
    ]
    for r in results:
        run = r.run
        init = run.init if run.init == "zeros" else f"{run.init} (seed {run.seed})"
        lines += [
            f"## {run.title}",
            "",
            f"layer_dims {list(run.layer_dims)}, hidden activation {run.hidden_activation}, init {init}, "
            f"learning rate {run.learning_rate}, {r.num_iterations} iterations; "
            f"wall time {r.wall_s:.2f} s ({1e3 * r.wall_s / r.num_iterations:.2f} ms per iteration).",
            "",
            "| iteration | cost (reference) | cost (course printed) | |",
            "|---:|---:|---:|---|",
        ]
        for i, cost in r.costs.items():
            printed = run.published_costs.get(i)
            verdict = ""
            if printed is not None:
                verdict = "match" if abs(cost - float(printed)) <= published_tolerance(printed) else "DIFFERS"
            lines.append(f"| {i} | {cost:.16f} | {printed or ''} | {verdict} |")
        test = "n/a (the course scores on the training set)" if r.test_accuracy is None else f"{r.test_accuracy:.4f}"
        course_test = "n/a" if run.published_test_accuracy is None else f"{run.published_test_accuracy:.4f}"
        lines += [
            "",
            "| | reference | course |",
            "|---|---:|---:|",
            f"| train accuracy | {r.train_accuracy:.4f} | {run.published_train_accuracy:.4f} |",
            f"| test accuracy | {test} | {course_test} |",
            "",
            f"![cost curve of {run.name}]({figures[run.name]})",
            "",
        ]
    return "\n".join(lines)


def write_replication(results: list[RunResult], out_dir: Path, env: dict) -> Path:
    """docs/course-replication.md, its PNG cost curves and a JSON of the numbers."""
    out_dir = Path(out_dir)
    figures = {}
    for r in results:
        rel = f"course-replication/{r.run.name}.png"
        plot_cost_curves({"NumPy reference": r.cost_curve}, out_dir / rel, r.run.title)
        figures[r.run.name] = rel
    numbers = [
        {
            "run": r.run.name,
            "num_iterations": r.num_iterations,
            "costs": {str(i): c for i, c in r.costs.items()},
            "train_accuracy": r.train_accuracy,
            "test_accuracy": r.test_accuracy,
            "wall_s": r.wall_s,
        }
        for r in results
    ]
    write_atomically(
        out_dir / "course-replication/results.json",
        json.dumps({"environment": env, "runs": numbers}, indent=2).encode(),
    )
    page = out_dir / "course-replication.md"
    write_atomically(page, replication_markdown(results, env, figures).encode())
    return page
