"""Where a step's time goes: a prepared row's steps run under torch.profiler, as a small table of the ops
(on a GPU, the kernels) that took the most time, each with its share, and the share in matrix products.
PyTorch's rows only: JAX's profiler writes a trace for TensorBoard or Perfetto, not a table to read here.

    found = profile(prepare_ours("torch", "compiled", "float32", "gpu", wide), steps=20)
    lines = markdown([found])

Times are each op's self time (its children's not counted twice), so the shares of all ops sum to 1;
`busy_ms` is their sum per step, `wall_ms` a step's time by the clock without the profiler. On a GPU the
ops are its kernels: where busy is far below wall, the step waits on launching, not on computing. On the
CPU the step's time in no op (Python, the framework) is a row of its own."""

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..run.files import frame_markdown, write_atomically
from .captured import MODE as CAPTURED
from .steps import Prepared, prepare_ours
from .workloads import Workload

# aten's products (mm, addmm, bmm, matmul, dot) and the GPU libraries' kernels (cuBLAS gemm/gemv, cuBLASLt's
# nvjet on Hopper, CUTLASS, xmma); an Inductor template's name ends in _mm
MATMUL = re.compile(r"(?<![a-z])(add|b)?mm(?![a-z])|matmul|\bdot\b|gemm|gemv|nvjet|cutlass|xmma", re.IGNORECASE)
# what the GPU command profiles: (workload, mode), float32, where the run has the workload
TARGETS = (("wide", "compiled"), ("planar", CAPTURED))
FILE = "profile.json"


@dataclass
class Profile:
    """One row's profile: `ops` the top ops by self time per step, then one "everything else" row, each
    {"op", "calls" (per step), "ms" (per step), "share" (of busy_ms), "matmul"}."""

    row: str  # "torch compiled float32 on wide (gpu)"
    steps: int
    wall_ms: float
    busy_ms: float
    matmul_share: float
    ops: list[dict]
    note: str = ""  # why there is no table: the row failed to prepare or its check


def profile(prepared: Prepared, steps: int = 10, top: int = 8) -> Profile:
    """`steps` steps of a prepared (warm) PyTorch row, timed by the clock and then under torch.profiler."""
    import torch
    from torch.profiler import ProfilerActivity

    r = prepared.row
    gpu = r.device == "gpu"
    walls = []
    for _ in range(steps):
        start = time.perf_counter()
        prepared.sync(prepared.step())
        walls.append(time.perf_counter() - start)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if gpu else [])
    warm = 2  # the profiler's own start-up lands in steps it runs but does not record
    with torch.profiler.profile(
        activities=activities, schedule=torch.profiler.schedule(wait=0, warmup=warm, repeat=1, active=steps)
    ) as prof:
        for _ in range(warm + steps):
            prepared.sync(prepared.step())
            prof.step()
    found = []
    for event in prof.key_averages():
        # a kernel (or a copy) on the device: so typed, or, whatever this version calls it, no time on the host
        on_device = "CUDA" in str(getattr(event, "device_type", "")) or (
            event.self_cpu_time_total == 0 and _device_us(event) > 0
        )
        if gpu != on_device:  # on a GPU its kernels (the host's ops only launch them); on the CPU every op
            continue
        us = _device_us(event) if gpu else event.self_cpu_time_total
        if us > 0:  # the profiler's step marker's own time: the step's time in no op (Python, the framework)
            op = "outside any op (Python, framework)" if event.key.startswith("ProfilerStep") else event.key
            found.append({"op": op, "calls": event.count / steps, "ms": us / 1e3 / steps})
    busy = sum(f["ms"] for f in found) or float("nan")
    found.sort(key=lambda f: -f["ms"])
    for f in found:
        f["share"], f["matmul"] = f["ms"] / busy, bool(MATMUL.search(f["op"]))
    rest = found[top:]
    ops = found[:top] + (
        [
            {
                "op": f"everything else ({len(rest)} ops)",
                "calls": sum(f["calls"] for f in rest),
                "ms": sum(f["ms"] for f in rest),
                "share": sum(f["share"] for f in rest),
                "matmul": False,
            }
        ]
        if rest
        else []
    )
    return Profile(
        row=f"{r.backend} {r.mode} {r.dtype} on {r.workload} ({r.device})",
        steps=steps,
        wall_ms=float(np.median(walls)) * 1e3,
        busy_ms=busy,
        matmul_share=sum(f["share"] for f in found if f["matmul"]),
        ops=ops,
    )


def _device_us(event) -> float:
    """A kernel's self time on the device, in microseconds, under this version's name for it."""
    for name in ("self_device_time_total", "self_cuda_time_total"):
        if hasattr(event, name):
            return getattr(event, name)
    return 0.0


def write_profiles(workloads: list[Workload], device: str, folder: Path) -> list[Profile]:
    """The profile of each of TARGETS whose workload is among `workloads`, float32, into folder/profile.json
    (20 steps on a GPU, 3 on the CPU, where a wide step takes a second); a row that fails to prepare or
    fails its check is there with its reason instead."""
    by_name = {w.name: w for w in workloads}
    found: list[Profile] = []
    for name, mode in TARGETS:
        if name not in by_name:
            continue
        try:
            prepared = prepare_ours("torch", mode, "float32", device, by_name[name])
            status = prepared.row.status
            if status == "ok":
                found.append(profile(prepared, 20 if device == "gpu" else 3))
        except Exception as err:  # a profile is a diagnosis: it must not lose the run it follows
            status = f"error: {type(err).__name__}: {err}"[:200]
        if status != "ok":
            nan = float("nan")
            found.append(Profile(f"torch {mode} float32 on {name} ({device})", 0, nan, nan, nan, [], status))
    write_atomically(folder / FILE, json.dumps([asdict(p) for p in found], indent=1).encode())
    return found


def read_profiles(folder: Path) -> list[Profile]:
    """The profiles a run wrote, or none."""
    path = folder / FILE
    return [Profile(**p) for p in json.loads(path.read_text())] if path.is_file() else []


def markdown(profiles: list[Profile]) -> list[str]:
    """The page's section: per profiled row, where its step's time goes."""
    if not profiles:
        return []
    lines = [
        "## Where the time goes",
        "",
        "PyTorch's rows under torch.profiler (JAX's profiler writes a trace, not a table): each op's (on a GPU, "
        "each kernel's) own time per step, and its share of the time all of them took (`busy`); `wall` is a "
        "step by the clock without the profiler. On a GPU, busy far below wall: the step waits on launching, "
        "not on computing; on the CPU, the time in no op (Python, the framework) is a row of its own.",
        "",
    ]
    for p in profiles:
        if p.note:
            lines += [f"**{p.row}**: not profiled ({p.note}).", ""]
            continue
        lines += [
            f"**{p.row}**: wall {p.wall_ms:.3g} ms, busy {p.busy_ms:.3g} ms per step "
            f"({100 * p.busy_ms / p.wall_ms:.0f} % of wall), {100 * p.matmul_share:.0f} % of busy in matrix "
            f"products; {p.steps} steps.",
            "",
        ]
        table = pd.DataFrame(
            [
                {
                    "op": o["op"][:80].replace("|", "\\|"),
                    "calls per step": f"{o['calls']:.3g}",
                    "ms per step": f"{o['ms']:.3g}",
                    "share": f"{100 * o['share']:.1f} %",
                    "matrix product": "yes" if o["matmul"] else "",
                }
                for o in p.ops
            ]
        )
        lines += [frame_markdown(table), ""]
    return lines
