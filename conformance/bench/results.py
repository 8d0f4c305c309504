"""What a benchmark run writes: bench.csv, bench.json (rows and metadata), bench.md (tables) and
plots, all in the run's own results folder."""

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import INCOMPLETE, frame_markdown, write_atomically
from . import between
from .between import Spread, widen
from .gpu_page import gpu_limits, launch_costs
from .roofline import round_fractions
from .timing import ratio_interval, verdict


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
            "x own products": f"{r['over_products']:.2f}" if ok and r.get("over_products") == r.get("over_products")
            and r.get("over_products") is not None else "",
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
        *(gpu_limits(env, limits, meta) if meta["device"] == "gpu" else [
        f"{env['cpu']}, {meta['threads']} threads for every framework; {blas['library']} {blas['version']} "
        f"({blas['architecture']}); device {meta['device']}.",
        f"Machine limits measured in this run: GEMM {limits['gemm_gflops']['float32']:.1f} GFLOP/s float32, "
        f"{limits['gemm_gflops']['float64']:.1f} GFLOP/s float64 (the best of "
        f"{', '.join(limits.get('gemm_gflops_by_library', {}).get('float32', {}))} on a square product); read "
        f"bandwidth {limits['bandwidth_gbs']:.1f} GB/s from memory, {limits['cache_bandwidth_gbs']:.1f} GB/s from the "
        f"{limits['cache_bytes'] // 2**20} MiB last-level cache (each step is bounded by the read rate measured at "
        "its own working-set size)."]),
        "", "The timed unit is one full training step (forward, cost, backward, update). Every row of a workload",
        f"and the GEMM probe are timed once per round, {_round_count(frame)} rounds, each in a shuffled order, so "
        "that every row meets the machine's fast and slow spells alike" + _spread_note(frame) + "; a row's "
        "`step ms` is the median of its",
        "per-round medians, `% roofline` the median over rounds of the step's bound max(FLOPs / that round's GEMM",
        "peak, bytes / bandwidth) over that round's time. A row whose first step (for a compiled loop: the timed",
        "loop itself) does not match the float64 reference within tolerance shows FAIL and no time.", "",
        *_probe_spread(frame),
    ]  # fmt: skip
    for workload, rows in frame.groupby("workload", sort=False):
        first = rows.iloc[0]
        flops = first.get("flops")
        head = f"## {workload} (m = {first['m']}"
        head += f", {flops / 1e6:.3g} MFLOP per step)" if flops == flops and flops is not None else ")"
        lines += [head, "", frame_markdown(workload_table(rows)), ""]
    return "\n".join(lines)


def _round_count(frame: pd.DataFrame) -> int:
    counts = [len(r) for r in (_rounds(row) for row in frame.to_dict("records")) if r]
    return max(counts, default=1)


def _spread_note(frame: pd.DataFrame) -> str:
    """How the rounds were spread over fresh processes, when they were."""
    labels = {int(v) for r in frame.to_dict("records") for v in (_rounds(r, "round_process") or [])}
    if len(labels) < 2:
        return ""
    return (
        f", shared out over {len(labels)} fresh processes started one after another (so each workload's rounds "
        "span the run, and every interval resamples processes, then rounds within them: what one process's "
        "state does to its rounds is in the interval)"
    )


def _probe_spread(frame: pd.DataFrame) -> list[str]:
    """The machine's own noise: how far the GEMM probe moved over the rounds of each workload."""
    lines = []
    for workload, rows in frame[frame["family"].fillna("") == ""].groupby("workload", sort=False):
        for dtype in ("float32", "float64"):
            probes = [_rounds(r, "round_gemm_gflops") for r in rows[rows["dtype"] == dtype].to_dict("records")]
            probes = [p for p in probes if p]
            if probes:
                lo, hi = min(probes[0]), max(probes[0])
                lines.append(f"{workload} {dtype}: {lo:.1f} to {hi:.1f} GFLOP/s ({100 * (hi / lo - 1):.0f} % apart)")
    if not lines:
        return []
    return ["The machine's own noise, the GEMM probe's rate over the rounds: " + "; ".join(lines) + ".", ""]


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
    spread, spread_note = between.for_run(meta)
    found = pd.DataFrame(goals(frame, spread)).drop(columns="value")
    if meta.get("device") == "gpu":  # the goals that need NumPy, TensorFlow or the peers are CPU goals
        found = found[found["verdict"] != "?"]
        costs = launch_costs(frame)
        goal_lines = ["## What launching costs", "",
                      "ms per float32 step; eager and compiled run one step per call, `cuda-graphs` is "
                      "torch.compile's \"reduce-overhead\" (each compiled graph replayed as a CUDA graph), "
                      "`compiled-loop` the whole training loop in one call, divided by its steps.", "",
                      frame_markdown(costs), ""] if len(costs) else []  # fmt: skip
    else:
        goal_lines = []
    goal_lines += ["## Speed goals", "", "A verdict is met when the whole 95 % interval clears the target, missed "
                   f"when the whole interval is on the wrong side, within noise otherwise; {spread_note}.", "",
                   frame_markdown(found), ""]  # fmt: skip
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


