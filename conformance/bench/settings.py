"""What a `quartet bench` run is asked: backends, modes, dtypes, workloads, peers, threads, rounds and
processes, with the defaults of --quick and of a full run."""

from dataclasses import dataclass, field

from ..core.registry import COURSE, DTYPES, MODE_NAMES
from .workloads import Workload, gpu_workloads, main_workloads, sweep_workloads


@dataclass(frozen=True)
class BenchSettings:
    backends: list[str] = field(default_factory=lambda: list(COURSE))
    modes: list[str] = field(default_factory=lambda: list(MODE_NAMES))
    dtypes: list[str] = field(default_factory=lambda: list(DTYPES))
    workloads: list[str] = field(default_factory=list)  # by name; empty: all of them
    peers: list[str] = field(default_factory=list)
    quick: bool = False  # few repeats, no sweeps
    threads: int = 2
    min_time: float = 0.4  # seconds of repeats per row and round (quick: one call a round)
    device: str = "cpu"
    rounds: int = 0  # every row and the machine probe, once per round in a shuffled order; 0: 3 quick, 9 full
    processes: int = 0  # fresh processes the rounds are spread over, one after another; 0: 1 quick, 3 full
    decide_s: float | None = None  # seconds of extra rounds for goals still within noise; None: 15 quick, 120 full

    @property
    def repeats(self) -> tuple[float, int]:
        """(min_time, min_repeats) of every timed row in each round: quick, one call a round."""
        return (0.0, 1) if self.quick else (self.min_time, 5)

    @property
    def round_count(self) -> int:
        return self.rounds or (3 if self.quick else 9)

    @property
    def process_count(self) -> int:
        return min(self.processes or (1 if self.quick else 3), self.round_count)

    @property
    def decide_budget(self) -> float:
        """Seconds of extra rounds, over the whole run, for the goals its rounds left within noise."""
        return self.decide_s if self.decide_s is not None else (15.0 if self.quick else 120.0)

    def rounds_in(self, process: int) -> int:
        """The rounds process `process` times (the rounds shared out, the first processes taking any left over)."""
        share, left = divmod(self.round_count, self.process_count)
        return share + (1 if process < left else 0)

    def workload_list(self) -> list[Workload]:
        # the sweeps: on the CPU, against m and width; on a GPU, the workloads that fill it (a net of width
        # 64 at m = 1024 would only measure launching, which the tiny nets' rows already do)
        sweeps = gpu_workloads() if self.device == "gpu" else sweep_workloads()
        every = main_workloads() + ([] if self.quick else sweeps)
        return [w for w in every if not self.workloads or w.name in self.workloads]
