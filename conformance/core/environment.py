"""What this machine runs: Python, CPU, BLAS, threads, and each framework's version and devices.

`quartet doctor` prints it; benchmark and conformance results carry it as their metadata."""

import contextlib
import importlib
import importlib.metadata
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's oneDNN and absl start-up notices


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Collect what native code writes to file descriptor 2 inside the block (TensorFlow's oneDNN
    notice is printed before absl logging starts, so no log-level variable silences it)."""
    lines: list[str] = []
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode(errors="replace").splitlines())


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a container or taskset narrows), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Framework:
    name: str
    module: str
    installed: bool = False
    version: str = ""
    import_s: float | None = None
    threads: str = ""
    devices: list[str] = field(default_factory=list)
    note: str = ""


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


SIMD = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "asimd", "sve")  # what kernels choose by


def cpu_flags() -> str:
    """The CPU's vector instruction sets (the ones BLAS and XLA choose their kernels by), as /proc/cpuinfo lists
    them; "" where it does not."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    have = set(line.split(":", 1)[1].split())
                    return " ".join(flag for flag in SIMD if flag in have)
    except OSError:
        pass
    return ""


def blas_info() -> dict:
    """NumPy's BLAS as threadpoolctl sees it, with the OpenBLAS overrides this machine may set."""
    from threadpoolctl import threadpool_info

    np.ones((2, 2)) @ np.ones((2, 2))  # make sure the BLAS library is loaded
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")]
    pools = pools or [p for p in threadpool_info() if p.get("user_api") == "blas"]
    info = {"library": "unknown", "version": "", "architecture": "", "threads": None}
    if pools:
        p = pools[0]
        info = {
            "library": p.get("internal_api", "unknown"),
            "version": p.get("version") or "",
            "architecture": p.get("architecture") or "",
            "threads": p.get("num_threads"),
        }
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


def _describe(fw: Framework, module) -> None:
    """Fill in threads and devices for a framework that imported."""
    if fw.name == "numpy":
        fw.threads = str(blas_info()["threads"])
        fw.devices = ["cpu"]
    elif fw.name == "torch":
        fw.threads = str(module.get_num_threads())
        fw.devices = ["cpu"] + [
            f"cuda:{i} ({module.cuda.get_device_name(i)})" for i in range(module.cuda.device_count())
        ]
    elif fw.name == "jax":
        fw.devices = [f"{d.platform}:{d.id}" for d in module.devices()]
        fw.threads = "all cores"
        fw.note = "x64 on" if module.config.read("jax_enable_x64") else "x64 off"
    elif fw.name == "tensorflow":
        intra = module.config.threading.get_intra_op_parallelism_threads()
        fw.threads = str(intra) if intra else "all cores"
        fw.devices = [d.name.split("physical_device:")[-1].lower() for d in module.config.list_physical_devices()]
    elif fw.name == "keras":
        fw.note = f"backend {module.config.backend()}"
    elif fw.name == "scikit-learn":
        fw.devices = ["cpu"]


FRAMEWORKS = (
    ("numpy", "numpy"),
    ("torch", "torch"),
    ("jax", "jax"),
    ("tensorflow", "tensorflow"),
    ("keras", "keras"),
    ("scikit-learn", "sklearn"),
)


DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tensorflow-cpu")}  # the names a framework is installed under


def installed_version(name: str) -> str | None:
    """The version of a framework's installed distribution, read without importing it; None when absent."""
    for distribution in DISTRIBUTIONS.get(name, (name,)):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def frameworks(used_only: bool = False, elsewhere: dict[str, str] | None = None) -> list[Framework]:
    """Each framework: imported here (timed, in this order), or the reason it could not be. With used_only, a
    framework this process has not imported is described by its installed version alone, not imported (a
    check's metadata: importing TensorFlow, Keras and scikit-learn to describe a run of NumPy and a port that
    used none of them took most of a one-function check's seconds); `elsewhere` names those the run used in
    its child processes (module -> the device it ran on), said so."""
    found, elsewhere = [], elsewhere or {}
    for name, module_name in FRAMEWORKS:
        fw = Framework(name, module_name)
        if used_only and module_name not in sys.modules:
            version = installed_version(name)
            fw.installed, fw.version = version is not None, version or ""
            fw.note = "not used by this run" if version else "not installed"
            if version and module_name in elsewhere:
                fw.devices, fw.note = [elsewhere[module_name]], "used by this run's child processes"
            found.append(fw)
            continue
        preloaded = module_name in sys.modules  # imported already (keras by tensorflow): no honest time
        start = time.perf_counter()
        try:
            with captured_stderr() as messages:
                module = importlib.import_module(module_name)
        except Exception as err:  # an absent or broken install is reported, not raised
            fw.note = f"not installed: {type(err).__name__}: {err}".splitlines()[0][:120]
            found.append(fw)
            continue
        fw.import_s = None if preloaded else time.perf_counter() - start
        fw.installed = True
        fw.version = str(getattr(module, "__version__", ""))
        if any("oneDNN custom operations are on" in line for line in messages):
            fw.note = "oneDNN on"
        try:
            _describe(fw, module)
        except Exception as err:  # a device query failing should not hide the version
            fw.note = f"device query failed: {type(err).__name__}: {err}"[:120]
        found.append(fw)
    return found


def environment(
    include_frameworks: bool = True, used_only: bool = False, elsewhere: dict[str, str] | None = None
) -> dict:
    """All of the above as plain data (JSON-ready); used_only and elsewhere: as frameworks()."""
    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores": os.cpu_count(),
        "cores_usable": usable_cores(),
        "blas": blas_info(),
    }
    if include_frameworks:
        env["frameworks"] = [asdict(fw) for fw in frameworks(used_only, elsewhere)]
    return env
