"""`quartet new-backend NAME`: a package folder NAME/ in the current directory for a new port of the
course: the course's functions as stubs in the reference's order, with their shape comments; the entry
point that registers it with quartet; a test that runs the conformance suite on it. Filling in the
bodies until `pytest` (or `quartet check --backends numpy,NAME`) is green is the whole job."""

import argparse
import keyword
import os
import sys
from pathlib import Path
from string import Template

from ..core.registry import DISTRIBUTION, NAMES
from .common import UsageError, console

KIT = Path(__file__).resolve().parents[1] / "kit"
FILES = {  # template -> where it goes, under NAME/
    "template_pyproject.toml.txt": "pyproject.toml",
    "template_backend.py.txt": "{package}/backend.py",
    "template_arrays.py.txt": "{package}/arrays.py",
    "template_deep.py.txt": "{package}/deep.py",
    "template_logistic.py.txt": "{package}/logistic.py",
    "template_test.py.txt": "tests/test_conformance.py",
    "template_course_test.py.txt": "tests/test_course.py",
}


def add_parser(sub) -> None:
    parser = sub.add_parser("new-backend", help="a package folder NAME/ for a new port: stubs, entry point, test")
    parser.add_argument("name", help="the backend's name, a Python identifier (mlx, cupy, tinygrad, ...)")
    parser.add_argument("--title", default=None, help="how the docstrings name the framework (default: NAME)")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where the folder NAME/ is written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    name = args.name
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise UsageError(f"new-backend {name!r}: the name must be a lower-case Python identifier, e.g. mlx")
    if name in NAMES:
        raise UsageError(f"new-backend {name!r}: quartet already has a backend of that name")
    if f"quartet-{name}" == DISTRIBUTION:
        raise UsageError(f"new-backend {name!r}: its distribution, quartet-{name}, would be quartet's own")
    folder = args.dir / name
    if folder.exists():
        raise UsageError(f"new-backend {name!r}: {folder} exists already; nothing was written")
    write(folder, name, args.title or name)
    python = os.path.relpath(sys.executable) if not os.path.relpath(sys.executable).startswith("..") else sys.executable
    console.print(
        f"wrote {folder}/: fill in the bodies of {name}/quartet_{name}/*.py, then (the python that runs "
        f"quartet, so that quartet finds it)\n  {python} -m pip install -e {folder}\n"
        f"  pytest {folder}/tests   (or: quartet check --backends numpy,{name})",
        highlight=False,
        markup=False,
    )
    return 0


def write(folder: Path, name: str, title: str) -> list[Path]:
    """The package folder for backend `name`; returns the files written."""
    package = f"quartet_{name}"
    values = {"name": name, "title": title, "package": package, "distribution": DISTRIBUTION}
    written = []
    for template, target in FILES.items():
        path = folder / target.format(package=package)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((KIT / template).read_text()).substitute(values))
        written.append(path)
    init = folder / package / "__init__.py"
    init.write_text(f'"""The course\'s models in {title}, a quartet backend."""\n')
    return [*written, init]