def goals(frame: pd.DataFrame, spread: Spread | None = None) -> list[dict]:
    """The speed goals, each with what this run measured: the median of its per-round values (a ratio of
    two rows timed in the same round, or a fraction of that round's roofline) with a bootstrap 95 %
    interval, widened by this machine's spread between runs when there is one (between.py), and a
    verdict: met (the whole interval clears the target), missed (wholly below) or within noise. A Keras
    row ran in its own process: its ratios are unpaired (ratio_interval)."""
    spread = spread or Spread("", [], {}, {})
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]

    def best(workload: str, dtype: str, backends: tuple[str, ...] | None = None, mode: str | None = None):
        """The fastest matching row (by its median), or None."""
        sel = ok[(ok["workload"] == workload) & (ok["dtype"] == dtype)]
        if backends is not None:
            sel = sel[sel["backend"].isin(backends)]
        sel = sel[sel["mode"] == mode] if mode is not None else sel[sel["mode"] != "products alone"]  # a bound
        return None if sel.empty else sel.loc[sel["median_s"].astype(float).idxmin()].to_dict()

    out = []

    def goal(text: str, target: float, unit: str, found: tuple | None, at_most: bool = False) -> None:
        """found: (this run's interval, the between-run sigma of its workload and rows), or None; the
        interval is widened by that sigma or the goal's own between runs, whichever is larger."""
        shown = (lambda v: f"{100 * v:.0f}%") if unit == "%" else (lambda v: f"{v:.2f}x")
        if found is None:
            measured, met, value = "not measured", "?", None
        else:
            interval, sigma = found
            centre, low, high = widen(interval, max(sigma, spread.by_goal.get(text, 0.0)))
            measured, met = f"{shown(centre)} [{shown(low)}, {shown(high)}]", verdict(low, high, target, at_most)
            value = centre
        out.append({"goal": text, "target": ("at most " if at_most else "") + shown(target),
                    "measured (95% interval)": measured, "verdict": met, "value": value})  # fmt: skip

    def fraction(row) -> tuple | None:
        if row is None:
            return None
        values = (
            round_fractions(row) if _rounds(row) and _rounds(row, "round_gemm_gflops") else [row["roofline_fraction"]]
        )
        interval = ratio_interval(values, [1.0] * len(values), processes=processes_of(row, len(values)))
        return interval, spread.of(row["workload"], "fraction of roofline", ((row["backend"], row["mode"]),))

    def ratio(slow, fast) -> tuple | None:
        """slow / fast: how many times faster `fast` is, round by round where both ran in the same rounds."""
        if slow is None or fast is None:
            return None
        a, b = _rounds(slow) or [slow["median_s"]], _rounds(fast) or [fast["median_s"]]
        paired = (
            not slow["backend"].startswith("keras/") and not fast["backend"].startswith("keras/") and len(a) == len(b)
        )
        interval = ratio_interval(a, b, paired=paired, processes=processes_of(slow, len(a)),
                                  processes_b=processes_of(fast, len(b)))  # fmt: skip
        rows = ((slow["backend"], slow["mode"]), (fast["backend"], fast["mode"]))
        return interval, spread.of(slow["workload"], "step / own products", rows)

    ours = ("numpy", "torch", "jax", "tf")
    for name in ("torch", "jax", "tf"):
        goal(f"wide, float32: {name} compiled, fraction of roofline", 0.85, "%",
             fraction(best("wide", "float32", (name,), "compiled")))  # fmt: skip
    goal(
        "wide, float32: NumPy reference, fraction of roofline", 0.70, "%", fraction(best("wide", "float32", ("numpy",)))
    )
    fastest = best("course_deep", "float32", ours)
    own = None if fastest is None else best("course_deep", "float32", (fastest["backend"],), "products alone")
    goal(f"course deep, float32: fastest of ours ({'' if fastest is None else label(fastest)}) / its own matrix "
         "products alone", 1.10, "x", ratio(fastest, own), at_most=True)  # fmt: skip
    # like with like: a peer's per-call step (train_on_batch, partial_fit, optim.SGD) against our fastest
    # per-call step, not against a whole compiled loop
    per_step = ok[(ok["workload"] == "course_deep") & (ok["dtype"] == "float32") & ok["backend"].isin(ours)
                  & ~ok["mode"].isin(["compiled-loop", "products alone"])]  # fmt: skip
    step = None if per_step.empty else per_step.loc[per_step["median_s"].astype(float).idxmin()].to_dict()
    for peer in ("keras/tensorflow", "keras/jax", "keras/torch", "torch.nn", "sklearn"):
        row = best("course_deep", "float32", (peer,))
        if row is not None:
            goal(f"course deep, float32: {peer} step / our fastest step ({label(step) if step else ''})", 1.0, "x",
                 ratio(row, step))  # fmt: skip
    loops = ok[(ok["workload"] == "course_deep") & (ok["dtype"] == "float32")]
    keras_loop, our_loop = loops[loops["mode"] == "fit loop"], loops[loops["mode"] == "compiled-loop"]
    if len(keras_loop) and len(our_loop):  # whole loops against whole loops
        fastest_fit = keras_loop.loc[keras_loop["median_s"].astype(float).idxmin()].to_dict()
        fastest_loop = our_loop.loc[our_loop["median_s"].astype(float).idxmin()].to_dict()
        goal(f"course deep, float32: {fastest_fit['backend']} fit loop step / our fastest compiled loop step "
             f"({label(fastest_loop)})", 1.0, "x", ratio(fastest_fit, fastest_loop))  # fmt: skip
    goal("course deep, float64: scikit-learn MLPClassifier step / NumPy reference step", 2.0, "x",
         ratio(best("course_deep", "float64", ("sklearn",)), best("course_deep", "float64", ("numpy",))))  # fmt: skip
    loops = ok[(ok["workload"] == "planar") & (ok["dtype"] == "float32") & (ok["mode"] == "compiled-loop")]
    fastest = fastest_per_round(loops.to_dict("records"))
    goal(f"planar, float32: NumPy reference step / fastest compiled training loop's amortised step "
         f"({'' if fastest is None else label(fastest)})", 5.0, "x",
         ratio(best("planar", "float32", ("numpy",)), fastest))  # fmt: skip
    return out


