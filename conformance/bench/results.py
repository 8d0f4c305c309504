"""What a benchmark run writes: bench.csv, bench.json (rows and metadata), bench.md (tables) and
plots, all in the run's own results folder."""

import json
from pathlib import Path

import pandas as pd

from ..core.registry import DTYPES
from ..run.files import INCOMPLETE, frame_markdown, write_atomically
from . import between, profile, vectorisation
from .goals import decided, goals, rounds_of, sections
from .gpu_page import gpu_limits, launch_section
from .plots import plots


def ms(value) -> str:
    if value is None or value != value:
        return ""
    return f"{value * 1e3:.3g}"


def workload_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One workload's rows, fastest first, as the markdown and terminal tables show them."""
    rows = []
    for r in frame.sort_values("median_s", na_position="last").to_dict("records"):
        ok = r["status"] == "ok"
        rows.append(
            {
                "backend": r["backend"],
                "mode": r["mode"],
                "dtype": r["dtype"],
                "step ms": ms(r["median_s"]) if ok else r["status"][:60],
                "IQR ms": ms(r["iqr_s"]) if ok else "",
                "GFLOP/s": f"{r['gflops']:.3g}" if ok and r.get("gflops") else "",
                "% roofline": f"{100 * r['roofline_fraction']:.0f}" if ok and r.get("roofline_fraction") else "",
                "x own products": f"{r['over_products']:.2f}"
                if ok and r.get("over_products") == r.get("over_products") and r.get("over_products") is not None
                else "",
                "first call s": f"{r['first_call_s']:.2f}"
                if r.get("first_call_s") == r.get("first_call_s") and r.get("first_call_s") is not None
                else "",
                "peak MB": f"{r['peak_mem_mb']:.0f}"
                if r.get("peak_mem_mb") == r.get("peak_mem_mb") and r.get("peak_mem_mb") is not None
                else "",
                "check": ""
                if r.get("verified") is None or r.get("verified") != r.get("verified")
                else ("pass" if r["verified"] else "FAIL"),
            }
        )
    return pd.DataFrame(rows)


def extra_rounds(frame: pd.DataFrame) -> str:
    """ ", after N extra rounds for the goals the first rounds left within noise (--decide)", or ""."""
    if "extra_rounds" not in frame or not frame["extra_rounds"].notna().any():
        return ""
    per_workload = frame.groupby("workload")["extra_rounds"].max()
    total = int(per_workload.fillna(0).sum())
    return f", after {total} extra rounds for the goals the first rounds left within noise (--decide)" if total else ""


def markdown(frame: pd.DataFrame, meta: dict) -> str:
    env, limits = meta["environment"], meta["limits"]
    blas = env["blas"]
    lines = [
        "# Benchmark",
        "",
        *(
            []
            if meta.get("complete", True)
            else [INCOMPLETE.format(command="bench", folder=meta.get("folder", "DIR")), ""]
        ),
        *(
            gpu_limits(env, limits, meta)
            if meta["device"] == "gpu"
            else [
                f"{env['cpu']}, {meta['threads']} threads for every framework; {blas['library']} {blas['version']} "
                f"({blas['architecture']}); device {meta['device']}.",
                f"Machine limits measured in this run: GEMM {limits['gemm_gflops']['float32']:.1f} GFLOP/s float32, "
                f"{limits['gemm_gflops']['float64']:.1f} GFLOP/s float64 (the best of "
                f"{', '.join(limits.get('gemm_gflops_by_library', {}).get('float32', {}))} on a square product); read "
                f"bandwidth {limits['bandwidth_gbs']:.1f} GB/s from memory, "
                f"{limits['cache_bandwidth_gbs']:.1f} GB/s from the {limits['cache_bytes'] // 2**20} MiB last-level "
                "cache (each step is bounded by the read rate measured at its own working-set size).",
                "Machine fingerprint (what a spread between runs measured elsewhere must match): "
                + "; ".join(f"{k} {v}" for k, v in between.fingerprint(meta).items())
                + ".",
            ]
        ),
        "",
        "The timed unit is one full training step (forward, cost, backward, update). Every row of a workload",
        f"and the GEMM probe are timed once per round, {_round_count(frame)} rounds, each in a shuffled order, so "
        "that every row meets the machine's fast and slow spells alike" + _spread_note(frame) + "; a row's "
        "`step ms` is the median of its",
        "per-round medians, `% roofline` the median over rounds of the step's bound max(FLOPs / that round's GEMM",
        "peak, bytes / bandwidth) over that round's time. A row whose first step (for a compiled loop: the timed",
        "loop itself) does not match the float64 reference within tolerance shows FAIL and no time.",
        "",
        *_probe_spread(frame),
    ]
    for workload, rows in frame.groupby("workload", sort=False):
        first = rows.iloc[0]
        flops = first.get("flops")
        head = f"## {workload} (m = {first['m']}"
        head += f", {flops / 1e6:.3g} MFLOP per step)" if flops == flops and flops is not None else ")"
        lines += [head, "", frame_markdown(workload_table(rows)), ""]
    return "\n".join(lines)


