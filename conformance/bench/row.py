"""A benchmark row: one workload, backend (or peer), mode and dtype, from the moment it is built (what it is)
through its first step (checked), its rounds (timed) and the roofline (its bound). A field left None was not
measured for this row: the bounds (the products alone) are not checked, a row that failed keeps no time.

Rows cross processes as plain dicts (a run's checkpoint, a Keras worker's replies): `as_dict` and `from_dict`
are those borders; bench.csv has one column per field, in this order (COLUMNS)."""

import dataclasses
from dataclasses import dataclass

import pandas as pd


class PlainRow:
    """A dataclass row's borders with plain types: as_dict for a checkpoint or a worker's reply (JSON), from_dict
    back, a key that is not a field refused by name (a checkpoint of another version is not read as this one)."""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ValueError(f"a {cls.__name__} has no field {', '.join(map(repr, unknown))}; fields: {fields}")
        return cls(**values)


@dataclass
class Row(PlainRow):
    # what it is
    workload: str
    family: str  # "" for the main workloads; the sweeps' "m" or "width"
    backend: str  # ours (numpy, torch, ...) or a peer (keras/jax, sklearn, torch.nn)
    mode: str  # eager, compiled, compiled-loop, ...; a peer's own ("train_on_batch"); a bound's ("products alone")
    dtype: str
    matmul: str | None = None  # the matrix products' precision where a framework may lower it
    device: str = "cpu"
    m: int | None = None
    # its time: per step, over the rounds
    median_s: float | None = None
    iqr_s: float | None = None  # the interquartile range of every timed call
    repeats: int | None = None  # timed calls, all rounds together
    first_call_s: float | None = None
    compile_s: float | None = None  # the first call beyond a step (compiled modes)
    import_s: float | None = None  # its framework's import, in a fresh process
    # its bound (roofline.add_roofline)
    flops: float | None = None
    bytes: float | None = None
    gflops: float | None = None
    roofline_s: float | None = None
    roofline_fraction: float | None = None
    # what it holds
    peak_mem_mb: float | None = None
    device_mem_mb: float | None = None
    # its first step against the float64 reference's (workloads.check_first_step); None: not checked (a bound)
    verified: bool | None = None
    check_err: float | None = None
    check_tol: float | None = None
    status: str = ""  # "ok", "check failed", "unavailable: why", "error: what"
    bandwidth_gbs: float | None = None
    # the step over its own library's products (merge.py)
    products_s: float | None = None
    over_products: float | None = None
    # round by round (paired.py takes ratios in the same rounds)
    round_s: list[float] | None = None  # the median of each round
    round_gemm_gflops: list[float] | None = None  # the machine's GEMM probe in that round
    round_process: list[int] | None = None  # the process that timed it
    extra_rounds: int | None = None  # rounds added for goals within noise

    def failed(self, status: str) -> "Row":
        """A copy of this row whose status says why it failed (cut to 200 characters)."""
        return dataclasses.replace(self, status=status[:200])


COLUMNS = [f.name for f in dataclasses.fields(Row)]


def frame_of(rows: list[Row]) -> pd.DataFrame:
    """The rows as bench.csv's table, one column per field; a field a row did not measure is empty (NaN), as the
    CSV reads it back."""
    measured = [{k: v for k, v in r.as_dict().items() if v is not None} for r in rows]
    return pd.DataFrame(measured).reindex(columns=COLUMNS)
