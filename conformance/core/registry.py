"""Which backends there are: the frameworks, their modes, dtypes and devices, the package that implements
each, and whether each can run here (imported once, quietly; the reason when it cannot); and the peers the
benchmark times beside them (PEERS).

The built-in four and every plugin are declared the same way, as a BackendInfo: a plugin package
registers one under the entry-point group `quartet.backends` (docs/plugins.md), and from then on
check, bench, code, report, doctor and the edge and property tests take it by name:

    [project.entry-points."quartet.backends"]
    mlx = "quartet_mlx.backend:BACKEND"     # a BackendInfo
"""

import functools
import importlib
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .environment import captured_stderr

MODE_NAMES = ("eager", "compiled", "function")  # every mode any backend has, in the order tables show them
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
GROUP = "quartet.backends"
DISTRIBUTION = "quartet-nndl"  # quartet's name on the package index, which a port depends on


class Target(NamedTuple):
    """What the check runs and judges against the reference: one backend in one mode, dtype and device. A tuple
    still (unpacked, compared, a dict key, a JSON list), with names."""

    backend: str
    mode: str
    dtype: str
    device: str = "cpu"


@dataclass(frozen=True)
class BackendInfo:
    """What a backend is and declares. `package` holds the course's functions as impl_jax does: arrays.py
    (from_numpy, to_numpy, resolve_device), deep.py and logistic.py (the reference's names, with `mode`);
    `framework` is the module whose import says whether it can run here. `compiler`, for modes other than
    "eager", names a function "module:attribute" that takes the mode and returns how that mode runs a
    function (torch.compile, jax.jit, mx.compile, ...). `unsupported` names what it does not do, with the
    reason: "data_parallel", "bench", "gpu". `engines`: the framework's own engine for data parallel, by how
    its workers are launched ("devices": in one process; "processes": one process each), in words for tables."""

    name: str
    package: str
    framework: str
    modes: tuple[str, ...] = ("eager",)
    dtypes: tuple[str, ...] = DTYPES
    devices: tuple[str, ...] = ("cpu",)
    compiler: str = ""
    unsupported: dict[str, str] = field(default_factory=dict, hash=False)
    plugin: str = ""  # the distribution that registered it; "" for the built-in four
    title: str = ""  # its proper name where people read it ("PyTorch"); "" shows `name`
    engines: dict[str, str] = field(default_factory=dict, hash=False)


BUILT_IN = (
    BackendInfo("numpy", "reference_numpy", "numpy", title="NumPy", engines={"devices": "split-and-sum oracle"}),
    BackendInfo(
        "torch",
        "impl_torch",
        "torch",
        MODE_NAMES[:2],
        devices=DEVICES,
        title="PyTorch",
        engines={
            "devices": "torch.distributed gloo via torch.multiprocessing",
            "processes": "torch.distributed gloo via torchrun",
        },
    ),
    BackendInfo(
        "jax",
        "impl_jax",
        "jax",
        MODE_NAMES[:2],
        devices=DEVICES,
        title="JAX",
        engines={"devices": "jax.sharding over host devices", "processes": "jax.distributed gloo"},
    ),
    # "compiled" is tf.function(jit_compile=True); "function" is tf.function without XLA
    BackendInfo(
        "tf",
        "impl_tf",
        "tensorflow",
        MODE_NAMES,
        devices=DEVICES,
        title="TensorFlow",
        engines={"devices": "MirroredStrategy over logical CPUs", "processes": "MultiWorkerMirroredStrategy"},
    ),
)
COURSE = tuple(info.name for info in BUILT_IN)  # the course written four times: numpy, torch, jax, tf
AUTODIFF = COURSE[1:]  # the three whose backward is autodiff
BROKEN: dict[str, str] = {}  # plugins that could not be loaded, with the reason (quartet doctor says it)


@dataclass(frozen=True)
class PeerInfo:
    """A library the benchmark times beside ours, from our weights and checked as ours are (bench/peers.py;
    Keras in a worker process per Keras backend, bench/keras.py)."""

    name: str
    unit: str  # what one timed call is, its row's mode
    module: str  # whose import says whether it can run here, and whose import time its rows show
    keras_backend: str = ""  # Keras 3 on this backend, in a worker of its own; "" runs in the bench's process
    backend: str = ""  # the backend of ours whose framework it runs on in the bench's process (threads, imports)
    title: str = ""


