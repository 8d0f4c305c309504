"""What a benchmark run writes: bench.csv, bench.json (rows and metadata), bench.md (tables) and
plots, all in the run's own results folder."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import INCOMPLETE, frame_markdown, write_atomically


def label(row) -> str:
    return f"{row['backend']} {row['mode']}"


def ms(value) -> str:
    if value is None or value != value:
        return ""
    return f"{value * 1e3:.3g}"


def workload_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One workload's rows, fastest first, as the markdown and terminal tables show them."""
    rows = []
    for r in frame.sort_values("median_s", na_position="last").to_dict("records"):
        ok = r["status"] == "ok"
        rows.append({
            "backend": r["backend"], "mode": r["mode"], "dtype": r["dtype"],
            "step ms": ms(r["median_s"]) if ok else r["status"][:60],
            "IQR ms": ms(r["iqr_s"]) if ok else "",
            "GFLOP/s": f"{r['gflops']:.3g}" if ok and r.get("gflops") else "",
            "% roofline": f"{100 * r['roofline_fraction']:.0f}" if ok and r.get("roofline_fraction") else "",
            "first call s": f"{r['first_call_s']:.2f}" if r.get("first_call_s") == r.get("first_call_s") and
            r.get("first_call_s") is not None else "",
            "peak MB": f"{r['peak_mem_mb']:.0f}" if r.get("peak_mem_mb") == r.get("peak_mem_mb") and
            r.get("peak_mem_mb") is not None else "",
            "check": "" if r.get("verified") is None or r.get("verified") != r.get("verified") else
            ("pass" if r["verified"] else "FAIL"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame, meta: dict) -> str:
    env, limits = meta["environment"], meta["limits"]
    blas = env["blas"]
    lines = [
        "# Benchmark", "",
        *([] if meta.get("complete", True) else [INCOMPLETE.format(command="bench", folder=meta.get("folder", "DIR")),
                                                 ""]),
        f"{env['cpu']}, {meta['threads']} threads for every framework; {blas['library']} {blas['version']} "
        f"({blas['architecture']}); device {meta['device']}.",
        f"Machine limits measured in this run: GEMM {limits['gemm_gflops']['float32']:.1f} GFLOP/s float32, "
        f"{limits['gemm_gflops']['float64']:.1f} GFLOP/s float64 (the best of "
        f"{', '.join(limits.get('gemm_gflops_by_library', {}).get('float32', {}))} on a square product); read "
        f"bandwidth {limits['bandwidth_gbs']:.1f} GB/s from memory, {limits['cache_bandwidth_gbs']:.1f} GB/s from the "
        f"{limits['cache_bytes'] // 2**20} MiB last-level cache (each step is bounded by the read rate measured at "
        "its own working-set size).",
        "", "The timed unit is one full training step (forward, cost, backward, update), median over repeats after a",
        "warm-up; `% roofline` is the step's bound max(FLOPs / peak, bytes / bandwidth) over its median time. A row",
        "whose first step does not match the float64 reference within tolerance shows FAIL and no time.", "",
    ]  # fmt: skip
    for workload, rows in frame.groupby("workload", sort=False):
        first = rows.iloc[0]
        flops = first.get("flops")
        head = f"## {workload} (m = {first['m']}"
        head += f", {flops / 1e6:.3g} MFLOP per step)" if flops == flops and flops is not None else ")"
        lines += [head, "", frame_markdown(workload_table(rows)), ""]
    return "\n".join(lines)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def plots(frame: pd.DataFrame, out: Path) -> list[Path]:
    """Per-workload bars with IQR whiskers, step time against m and against width (log-log), and the
    fraction of roofline, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = frame[frame["status"] == "ok"].copy()
    ok["label"] = ok["backend"] + " " + ok["mode"]
    paths = []
    main = ok[ok["family"].fillna("") == ""]
    workloads = list(dict.fromkeys(main["workload"]))
    if workloads:
        fig, axes = plt.subplots(1, len(workloads), figsize=(4.2 * len(workloads), 4.2), dpi=110, squeeze=False)
        for ax, workload in zip(axes[0], workloads, strict=True):
            rows = main[main["workload"] == workload]
            labels = list(dict.fromkeys(rows["label"]))
            x = np.arange(len(labels))
            for k, dtype in enumerate(("float32", "float64")):
                sub = rows[rows["dtype"] == dtype].set_index("label").reindex(labels)
                ax.bar(x + (k - 0.5) * 0.4, sub["median_s"] * 1e3, 0.4, yerr=sub["iqr_s"] * 1e3, capsize=2,
                       label=dtype)  # fmt: skip
            ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
            ax.set_yscale("log")
            ax.set_ylabel("ms per step (median, IQR whiskers)")
            ax.set_title(workload, fontsize=10)
            ax.grid(alpha=0.3, axis="y")
        axes[0][0].legend()
        fig.tight_layout()
        paths.append(out / "bench-workloads.png")
        write_atomically(paths[-1], _png(fig))
        plt.close(fig)
    for family, xlabel in (("m", "m (samples)"), ("width", "width w of [w, w, w, 1]")):
        rows = ok[(ok["family"] == family) & (ok["dtype"] == "float32")]
        if rows.empty:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
        for name, line in rows.groupby("label"):
            xs = line["m"] if family == "m" else line["workload"].str.replace("width", "").astype(int)
            ax.loglog(xs, line["median_s"] * 1e3, marker="o", label=name, linewidth=1.2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ms per step, float32")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(out / f"bench-sweep-{family}.png")
        write_atomically(paths[-1], _png(fig))
        plt.close(fig)
    roof = main[main["roofline_fraction"].notna() & (main["dtype"] == "float32")]
    if not roof.empty:
        fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
        table = roof.astype({"roofline_fraction": float}).pivot_table(
            index="label", columns="workload", values="roofline_fraction", sort=False
        )
        table.plot.bar(ax=ax, rot=60, fontsize=7)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_ylabel("fraction of roofline bound, float32")
        ax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        paths.append(out / "bench-roofline.png")
        write_atomically(paths[-1], _png(fig))
        plt.close(fig)
    return paths


def write_bench(frame: pd.DataFrame, meta: dict, out: Path) -> dict[str, Path]:
    paths = {name: out / f"bench.{name}" for name in ("csv", "json", "md")}
    write_atomically(paths["csv"], frame.to_csv(index=False).encode())
    payload = {**meta, "rows": json.loads(frame.to_json(orient="records"))}
    write_atomically(paths["json"], json.dumps(payload, indent=1, default=str).encode())
    figures = plots(frame, out)
    goal_lines = ["## Speed goals", "", frame_markdown(pd.DataFrame(goals(frame))), ""]
    page = (
        markdown(frame, meta)
        + "\n"
        + "\n".join(goal_lines)
        + "\n"
        + "\n".join(f"![{p.stem}]({p.name})" for p in figures)
        + "\n"
    )
    write_atomically(paths["md"], page.encode())
    return paths


def goals(frame: pd.DataFrame) -> list[dict]:
    """The speed goals of the benchmark issue, each with what this run measured and whether it is met."""
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]

    def rows(workload: str, dtype: str, backends: tuple[str, ...] | None = None, mode: str | None = None):
        sel = ok[(ok["workload"] == workload) & (ok["dtype"] == dtype)]
        if backends is not None:
            sel = sel[sel["backend"].isin(backends)]
        if mode is not None:
            sel = sel[sel["mode"] == mode]
        return sel

    out = []

    def goal(text: str, value: float | None, target: float, unit: str = "x") -> None:
        measured = "not measured" if value is None or value != value else (
            f"{100 * value:.0f}%" if unit == "%" else f"{value:.2f}x")  # fmt: skip
        met = None if value is None or value != value else value >= target
        out.append({"goal": text, "target": f"{100 * target:.0f}%" if unit == "%" else f"{target:g}x",
                    "measured": measured, "met": {None: "?", True: "yes", False: "NO"}[met]})  # fmt: skip

    ours = ("numpy", "torch", "jax", "tf")
    for name in ("torch", "jax", "tf"):
        sel = rows("wide", "float32", (name,), "compiled")
        best = sel["roofline_fraction"].max() if len(sel) else None
        goal(f"wide, float32: {name} compiled, fraction of roofline", best, 0.85, "%")
    sel = rows("wide", "float32", ("numpy",))
    goal("wide, float32: NumPy reference, fraction of roofline", sel["roofline_fraction"].max() if len(sel) else None,
         0.70, "%")  # fmt: skip
    deep32 = rows("course_deep", "float32", ours)
    goal("course deep, float32: fastest of ours, fraction of roofline",
         deep32["roofline_fraction"].max() if len(deep32) else None, 0.75, "%")  # fmt: skip
    keras = rows("course_deep", "float32", ("keras/tensorflow", "keras/jax", "keras/torch"))
    goal(
        "course deep, float32: fastest Keras train_on_batch step / fastest of ours",
        keras["median_s"].min() / deep32["median_s"].min() if len(keras) and len(deep32) else None,
        2.5,
    )
    numpy64 = rows("course_deep", "float64", ("numpy",))
    sklearn = rows("course_deep", "float64", ("sklearn",))
    goal(
        "course deep, float64: scikit-learn MLPClassifier step / NumPy reference step",
        sklearn["median_s"].min() / numpy64["median_s"].min() if len(sklearn) and len(numpy64) else None,
        2.0,
    )
    numpy_planar = rows("planar", "float32", ("numpy",))
    loops = ok[(ok["workload"] == "planar") & (ok["dtype"] == "float32") & (ok["mode"] == "compiled-loop")]
    goal(
        "planar, float32: NumPy reference step / fastest compiled training loop's amortised step",
        numpy_planar["median_s"].min() / loops["median_s"].min() if len(loops) and len(numpy_planar) else None,
        5.0,
    )
    return out
