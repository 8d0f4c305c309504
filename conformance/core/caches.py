"""Persistent compilation caches: what JAX and PyTorch compile is kept on disk between runs, so a second
`quartet check` loads a program instead of compiling it again.

    caches.enable()          # before the frameworks compile: sets their cache folders (the CLI does it)
    caches.enable(False)     # --no-cache: every framework compiles afresh, and writes nothing
    caches.report()          # one Cache per framework: where, how large, why not (quartet doctor)
    caches.clear()           # quartet doctor --clear-cache

They live in the user's cache folder ($QUARTET_CACHE_DIR, else $XDG_CACHE_HOME/quartet, else
~/.cache/quartet), one folder per framework, version, machine and implementation:
`jax-0.10.2-m3f2a-c81b0d4e`. The frameworks key each entry by the compiled program itself (JAX by its HLO
and compile options, inductor by its FX graph), and the folder adds the code (the syntax trees) of the packages that run
on the framework: a changed implementation starts a folder of its own and never loads an artifact of the
code before it. The machine is in the key because XLA:CPU and inductor compile for the CPU's features: a
home folder shared by two hosts must not run one's programs on the other. Each framework keeps its
KEEP most recently used folders, and those used in the last hour (a mutation pass makes one per mutant).

Inductor names each C++ kernel by a hash of its source and of the compiler's command line, and that line holds
the include and library folders of the PyTorch it runs from (.../site-packages/torch/include): a second virtual
environment with the same PyTorch (a fresh clone's, CI's) found none of the kernels the first had built and ran g++
on each again, though it loaded every graph. enable() has that folder hashed as "<torch>" (what is compiled is
unchanged): the cache's folder is already one per PyTorch version and machine.

TensorFlow's XLA has a persistent cache too (--tf_xla_persistent_cache_directory) but is left off: it
warns, even on the machine that wrote an entry, that the entry's CPU features differ from the host's
(a tuning flag, +prefer-no-gather) "which could lead to SIGILL", on every load."""

import ast
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .environment import installed_version
from .registry import BACKENDS

OFF = "QUARTET_NO_CACHE"  # "1": the whole run and the processes it starts compile afresh
KEEP = 3  # folders per framework and machine: the implementations most recently used, and
STALE = 3600.0  # any used within this many seconds (a mutation pass makes a folder per mutant as it goes)
CACHED = ("jax", "torch")  # the frameworks whose cache quartet sets; TensorFlow: the module's docstring
NOT_CACHED = {
    "tensorflow": "XLA's persistent cache warns on every load that the entry's CPU features differ from the "
    "host's (possible SIGILL): left off",
}


@dataclass(frozen=True)
class Cache:
    """One framework's cache as this run uses it: its folder (None when off) and what it holds."""

    framework: str
    folder: Path | None
    files: int = 0
    size: int = 0  # bytes
    note: str = ""  # why it is off, or what else is kept for this framework


def root() -> Path:
    """$QUARTET_CACHE_DIR, else $XDG_CACHE_HOME/quartet, else ~/.cache/quartet."""
    if os.environ.get("QUARTET_CACHE_DIR"):
        return Path(os.environ["QUARTET_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "quartet"


def machine() -> str:
    """A short hash of the CPU as compilers see it: its model and feature flags (/proc/cpuinfo where there is
    one), so a program compiled for one host is never loaded on another under the same home folder."""
    cpuinfo = Path("/proc/cpuinfo")
    text = ""
    if cpuinfo.is_file():
        first = cpuinfo.read_text(errors="replace").split("\n\n")[0]
        text = "\n".join(line for line in first.splitlines() if line.startswith(("model name", "flags", "Features")))
    text = text or f"{platform.machine()} {platform.processor()}"
    return "m" + hashlib.sha256(text.encode()).hexdigest()[:6]


def code(framework: str) -> str:
    """A short hash of the code of every package that runs on `framework` (impl_jax and any plugin on JAX): of
    each module's syntax tree, so an edit of a comment or of the layout keeps the folder (and what was compiled in
    it), and any edit of the code starts a new one. A file that does not parse is hashed as its bytes."""
    digest = hashlib.sha256()
    for package in sorted({info.package for info in BACKENDS.values() if info.framework == framework}):
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(location).rglob("*.py")):
                source = path.read_bytes()
                try:
                    source = ast.dump(ast.parse(source)).encode()
                except (SyntaxError, ValueError):
                    pass
                digest.update(f"{package}/{path.relative_to(location)}\0".encode() + source)
    return digest.hexdigest()[:8]


def folder(framework: str) -> Path:
    return root() / f"{framework}-{installed_version(framework)}-{machine()}-{code(framework)}"


def enabled() -> bool:
    return os.environ.get(OFF) != "1"


def enable(on: bool = True) -> None:
    """Point JAX and PyTorch at their folders (through the environment, so every process this run starts
    does the same), or, with on=False, turn their persistent caches off, /tmp's inductor cache included.
    Call it before a framework compiles; a framework already imported is told directly."""
    if not on:
        os.environ[OFF] = "1"
    if not enabled():
        os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)
        os.environ["TORCHINDUCTOR_FORCE_DISABLE_CACHES"] = "1"
        _tell_jax(None)
        return
    for framework in CACHED:
        if installed_version(framework) is None:
            continue
        path = folder(framework)
        path.mkdir(parents=True, exist_ok=True)
        os.utime(path)  # most recently used: what _prune keeps
        _prune(framework)
        if framework == "jax":
            os.environ["JAX_COMPILATION_CACHE_DIR"] = str(path)
            os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"  # every program, however quick
            os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"  # and however small
            _tell_jax(path)
        else:  # inductor's FX-graph and AOT-autograd caches, and its compiled kernels, live under this folder
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
            os.environ.pop("TORCHINDUCTOR_FORCE_DISABLE_CACHES", None)
            after_import(KERNEL_KEYS, portable_kernel_keys)


