"""The persistent compilation caches (conformance/core/caches.py): where they live, what their folder is keyed
by, that a second process loads what the first compiled, and that --no-cache and --clear-cache do what they say."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.core import backends, caches
from conformance.core.registry import BackendInfo

JITTED = """
import os, sys
from conformance.core import caches
caches.enable()
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
f = jax.jit(lambda x: jnp.tanh(x) {op} 3.0)
print(float(f(jnp.ones((5, 7))).sum()))
"""

KERNEL = """
from conformance.core import caches
caches.enable()
import torch
from torch._inductor.codecache import CppCodeCache
print(CppCodeCache.load('extern "C" int twice(int x) { return 2 * x; }').twice(21), torch.__file__)
"""


@pytest.fixture
def cache_root(tmp_path):
    """A cache root of the test's own; afterwards the session's environment and caches as they were."""
    saved = dict(os.environ)
    os.environ["QUARTET_CACHE_DIR"] = str(tmp_path / "cache")
    yield tmp_path / "cache"
    os.environ.clear()
    os.environ.update(saved)
    caches.enable()  # JAX, if this process imported it, is told its folder again


def test_the_root_follows_the_xdg_convention(monkeypatch, tmp_path):
    monkeypatch.delenv("QUARTET_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert caches.root() == tmp_path / "xdg" / "quartet"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert caches.root() == caches.Path.home() / ".cache" / "quartet"
    monkeypatch.setenv("QUARTET_CACHE_DIR", str(tmp_path / "mine"))
    assert caches.root() == tmp_path / "mine"


def test_a_changed_implementation_gets_a_folder_of_its_own(tmp_path, monkeypatch):
    """The folder's name holds a hash of the code of every package on the framework: one edit of the code, a new
    folder; an edit of a comment or of the layout, the same one."""
    package = tmp_path / "port_on_jax"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "deep.py").write_text("def relu(Z):\n    return Z * (Z > 0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(caches, "BACKENDS", {**caches.BACKENDS, "port": BackendInfo("port", "port_on_jax", "jax")})
    before = caches.code("jax")
    assert caches.code("jax") == before  # stable
    (package / "deep.py").write_text("def relu(Z):  # max(Z, 0)\n\n    return Z * (Z > 0)\n")
    assert caches.code("jax") == before  # a comment and a blank line: the same code, the same folder
    (package / "deep.py").write_text("def relu(Z):\n    return Z * (Z >= 0)\n")
    assert caches.code("jax") != before
    assert caches.code("torch") == caches.code("torch")  # another framework's key is its own packages'
    name = caches.folder("jax").name
    assert name.startswith(f"jax-{caches.installed_version('jax')}-{caches.machine()}-")
    assert name.endswith(caches.code("jax"))


def test_a_second_process_loads_what_the_first_compiled(cache_root):
    """JAX's programs are written under the folder and read back; a changed program is a new entry, never the
    old one loaded (its result is the new function's)."""
    pytest.importorskip("jax")

    def run(op: str) -> float:
        done = subprocess.run(
            [sys.executable, "-c", JITTED.format(op=op)],
            capture_output=True,
            text=True,
            env={**os.environ, "QUARTET_CACHE_DIR": str(cache_root)},
        )
        assert done.returncode == 0, done.stderr
        return float(done.stdout)

    def entries() -> set[str]:
        return {p.name for p in caches.folder("jax").rglob("*") if p.is_file()}

    first = run("+")
    written = entries()
    assert written, "the first process wrote nothing to the cache"
    assert run("+") == first and entries() == written  # loaded: nothing new written
    assert run("*") != first and entries() > written  # another program: a new entry beside the old


def test_no_cache_turns_every_framework_off_and_doctor_says_so(cache_root, capsys):
    caches.enable(False)
    assert os.environ[caches.OFF] == "1" and os.environ["TORCHINDUCTOR_FORCE_DISABLE_CACHES"] == "1"
    assert "JAX_COMPILATION_CACHE_DIR" not in os.environ
    assert all(c.folder is None for c in caches.report())
    assert cli.main(["doctor"]) == 0
    assert "off (QUARTET_NO_CACHE=1 or --no-cache)" in " ".join(capsys.readouterr().out.split())


def test_doctor_shows_the_folders_and_clears_them(cache_root, capsys):
    caches.enable()
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(caches.folder("jax"))
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(caches.folder("torch"))
    (caches.folder("jax") / "entry").write_bytes(b"x" * 2_000_000)
    (jax,) = [c for c in caches.report() if c.framework == "jax"]
    assert (jax.folder, jax.files, jax.size) == (caches.folder("jax"), 1, 2_000_000)
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "jax-" in out and "2.0" in out  # its folder (as wide as the terminal allows) and its megabytes
    assert "tensorflow" in out and "SIGILL" in " ".join(out.split())  # the one left off says why
    assert cli.main(["doctor", "--clear-cache"]) == 0
    assert "removed 2 cache folders (2.0 MB)" in capsys.readouterr().out
    assert not list(cache_root.iterdir())


def test_each_framework_keeps_its_most_recently_used_folders(cache_root):
    def folders() -> set[str]:
        return {p.name for p in cache_root.glob(f"jax-*-{caches.machine()}-*")}

    def make(name: str, used: float) -> None:
        (cache_root / name).mkdir(parents=True)
        os.utime(cache_root / name, (used, used))

    for i in range(caches.KEEP + 2):  # long unused: beyond the KEEP most recent, removed
        make(f"jax-0.0-{caches.machine()}-old{i}", 1000 + i)
    make("jax-0.0-mother-old", 1000)  # another machine's: not this machine's to prune
    caches.enable()
    newest = {f"jax-0.0-{caches.machine()}-old{i}" for i in range(3, caches.KEEP + 2)}  # the KEEP - 1 newest
    assert folders() == {caches.folder("jax").name} | newest
    assert (cache_root / "jax-0.0-mother-old").is_dir()
    for i in range(caches.KEEP + 1):  # used within the hour (a mutation pass going on): all kept
        make(f"jax-0.0-{caches.machine()}-recent{i}", caches.time.time() - 60 - i)
    caches.enable()
    assert {f"jax-0.0-{caches.machine()}-recent{i}" for i in range(caches.KEEP + 1)} <= folders()


def test_a_kernel_built_under_one_environment_is_found_from_another(cache_root, tmp_path):
    """Inductor's C++ kernels are found by a hash without the folder PyTorch is installed in: the same Python
    reached through a second path (a fresh clone's virtual environment, as inductor sees it) loads the kernel the
    first built instead of running g++ again. The kernel goes through the code cache every compiled graph's
    kernels go through (torch.compile's first use would add ten seconds to each process)."""
    ok, reason = backends.framework_status("torch")
    if not ok:
        pytest.skip(reason)
    other = tmp_path / "another-environment"
    other.symlink_to(sys.prefix, target_is_directory=True)
    pythons = [sys.executable, str(other / Path(sys.executable).relative_to(sys.prefix))]
    built, printed = [], []
    for python in pythons:
        done = subprocess.run([python, "-c", KERNEL], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        printed.append(done.stdout.split())
        built.append(sorted(p.name for p in cache_root.rglob("*.so")))
    assert "another-environment" in printed[1][1]  # the second really is another folder to PyTorch
    assert printed[0][0] == printed[1][0] == "42"
    assert built[0] and built[1] == built[0], built  # the kernel of the first, and no other