PEERS = (
    PeerInfo("keras/tensorflow", "train_on_batch", "keras", "tensorflow", title="Keras on TensorFlow"),
    PeerInfo("keras/jax", "train_on_batch", "keras", "jax", title="Keras on JAX"),
    PeerInfo("keras/torch", "train_on_batch", "keras", "torch", title="Keras on PyTorch"),
    PeerInfo("sklearn", "partial_fit", "sklearn.neural_network", title="scikit-learn"),
    PeerInfo("torch.nn", "optim.SGD", "torch", backend="torch", title="torch.nn"),
)
PEER_NAMES = tuple(p.name for p in PEERS)
KERAS_BACKENDS = tuple(p.keras_backend for p in PEERS if p.keras_backend)  # each also the module it needs
PEER_INFO = {p.name: p for p in PEERS}


def _discover() -> dict[str, BackendInfo]:
    """The built-in four, then every plugin of the entry-point group, by name; a plugin that fails to load,
    declares something else or takes a built-in's name goes to BROKEN with the reason, never stops quartet."""
    found = {info.name: info for info in BUILT_IN}
    for point in importlib.metadata.entry_points(group=GROUP):
        try:
            info = point.load()
        except Exception as err:  # a plugin's own import error: reported, not raised
            BROKEN[point.name] = f"{point.value} does not load: {type(err).__name__}: {err}"
            continue
        if not isinstance(info, BackendInfo):
            BROKEN[point.name] = f"{point.value} is a {type(info).__name__}, not a conformance.registry.BackendInfo"
        elif info.name in found or info.name != point.name:
            BROKEN[point.name] = (
                f"{point.value} declares {info.name!r}: a plugin needs a name of its own, the same as its entry point's"
            )
        else:
            dist = getattr(point, "dist", None)
            found[info.name] = BackendInfo(**{**info.__dict__, "plugin": dist.name if dist else point.value})
    return found


BACKENDS = _discover()
NAMES = tuple(BACKENDS)
MODES = {name: info.modes for name, info in BACKENDS.items()}
PACKAGES = {name: info.package for name, info in BACKENDS.items()}
FRAMEWORKS = {name: info.framework for name, info in BACKENDS.items()}
TITLES = {name: info.title or name for name, info in BACKENDS.items()}  # the proper names, for people


def compiler(name: str) -> Callable[[str], Callable[[Callable], Callable]] | None:
    """A plugin's declared compiler (mode -> how that mode runs a function), or None."""
    target = BACKENDS[name].compiler
    if not target:
        return None
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def supports(name: str, feature: str) -> tuple[bool, str]:
    """(True, "") or (False, the reason the backend gives for not doing `feature`)."""
    reason = BACKENDS[name].unsupported.get(feature)
    return (False, f"{name} does not support {feature}: {reason}") if reason else (True, "")


@functools.cache
def framework_status(name: str) -> tuple[bool, str]:
    """(True, version) or (False, why it cannot be imported)."""
    try:
        with captured_stderr():  # TensorFlow's start-up notices, which no log level silences
            importlib.import_module(PACKAGES[name])  # first: a package may start its framework its own way (impl_tf)
            module = importlib.import_module(FRAMEWORKS[name])
    except ImportError as err:
        return False, f"{FRAMEWORKS[name]} not installed ({err})"
    return True, str(getattr(module, "__version__", ""))


@functools.cache
def device_status(name: str, device: str) -> tuple[bool, str]:
    ok, reason = framework_status(name)
    if not ok:
        return False, reason
    if device == "cpu":
        return True, ""
    if name == "numpy":
        return False, "NumPy runs on the CPU only"
    if device not in BACKENDS[name].devices:
        return False, f"{name} declares the devices {BACKENDS[name].devices} only"
    try:
        importlib.import_module(f"{PACKAGES[name]}.arrays").resolve_device("gpu")
    except RuntimeError as err:
        return False, str(err)
    return True, ""


def available_backends() -> list[dict]:
    """One row per (name, mode, dtype, device): available, and the reason where it is not."""
    rows = []
    for name in NAMES:
        for mode in MODES[name]:
            for dtype in DTYPES:
                for device in DEVICES:
                    ok, reason = device_status(name, device)
                    if ok and dtype not in BACKENDS[name].dtypes:
                        ok, reason = False, f"{name} declares the dtypes {BACKENDS[name].dtypes} only"
                    rows.append(
                        dict(
                            name=name, mode=mode, dtype=dtype, device=device, available=ok, reason="" if ok else reason
                        )
                    )
    return rows
