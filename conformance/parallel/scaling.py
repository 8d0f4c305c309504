"""Past one machine, on paper: a model of a data-parallel step fitted to what was measured here, and its
prediction for 1 to 1024 workers.

    step(N) = compute(m_k) + all_reduce(N, bytes)
    compute(m_k) = c0 + c1 m_k                              fitted to 1 process at two batch sizes
    all_reduce(N, bytes) = 2 (N - 1) alpha + 2 (N - 1) / N * bytes * beta      (a ring all-reduce)

alpha (seconds per message) and beta (seconds per byte) are fitted by least squares to each engine's
all-reduce timed alone in 2 and 3 processes over several sizes. On other machines, beta is at least
the link's 8 / bits-per-second, and every message pays LINK_LATENCY_S more than on 127.0.0.1. Assumed:
no overlap of compute and communication (none of our steps overlaps them), identical workers, a ring
(what gloo, XLA's CPU collectives and TensorFlow's RING choose for one buffer), and compute that scales
with the FLOPs per sample from one net to another.

    python -m conformance.parallel.scaling PARALLEL_JSON OUT_FOLDER   # measure the all-reduce, write the page
"""

import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.spec import ModelSpec
from . import launch

LINK_LATENCY_S = 30e-6  # one message between machines on a switched Ethernet (assumed)
LINKS_GBPS = (10, 100)
WORKERS = [2**k for k in range(11)]  # 1 .. 1024
GLOBAL, PER_WORKER = 65536, 4096  # the batch of the two scaling rules: fixed in all, fixed per worker
SIZES = [1024, 16384, 262144, 1048576]  # numbers per all-reduce (float32: 4 KB .. 4 MB)
NETS = {
    "course": ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"),
    "wide": ModelSpec("deep", (1024, 1024, 1024, 1), "relu"),
}


def parameters(spec: ModelSpec) -> int:
    """Numbers in W[l] and b[l]: what every step all-reduces (the gradients, and the cost)."""
    dims = spec.layer_dims
    return sum(dims[i] * dims[i - 1] + dims[i] for i in range(1, len(dims)))


def flops_per_sample(spec: ModelSpec) -> float:
    """Forward and backward multiply-adds of one column (2 per weight forward, 4 backward), dA[0] not needed."""
    dims = spec.layer_dims
    return sum(6 * dims[i] * dims[i - 1] for i in range(1, len(dims))) - 2 * dims[1] * dims[0]


@dataclass(frozen=True)
class AllReduce:
    alpha_s: float  # seconds per message
    beta_s: float  # seconds per byte

    def seconds(self, n: int, nbytes: float, link_gbps: float | None = None) -> float:
        """A ring all-reduce of nbytes over n workers; on a link, not faster than its bandwidth and latency."""
        if n == 1:
            return 0.0
        alpha, beta = self.alpha_s, self.beta_s
        if link_gbps:
            alpha, beta = alpha + LINK_LATENCY_S, max(beta, 8 / (link_gbps * 1e9))
        return 2 * (n - 1) * alpha + 2 * (n - 1) / n * nbytes * beta


def fit_all_reduce(points: list[tuple[int, float, float]]) -> AllReduce:
    """Least squares of (workers, bytes, seconds) to the ring's 2 (N - 1) alpha + 2 (N - 1) / N bytes beta."""
    A = np.array([[2 * (n - 1), 2 * (n - 1) / n * b] for n, b, _ in points])
    t = np.array([s for _, _, s in points])
    (alpha, beta), *_ = np.linalg.lstsq(A, t, rcond=None)
    return AllReduce(max(float(alpha), 0.0), max(float(beta), 0.0))


@dataclass(frozen=True)
class Compute:
    c0_s: float  # seconds per step whatever the batch
    c1_s: float  # seconds per column

    def seconds(self, m_k: float) -> float:
        return self.c0_s + self.c1_s * m_k


def fit_compute(points: list[tuple[int, float]]) -> Compute:
    """A line through (m, seconds per step) of one process."""
    (c1, c0) = np.polyfit([m for m, _ in points], [s for _, s in points], 1)
    return Compute(max(float(c0), 0.0), float(c1))


def predict(
    compute: Compute,
    reduce: AllReduce,
    spec: ModelSpec,
    n: int,
    m_k: float,
    link_gbps: float | None,
    itemsize: int = 4,
    scale: float = 1.0,
) -> float:
    """Seconds per step of n workers with m_k columns each; `scale` turns the course net's compute per
    column into another net's (the ratio of FLOPs per sample)."""
    nbytes = (parameters(spec) + 1) * itemsize  # the gradients and the cost, in one buffer
    per_step = Compute(compute.c0_s, compute.c1_s * scale)
    return per_step.seconds(m_k) + reduce.seconds(n, nbytes, link_gbps)


