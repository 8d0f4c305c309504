"""What the course's runs write: cost-curve plots (PNG) and the course replication page (markdown)."""

import io
import json
from pathlib import Path

import numpy as np

from ..check.course import RunResult, published_tolerance
from ..check.tolerances import tolerance
from ..core.spec import ModelSpec
from ..run.files import write_atomically


def plot_cost_curves(curves: dict[str, list[float]], path: Path, title: str) -> Path:
    """Cost against iteration, one line per label, saved as a PNG. With several curves, a second panel
    shows each one's |J - J_first| on a log scale: the curves themselves lie on top of each other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    several = len(curves) > 1
    fig, axes = plt.subplots(1, 2 if several else 1, figsize=(11 if several else 6.4, 3.6), dpi=120, squeeze=False)
    ax = axes[0, 0]
    for label, costs in curves.items():
        ax.plot(range(len(costs)), costs, label=label, linewidth=1.2, alpha=0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if several:
        ax.legend()
        first_label, first = next(iter(curves.items()))
        diff_ax = axes[0, 1]
        for label, costs in list(curves.items())[1:]:
            diff = np.abs(np.asarray(costs) - np.asarray(first[: len(costs)]))
            diff_ax.semilogy(range(len(costs)), np.maximum(diff, 1e-18), label=label, linewidth=0.8)
        diff_ax.set_xlabel("iteration")
        diff_ax.set_ylabel(f"|J - J({first_label})|  (1e-18 = equal)")
        diff_ax.set_title("difference from the first curve", fontsize=10)
        diff_ax.grid(alpha=0.3)
        diff_ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    write_atomically(path, buffer.getvalue())
    return path


def framework_table(ref: RunResult, others: list[RunResult]) -> list[str]:
    """Every framework's float64 run of the same course run, against the NumPy reference's."""
    run = ref.run
    spec = ModelSpec(run.model, run.layer_dims, run.hidden_activation if run.model == "deep" else "relu")
    m = 209 if run.dataset == "cat" else 400
    tol = tolerance(f"cost@{ref.num_iterations}", "float64", spec, m, ref.num_iterations).rtol
    lines = [
        f"Every framework, float64, from the same initial weights (tolerance for the cost curve: {tol:.1e}"
        " relative, from conformance/check/tolerances.py):",
        "",
        "| framework | mode | final cost | max abs difference from NumPy, all iterations | first iteration "
        "beyond tolerance | train acc. | test acc. | wall time |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [ref, *others]:
        n = min(len(r.cost_curve), len(ref.cost_curve))
        diffs = [abs(a - b) for a, b in zip(r.cost_curve[:n], ref.cost_curve[:n], strict=True)]
        scale = max(abs(c) for c in ref.cost_curve[:n])
        test = "n/a" if r.test_accuracy is None else f"{r.test_accuracy:.4f}"
        beyond = [i for i, d in enumerate(diffs) if d > tol * scale]
        verdict = f"**{beyond[0]}** (before it: {max(diffs[: beyond[0]], default=0.0):.1e})" if beyond else "none"
        diff = max(diffs)
        accuracy_same = r.train_accuracy == ref.train_accuracy and r.test_accuracy == ref.test_accuracy
        lines.append(
            f"| {r.framework} | {r.mode} | {r.cost_curve[-1]:.16f} | {diff:.1e} | {verdict} "
            f"| {r.train_accuracy:.4f}{'' if accuracy_same else ' (differs)'} | {test} | {r.wall_s:.1f} s |"
        )
    return [*lines, ""]


def replication_markdown(
    results: list[RunResult], env: dict, figures: dict[str, str], others: dict[str, list[RunResult]] | None = None
) -> str:
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
        ]
        if others and others.get(run.name):
            lines += framework_table(r, others[run.name])
            if run.note:
                lines += [run.note, ""]
        lines += [f"![cost curve of {run.name}]({figures[run.name]})", ""]
    return "\n".join(lines)


def write_replication(
    results: list[RunResult], out_dir: Path, env: dict, others: dict[str, list[RunResult]] | None = None
) -> Path:
    """docs/course-replication.md, its PNG cost curves and a JSON of the numbers; `others` holds each
    run replayed in the other frameworks."""
    out_dir = Path(out_dir)
    others = others or {}
    figures = {}
    for r in results:
        rel = f"course-replication/{r.run.name}.png"
        curves = {"numpy": r.cost_curve} | {
            f"{o.framework} ({o.mode})": o.cost_curve for o in others.get(r.run.name, [])
        }
        plot_cost_curves(curves, out_dir / rel, r.run.title)
        figures[r.run.name] = rel
    numbers = [
        {
            "run": r.run.name,
            "framework": r.framework,
            "mode": r.mode,
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
    write_atomically(page, replication_markdown(results, env, figures, others).encode())
    return page
