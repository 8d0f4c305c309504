"""The parts of the benchmark page that only a GPU run has: the GPU and its limits measured in the run, and
what launching costs the nets too small to fill it."""

import pandas as pd

from ..run.files import frame_markdown


def gpu_limits(env: dict, limits: dict, meta: dict) -> list[str]:
    """The GPU's own limits, measured in the run, and what ran it."""
    gpus = [d for f in env.get("frameworks", []) for d in f.get("devices") or [] if "(" in str(d)]
    name = gpus[0].split("(", 1)[1].rstrip(")") if gpus else "a GPU"
    return [
        f"{name}, host {env['cpu']} ({meta['threads']} threads, for the float64 NumPy reference of the checks); "
        "device gpu.",
        f"The GPU's limits measured in this run ({limits.get('probed_with', 'torch')}, {limits['gemm_n']}-square "
        f"products): GEMM {limits['gemm_gflops']['float32']:.0f} GFLOP/s float32 with TF32 off (every float32 row "
        f"below), {limits.get('gemm_gflops_tf32', float('nan')):.0f} GFLOP/s with TF32 on (not used), "
        f"{limits['gemm_gflops']['float64']:.0f} GFLOP/s float64; device memory bandwidth "
        f"{limits['bandwidth_gbs']:.0f} GB/s (a 1 GiB copy, bytes read and written).",
    ]


def launch_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """On a GPU, what launching costs the nets too small to fill it: ms per step of each way of running one
    (per-step dispatch, compiled, CUDA graphs, the whole loop compiled), float32, one row per workload."""
    ok = frame[
        (frame["status"] == "ok")
        & frame["median_s"].notna()
        & (frame["dtype"] == "float32")
        & (frame["family"].fillna("") == "")
        & (frame["mode"] != "products alone")
    ]
    if ok.empty:
        return pd.DataFrame()
    table = ok.assign(way=ok["backend"] + " " + ok["mode"]).pivot_table(
        index="workload", columns="way", values="median_s", sort=False
    )
    table = table.reindex(columns=sorted(table.columns, key=lambda c: (c.split()[0], MODE_ORDER.get(c.split()[1], 9))))
    shown = (table * 1e3).map(lambda v: "" if v != v else f"{v:.3g}")
    return shown.reset_index()


MODE_ORDER = {"eager": 0, "function": 1, "compiled": 2, "cuda-graphs": 3, "captured": 4, "compiled-loop": 5}
# the ways of running a step the launch-cost table may show beyond one call per step, as its note says them
WAYS = {
    "captured": "`captured` the whole step (forward, cost, backward, update) as one graph, torch.compile with "
    "fullgraph of a torch.func step (conformance/bench/captured.py), captured once as a CUDA graph and replayed",
    "cuda-graphs": "`cuda-graphs` (runs before the captured step) torch.compile's reduce-overhead mode on the "
    "step as impl_torch writes it, which splits at the backward into three graphs, each replayed as a CUDA graph",
    "compiled-loop": "`compiled-loop` the whole training loop in one call, divided by its steps",
}


def launch_section(frame: pd.DataFrame) -> list[str]:
    """The page's section on what launching costs: the table of launch_costs and what its columns are."""
    costs = launch_costs(frame)
    if costs.empty:
        return []
    modes = {c.split()[1] for c in costs.columns if " " in c}
    ways = [text for mode, text in WAYS.items() if mode in modes]
    return [
        "## What launching costs",
        "",
        "ms per float32 step; eager and compiled run one step per call" + "".join(f", {w}" for w in ways) + ".",
        "",
        frame_markdown(costs),
        "",
    ]