def own_products(frame: pd.DataFrame) -> list[str]:
    """What each library's matrix products alone reach on this machine (the wide net in float32), and
    which are slow here and by how much: what no code of ours can change."""
    alone = frame[
        (frame["mode"] == "products alone")
        & (frame["status"] == "ok")
        & (frame["dtype"] == "float32")
        & frame["roofline_fraction"].notna()
    ]
    if alone.empty:
        return []
    workload = "wide"  # compute-bound: the products fill the cores, what they reach is the library's rate
    rows = alone[alone["workload"] == workload].sort_values("roofline_fraction", ascending=False)
    if rows.empty:
        return []
    best = rows.iloc[0]
    each = ", ".join(f"{r.backend} {100 * r.roofline_fraction:.0f} %" for r in rows.itertuples())
    slow = [
        f"{r.backend}'s {best.roofline_fraction / r.roofline_fraction:.1f}x slower than {best.backend}'s"
        for r in rows.iloc[1:].itertuples()
        if best.roofline_fraction / r.roofline_fraction > 1.2
    ]
    return [
        f"What each library's own matrix products reach here, alone, on {workload} in float32 (the roofline "
        f"fractions in the tables are these libraries' as much as ours): {each} of the roofline"
        + (f"; {', '.join(slow)}." if slow else ".")
        + " Our goals measure each row against its own "
        "library's products run the same way, so a slow library's products do not count against our code.",
        "",
    ]


def _round_count(frame: pd.DataFrame) -> int:
    counts = [len(r) for r in (rounds_of(row) for row in frame.to_dict("records")) if r]
    return max(counts, default=1)


def _spread_note(frame: pd.DataFrame) -> str:
    """How the rounds were spread over fresh processes, when they were."""
    labels = {int(v) for r in frame.to_dict("records") for v in (rounds_of(r, "round_process") or [])}
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
        for dtype in DTYPES:
            probes = [rounds_of(r, "round_gemm_gflops") for r in rows[rows["dtype"] == dtype].to_dict("records")]
            probes = [p for p in probes if p]
            if probes:
                lo, hi = min(probes[0]), max(probes[0])
                lines.append(f"{workload} {dtype}: {lo:.1f} to {hi:.1f} GFLOP/s ({100 * (hi / lo - 1):.0f} % apart)")
    if not lines:
        return []
    return ["The machine's own noise, the GEMM probe's rate over the rounds: " + "; ".join(lines) + ".", ""]


def write_bench(frame: pd.DataFrame, meta: dict, out: Path) -> dict[str, Path]:
    paths = {name: out / f"bench.{name}" for name in ("csv", "json", "md")}
    write_atomically(paths["csv"], frame.to_csv(index=False).encode())
    payload = {**meta, "rows": json.loads(frame.to_json(orient="records"))}
    write_atomically(paths["json"], json.dumps(payload, indent=1, default=str).encode())
    figures = plots(frame, out)
    spread, spread_note = between.for_run(meta)
    found = goals(frame, spread)
    if meta.get("device") == "gpu":  # the goals that need NumPy, TensorFlow or the peers are CPU goals
        found = [g for g in found if g["verdict"] != "?"]
        goal_lines = launch_section(frame)
    else:
        goal_lines = []
    goal_lines += profile.markdown(profile.read_profiles(out))  # where a step's time goes, when the run has it
    if meta.get("vectorisation"):
        goal_lines += vectorisation.section(meta["vectorisation"])
    goal_lines += [
        "## Speed goals",
        "",
        "The goals and their targets are data (conformance/bench/goals.toml), each "
        "with the date it was set; a goal changed after a run keeps its earlier definition, computed "
        "beside it. A verdict is met when the whole 95 % interval clears the target, missed "
        f"when the whole interval is on the wrong side, within noise otherwise; {spread_note}.",
        "",
        f"Goals {decided(found)}{extra_rounds(frame)}.",
        "",
        *own_products(frame),
    ]
    for title, why, table in sections(found):
        goal_lines += [
            f"### {title}",
            "",
            *([why, ""] if why else []),
            frame_markdown(table) if len(table) else "(every one met)",
            "",
        ]
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