def measure_all_reduce(names: list[str], workers=(2, 3), sizes=SIZES, repeats: int = 50) -> dict[str, list[tuple]]:
    """Each engine's all-reduce timed alone, float32: {name: [(workers, bytes, seconds)]}."""
    out: dict[str, list[tuple]] = {}
    for name in names:
        for n in workers:
            shards = [[dict(sizes=list(sizes), dtype="float32", repeats=repeats)] for _ in range(n)]
            times = launch.run(name, [], shards=shards)[0]["all_reduce_s"]
            out.setdefault(name, []).extend((n, 4 * size, t) for size, t in zip(sizes, times, strict=True))
    return out


def scaling_curves(compute: Compute, reduce: AllReduce, net: str, scale: float, link: float) -> dict[str, dict]:
    """Step time and efficiency over WORKERS: at a fixed global batch, t1(G) / (N tN) (strong scaling),
    and at a fixed batch per worker, t1(b) / tN (weak scaling)."""

    def step(n: int, m_k: float) -> float:
        return predict(compute, reduce, NETS[net], n, m_k, link, scale=scale)

    strong = [step(n, GLOBAL / n) for n in WORKERS]
    weak = [step(n, PER_WORKER) for n in WORKERS]
    return {
        f"{net}, {link} Gbit/s, global {GLOBAL}": dict(
            step_s=strong, efficiency=[step(1, GLOBAL) / (n * t) for n, t in zip(WORKERS, strong, strict=True)]
        ),
        f"{net}, {link} Gbit/s, per worker {PER_WORKER}": dict(
            step_s=weak, efficiency=[step(1, PER_WORKER) / t for t in weak]
        ),
    }


def model(bench_rows: list[dict], reduce_points: dict[str, list[tuple]], cores: int) -> dict:
    """Per engine: the fits, the predictions over WORKERS and links, and the check against the measured
    multi-process steps (where processes outnumber cores, the slowest rank shares its core with
    ceil(N / cores) - 1 others, and every step waits for it)."""
    course = NETS["course"]
    wide_scale = flops_per_sample(NETS["wide"]) / flops_per_sample(course)
    out = {}
    for name, points in reduce_points.items():
        ours = [r for r in bench_rows if r["backend"] == name and r["dtype"] == "float32" and r["status"] == "ok"]
        ones = [(r["m"], r["step_s"]) for r in ours if r["workers"] == 1]
        if len({m for m, _ in ones}) < 2:
            continue
        compute, reduce = fit_compute(ones), fit_all_reduce(points)
        curves = {}
        for net, scale in (("course", 1.0), ("wide", wide_scale)):
            for link in LINKS_GBPS:
                curves.update(scaling_curves(compute, reduce, net, scale, link))
        checks = []
        for r in ours:
            if r["workers"] > 1:
                slow = math.ceil(r["workers"] / cores)  # the step waits for the rank on the most shared core
                m_k = r["m"] / r["workers"]
                guess = compute.seconds(m_k) * slow + reduce.seconds(r["workers"], (parameters(course) + 1) * 4)
                checks.append(
                    dict(
                        workload=r["workload"],
                        workers=r["workers"],
                        measured_s=r["step_s"],
                        predicted_s=guess,
                        cores_factor=slow,
                    )
                )
        out[name] = dict(
            alpha_s=reduce.alpha_s,
            beta_s=reduce.beta_s,
            c0_s=compute.c0_s,
            c1_s=compute.c1_s,
            curves=curves,
            checks=checks,
            points=points,
        )
    return out


def plot(result: dict, path: Path) -> None:
    """Efficiency against workers, one panel per batch rule, a line per engine, net and link."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, batch in zip(axes, (f"global {GLOBAL}", f"per worker {PER_WORKER}"), strict=True):
        for name, fit in result.items():
            for label, curve in fit["curves"].items():
                if label.endswith(batch):
                    style = "-" if "100 Gbit" in label else "--"
                    ax.plot(WORKERS, curve["efficiency"], style, label=f"{name}: {label.rsplit(',', 1)[0]}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("workers")
        ax.set_title(f"batch {batch}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("efficiency (speed-up / workers)")
    axes[1].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> None:

    bench = json.loads(Path(argv[0]).read_text())
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    names = sorted({r["backend"] for r in bench["rows"] if r["status"] == "ok"})
    points = measure_all_reduce(names)
    result = model(bench["rows"], points, cores=len(os.sched_getaffinity(0)))
    (out / "scaling.json").write_text(json.dumps(result, indent=1))
    plot(result, out / "scaling.png")
    print(f"wrote {out / 'scaling.json'} and scaling.png")


if __name__ == "__main__":
    if len(sys.argv) != 3 or not Path(sys.argv[1]).is_file():
        sys.exit("usage: python -m conformance.parallel.scaling PARALLEL_JSON OUT_FOLDER: the first must be a file")
    main(sys.argv[1:])
