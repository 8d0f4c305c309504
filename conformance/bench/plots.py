"""A benchmark run's figures: each workload's bars with IQR whiskers, step time against m and against the width
(log-log), and each row's fraction of its roofline bound, as PNGs."""

import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.registry import DTYPES
from ..run.files import write_atomically


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None}, bbox_inches="tight")  # no label cut off
    return buffer.getvalue()


def plots(frame: pd.DataFrame, out: Path) -> list[Path]:
    """Per-workload bars with IQR whiskers, step time against m and against width (log-log), and the
    fraction of roofline, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = frame[frame["status"] == "ok"].copy()
    ok["label"] = ok["backend"] + " " + ok["mode"]
    main = ok[ok["family"].fillna("") == ""]
    figures = {"bench-workloads.png": _workload_bars(plt, main)}
    for family, xlabel in (("m", "m (samples)"), ("width", "width w of [w, w, w, 1]")):
        figures[f"bench-sweep-{family}.png"] = _sweep(
            plt, ok[(ok["family"] == family) & (ok["dtype"] == "float32")], family, xlabel
        )
    figures["bench-roofline.png"] = _roofline(
        plt, main[main["roofline_fraction"].notna() & (main["dtype"] == "float32")]
    )
    paths = []
    for name, fig in figures.items():
        if fig is None:
            continue
        fig.tight_layout()
        paths.append(out / name)
        write_atomically(paths[-1], _png(fig))
        plt.close(fig)
    return paths


def _workload_bars(plt, main: pd.DataFrame):
    """One panel per workload: ms per step of each row, a bar per dtype, IQR whiskers; None without rows."""
    workloads = list(dict.fromkeys(main["workload"]))
    if not workloads:
        return None
    fig, axes = plt.subplots(1, len(workloads), figsize=(4.2 * len(workloads), 4.2), dpi=110, squeeze=False)
    for ax, workload in zip(axes[0], workloads, strict=True):
        rows = main[main["workload"] == workload]
        labels = list(dict.fromkeys(rows["label"]))
        x = np.arange(len(labels))
        for k, dtype in enumerate(DTYPES):
            sub = rows[rows["dtype"] == dtype].set_index("label").reindex(labels)
            ax.bar(x + (k - 0.5) * 0.4, sub["median_s"] * 1e3, 0.4, yerr=sub["iqr_s"] * 1e3, capsize=2, label=dtype)
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("ms per step (median, IQR whiskers)")
        ax.set_title(workload, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    axes[0][-1].legend(title="dtype", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, not on them
    return fig


def _sweep(plt, rows: pd.DataFrame, family: str, xlabel: str):
    """ms per step against m or the width, log-log, a line per row; None without rows."""
    if rows.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for name, line in rows.groupby("label"):
        xs = line["m"] if family == "m" else line["workload"].str.replace("width", "").astype(int)
        ax.loglog(xs, line["median_s"] * 1e3, marker="o", label=name, linewidth=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ms per step, float32")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def _roofline(plt, roof: pd.DataFrame):
    """Each row's fraction of its roofline bound, a bar per workload; None without rows."""
    if roof.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    table = roof.astype({"roofline_fraction": float}).pivot_table(
        index="label", columns="workload", values="roofline_fraction", sort=False
    )
    table.plot.bar(ax=ax, fontsize=7)
    ax.set_xticks(range(len(table.index)), table.index, rotation=60, ha="right")
    ax.legend(title="workload", fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_ylabel("fraction of roofline bound, float32")
    ax.grid(alpha=0.3, axis="y")
    return fig