KERNEL_KEYS = "torch._inductor.codecache"  # where inductor hashes what it compiles: write(content, ext, extra)


def portable_kernel_keys(codecache) -> None:
    """Inductor's write() hashes `extra` (the compiler's command line, for a C++ kernel) with the source: the
    PyTorch folder in it is hashed as "<torch>", so a kernel built under one virtual environment is found from
    another with the same PyTorch (the module's docstring). Once per process; a write() of another form is left
    as it is."""
    write = getattr(codecache, "write", None)
    if write is None or getattr(write, "portable", False):
        return
    if list(inspect.signature(write).parameters)[:3] != ["content", "extension", "extra"]:
        return
    torch_folder = os.path.dirname(os.path.dirname(os.path.abspath(codecache.__file__)))  # as inductor names it

    def portable(content, extension, extra="", *args, **kwargs):
        if isinstance(extra, str):
            extra = extra.replace(torch_folder, "<torch>")
        return write(content, extension, extra, *args, **kwargs)

    portable.portable = True
    codecache.write = portable


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds module `name` as the path finder does, and calls then(module) once the module has run."""

    def __init__(self, name: str, then) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def run_then(module) -> None:
            run(module)
            self.then(module)

        spec.loader.exec_module = run_then  # this module's own loader
        return spec


def after_import(name: str, then) -> None:
    """then(module) now if `name` is imported, else as soon as it is (once per process)."""
    if name in sys.modules:
        then(sys.modules[name])
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, then))


def _tell_jax(path: Path | None) -> None:
    """JAX reads its cache settings from the environment when it is imported: after that, from its config."""
    if "jax" not in sys.modules:
        return
    import jax

    jax.config.update("jax_compilation_cache_dir", None if path is None else str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_enable_compilation_cache", path is not None)


def _prune(framework: str) -> None:
    """Keep the KEEP most recently used folders of `framework` on this machine and any used in the last STALE
    seconds; remove the others (they hold programs of implementations as they were before an edit)."""
    mine = sorted(root().glob(f"{framework}-*-{machine()}-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in mine[KEEP:]:
        if time.time() - old.stat().st_mtime > STALE:
            shutil.rmtree(old, ignore_errors=True)


def report() -> list[Cache]:
    """Each framework's cache as a run here would use it (quartet doctor)."""
    rows = []
    for framework in CACHED:
        if installed_version(framework) is None:
            rows.append(Cache(framework, None, note=f"{framework} not installed"))
        elif not enabled():
            rows.append(Cache(framework, None, note=f"off ({OFF}=1 or --no-cache)"))
        else:
            path = folder(framework)
            files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
            older = len(list(root().glob(f"{framework}-*"))) - path.is_dir()
            note = f"{older} other folders (other versions, machines or implementations)" if older else ""
            rows.append(Cache(framework, path, len(files), sum(p.stat().st_size for p in files), note))
    installed = [framework for framework in NOT_CACHED if installed_version(framework)]
    rows += [Cache(framework, None, note=NOT_CACHED[framework]) for framework in installed]
    return rows


def clear() -> tuple[int, int]:
    """Remove every folder of the cache root: (folders, bytes) removed."""
    folders = [p for p in root().glob("*") if p.is_dir()] if root().is_dir() else []
    size = sum(f.stat().st_size for p in folders for f in p.rglob("*") if f.is_file())
    for path in folders:
        shutil.rmtree(path, ignore_errors=True)
    return len(folders), size
