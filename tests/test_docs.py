"""The docs, docstrings and comments say what the code does: the columns and commands they list, the files and
modules they name, the exit statuses. Read here where a test is cheap, so a change to one side fails until the
other follows."""

import re
from pathlib import Path

from conformance import cli
from conformance.check import judge


def test_the_judges_docstring_lists_its_columns_in_order():
    listed = re.search(r"per quantity:\n\n(.*?)\n\n", judge.__doc__, re.S).group(1)
    assert [c.strip() for c in listed.replace("\n", " ").split(",")] == judge.COLUMNS


def test_every_folder_readme_names_each_of_its_modules():
    """The README of each folder of the harness is its map: a module it does not name is one a newcomer
    cannot find."""
    root = Path(cli.__file__).resolve().parents[1]
    missing = []
    for folder in [root, *sorted(root.iterdir())]:
        readme = folder / "README.md"
        if readme.is_file():
            names = [m.name for m in sorted(folder.glob("*.py")) if m.name != "__init__.py"]
            missing += [f"{folder.name}/README.md: {n}" for n in names if f"`{n}`" not in readme.read_text()]
    assert not missing, "modules their folder's README does not name:\n" + "\n".join(missing)


def test_every_file_the_code_and_the_docs_name_exists():
    """A comment, docstring or page that names a file of the project names one that is there (a restructure
    moved frameworks.py and protocol.py into conformance/core/, and five comments kept the old paths)."""
    import re
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.md"], cwd=root, capture_output=True, text=True).stdout
    named = re.compile(
        r"\b(?:conformance|reference_numpy|impl_torch|impl_jax|impl_tf|tests|docs|plugins)/"
        r"[A-Za-z0-9_/.-]*[A-Za-z0-9_]\.(?:py|md|toml|json|csv)(?![\w.])"
    )
    from conformance.cli import new_backend

    examples = {"docs/new.md", "docs/x.md"}  # a test's page that is not there on purpose, a help text's example
    examples |= set(new_backend.FILES.values())  # the files of a package `quartet new-backend` writes, under NAME/
    missing = []
    for name in tracked.split():
        if name.startswith(("docs/notebooks/", "tests/learners/")) or not (root / name).is_file():
            continue
        for path in set(named.findall((root / name).read_text(errors="replace"))) - examples:
            if not (root / path).exists():
                missing.append(f"{name}: {path}")
    assert not missing, "files named that do not exist:\n" + "\n".join(sorted(missing))


def test_the_exit_statuses_are_said_in_the_same_words_everywhere():
    """--help, the README, docs/commands.md and cli/README.md give every exit status with the meaning
    cli/common.py's STATUSES gives it: a status added or reworded there fails here until they say it too."""
    from conformance.cli import common

    root = Path(__file__).resolve().parents[1]
    places = {"quartet --help": common.EXIT_STATUSES}
    places.update(
        {name: (root / name).read_text() for name in ("README.md", "docs/commands.md", "conformance/cli/README.md")}
    )
    for place, text in places.items():
        flat = " ".join(text.split())
        missing = [f"{code} {meaning}" for code, meaning in common.STATUSES if f"{code} {meaning}" not in flat]
        assert not missing, f"{place} does not say {missing}"
    assert common.EXIT_STATUSES in " ".join(cli.build_parser().format_help().split())


def _module_file(root: Path, dotted: list[str]) -> Path | None:
    base = root.joinpath(*dotted) if dotted[0] != "quartet_mlx" else root / "plugins" / "quartet-mlx" / Path(*dotted)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            text = path.read_text()
            alias = re.search(r"from \.core import (\w+)\n", text) if "sys.modules[__name__]" in text else None
            return path.parent / "core" / f"{alias.group(1)}.py" if alias else path  # a documented import's module
    return None


def test_every_module_the_code_and_the_docs_name_exists():
    """A dotted name of the project's (`conformance.check.localise`, `conformance.registry.BackendInfo`) is a
    module, or a name its module holds; a bare page name in capitals is a page of the repository: three
    docstrings sent the reader to a design page that is not in it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.txt"], cwd=root, capture_output=True, text=True)
    dotted = re.compile(r"\b(?:conformance|reference_numpy|impl_torch|impl_jax|impl_tf|quartet_mlx)(?:\.[A-Za-z_]\w*)+")
    page = re.compile(r"(?<![\w/.-])[A-Z][A-Z_]+\.md\b")
    pages = {Path(name).name for name in tracked.stdout.split()}
    examples = {"reference_numpy.mutant"}  # a test's module name for a mutant's source, on purpose
    missing = []
    for name in tracked.stdout.split():
        if name.startswith(("docs/notebooks/", "tests/learners/")) or not (root / name).is_file():
            continue
        text = (root / name).read_text(errors="replace")
        missing += [f"{name}: {p}" for p in set(page.findall(text)) - pages]
        for found in set(dotted.findall(text)) - examples:
            parts = found.split(".")
            if parts[-1] in ("py", "md", "csv", "json", "toml", "txt", "html", "png"):
                continue  # a file: conformance.csv, a results folder's
            for end in range(len(parts), 0, -1):  # the longest prefix that is a module
                module = _module_file(root, parts[:end])
                if module is not None:
                    rest = parts[end:]
                    if rest and not re.search(rf"\b{rest[0]}\b", module.read_text()):
                        missing.append(f"{name}: {found} ({module.relative_to(root)} has no {rest[0]})")
                    break
            else:
                missing.append(f"{name}: {found} (no such module)")
    assert not missing, "modules or pages named that do not exist:\n" + "\n".join(sorted(missing))