def fastest_per_round(rows: list[dict]) -> dict | None:
    """The fastest of rows timed in the same rounds, round by round: in each round the quickest of them
    (one that is fast in most rounds and twice as slow in a few is not the fastest in those); the one
    row when there is one, None when there is none."""
    if len(rows) < 2 or len({len(_rounds(r) or []) for r in rows}) != 1 or not _rounds(rows[0]):
        return rows[0] if rows else None
    each = np.min([_rounds(r) for r in rows], axis=0)
    names = sorted({r["backend"] for r in rows})
    return {**rows[0], "backend": ", ".join(names), "mode": f"{rows[0]['mode']}, fastest in each round",
            "round_s": [float(v) for v in each], "median_s": float(np.median(each))}  # fmt: skip


def goal_key(text: str) -> str:
    """A goal without the row it picked ("fastest of ours (jax compiled-loop)"): the same goal in every run."""
    return re.sub(r" \([^)]*\)", "", text)


def processes_of(row: dict, rounds: int) -> list[int] | None:
    """The process each of a row's `rounds` rounds ran in, or None (one process, or a run from before
    rounds were spread over processes)."""
    labels = _rounds(row, "round_process")
    return [int(v) for v in labels] if labels and len(labels) == rounds else None


def _rounds(row: dict, key: str = "round_s") -> list[float] | None:
    """A row's per-round values (a list, or its JSON text after a CSV), or None when it has none."""
    value = row.get(key)
    if isinstance(value, str):
        value = json.loads(value)
    return [float(v) for v in value] if isinstance(value, list | tuple) and len(value) else None
