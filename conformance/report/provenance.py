"""What produced each result committed in docs/: the command, the date, the commit, and a hash of the
code it measured (the implementations, the reference and the parts of conformance/ the result depends
on), so that a page that no longer describes the code beside it says so, and a test catches it.

A markdown page carries its record under its title: one line a reader understands and the same as an
HTML comment. Other files (CSV, PNG, JSON) are listed in docs/provenance.json with their record and the
sha256 of their bytes; a CSV stays plain for pd.read_csv. The code hash ignores docstrings, comments and
formatting (it hashes each module's syntax tree), so a docstring edit leaves a 40-minute page current.
A page that is not rerun on purpose says so at its top, in the words EARLIER matches, and the claim is
checked: the code hash of the commit it names (read from git) must be the one the page recorded. Such pages
are listed apart, with how old the code they describe is and whether the code they measured has changed.

    python -m conformance.report.provenance                 # every stale or unrecorded result; exit 1 if any
    python -m conformance.report.provenance stamp PATH --kind check --command "quartet check ..."
"""

import argparse
import ast
import datetime
import functools
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPLEMENTATIONS = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf")
# where each kind of result starts: the implementations whole (the registry loads them by name), and the
# harness's modules that compute and write it; the code it depends on is these and what they import
PARTS = {
    "check": (
        *IMPLEMENTATIONS,
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/report/check_results.py",
    ),
    "bench": (*IMPLEMENTATIONS, "conformance/bench/run.py", "conformance/bench/results.py"),
    "course": (*IMPLEMENTATIONS, "conformance/check/course.py", "conformance/report/course.py"),
    "parallel": (*IMPLEMENTATIONS, "conformance/parallel"),
    "mutation": (
        *IMPLEMENTATIONS,
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/cli/mutate.py",
        "conformance/check/localise.py",
    ),
    "porting_bugs": (
        *IMPLEMENTATIONS,
        "plugins/quartet-mlx/quartet_mlx",
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/report/porting_bugs.py",
    ),
    "report": (*IMPLEMENTATIONS, "conformance/report/html.py"),
    "learner": ("reference_numpy", "conformance/learner", "conformance/report/learner.py"),
}
# the command line's dispatcher imports every subcommand and computes nothing (a result depends on its own),
# and this module records results and computes none
NOT_FOLLOWED = ("conformance/cli/__init__.py", "conformance/report/provenance.py")
MANIFEST = "docs/provenance.json"
# written by hand (guides; their numbers are quoted from the generated pages), or checked by a test of their own
NOT_GENERATED = {
    "docs/commands.md": "a guide to the commands, written by hand",
    "docs/reading-the-code.md": "a guide to the code, written by hand",
    "docs/one-training-step.md": "a guide to one step, written by hand",
    "docs/plugins.md": "a guide to the plugin contract, written by hand",
    "docs/robustness.md": "each row names the test that keeps it",
    "docs/results.md": "a summary of the pages below, written by hand",
    "docs/notebooks": "tests/test_notebooks.py checks the executed copies against the notebooks",
    MANIFEST: "the manifest itself",
}
_COMMENT = re.compile(r"^<!-- provenance (\{.*\}) -->\n(?:_Written by .*_\n)?\n?", re.MULTILINE)
EARLIER = re.compile(r"This page describes commit ([0-9a-f]{7,40}) \((\d{4}-\d{2}-\d{2})\): \S")
TOP = 30  # the lines of a page where its record or its EARLIER sentence must be


def _canonical(node) -> str:
    """A syntax tree as text, without positions and without empty fields (so Python 3.11 and 3.12 agree)."""
    if isinstance(node, ast.AST):
        fields = [f"{k}={_canonical(v)}" for k, v in ast.iter_fields(node) if v is not None and v != []]
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return f"[{','.join(map(_canonical, node))}]"
    return repr(node)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


def _module(dotted: str, root: Path) -> list[Path]:
    """The files that importing `dotted` runs, when it is this project's: its packages' __init__ and itself."""
    found, parts = [], dotted.split(".")
    for i in range(1, len(parts) + 1):
        path = root.joinpath(*parts[:i])
        if (path / "__init__.py").is_file():
            found.append(path / "__init__.py")
        elif path.with_suffix(".py").is_file():
            found.append(path.with_suffix(".py"))
        else:
            break
    return found


def _imports(path: Path, root: Path) -> list[Path]:
    """This project's files that a file imports (at the top or inside a function)."""
    package = path.parent.relative_to(root).parts
    found: list[Path] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            base = base if node.level else (node.module or "")
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            found += _module(name, root)
    return found


def files(kind: str, root: Path = ROOT) -> list[Path]:
    """The .py files a result of this kind depends on: its parts and, transitively, what they import."""
    todo = []
    for part in PARTS[kind]:
        path = root / part
        todo += [path] if path.is_file() else sorted(path.rglob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen and path.relative_to(root).as_posix() not in NOT_FOLLOWED:
            seen.add(path)
            todo += _imports(path, root)
    return sorted(seen)


def code_hash(kind: str, root: Path = ROOT) -> str:
    """sha256 (16 hex digits) over the syntax trees, docstrings dropped, of the files a kind depends on."""
    digest = hashlib.sha256()
    for path in files(kind, root):
        tree = _without_docstrings(ast.parse(path.read_text(), str(path)))
        digest.update(f"{path.relative_to(root).as_posix()}\0{_canonical(tree)}\0".encode())
    return digest.hexdigest()[:16]


def _git(*args: str, root: Path = ROOT) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def record(kind: str, command: str, root: Path = ROOT) -> dict:
    """What produced a result now: the command, the date, the commit (+changes when the measured parts differ
    from it) and the code hash."""
    commit = _git("rev-parse", "--short=12", "HEAD", root=root) or "unknown"
    if commit != "unknown" and _git("status", "--porcelain", "--", *PARTS[kind], root=root):
        commit += "+changes"
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {"kind": kind, "command": command, "date": date, "commit": commit, "code": code_hash(kind, root)}


def stamp_text(text: str, rec: dict) -> str:
    """The page with its record under its title (an older record replaced)."""
    title, _, rest = _COMMENT.sub("", text).partition("\n")
    line = (
        f"_Written by `{rec['command']}` on {rec['date']} at commit {rec['commit']}; code hash {rec['code']} "
        f"({', '.join(PARTS[rec['kind']])})._"
    )
    return f"{title}\n\n<!-- provenance {json.dumps(rec)} -->\n{line}\n\n{rest.lstrip(chr(10))}"


def page_record(text: str) -> dict | None:
    found = _COMMENT.search("\n".join(text.splitlines()[:TOP]) + "\n")
    return json.loads(found.group(1)) if found else None


def earlier(text: str) -> re.Match | None:
    """The sentence that says the page describes an earlier commit, with the reason, within its top lines."""
    return EARLIER.search(" ".join(text.splitlines()[:TOP]))


def stamp(path: Path, rec: dict, page: str | None = None, root: Path = ROOT) -> None:
    """Record what produced the file at `path`: in the page for markdown, else in the manifest beside it
    (docs/provenance.json for a file under docs/) with the sha256 of its bytes and the page it belongs to."""
    path = Path(path).resolve()
    if path.suffix == ".md":
        path.write_text(stamp_text(path.read_text(), rec))
        return
    docs = root.resolve() / "docs"
    base = docs.parent if docs in path.parents else path.parent
    manifest_path = docs / "provenance.json" if base == docs.parent else path.parent / "provenance.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    entry = {**rec, **({"page": page} if page else {}), "sha256": _sha256(path)}
    manifest[path.relative_to(base).as_posix()] = entry
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _generated(root: Path) -> list[Path]:
    docs = root / "docs"
    skip = [root / p for p in NOT_GENERATED]
    return sorted(p for p in docs.rglob("*") if p.is_file() and not any(p == s or s in p.parents for s in skip))


def problems(root: Path = ROOT) -> list[str]:
    """Every generated file in docs/ whose measured code changed and that does not say it describes an
    earlier commit, or that has no record at all; one line each, naming the command that regenerates it."""
    manifest_path = root / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    hashes: dict[str, str] = {}
    found = []
    for path in _generated(root):
        name = path.relative_to(root).as_posix()
        text = path.read_text() if path.suffix == ".md" else ""
        rec = page_record(text) if path.suffix == ".md" else manifest.get(name)
        page = (root / rec["page"]) if rec and rec.get("page") else path
        said = earlier(page.read_text()) if page.suffix == ".md" and page.is_file() else None
        said = said or (rec or {}).get("earlier")  # a file of no page: the manifest says why it is kept
        if rec is None:
            found.append(
                ""
                if said
                else f"{name}: no provenance record (stamp it where it is written: conformance/report/provenance.py)"
            )
            continue
        if path.suffix != ".md" and rec.get("sha256") != _sha256(path):
            found.append(f"{name}: its bytes differ from those recorded in {MANIFEST}; regenerate it: {rec['command']}")
            continue
        if rec["kind"] not in hashes:
            hashes[rec["kind"]] = code_hash(rec["kind"], root)
        claim = earlier(page.read_text()) if said and page.suffix == ".md" and page.is_file() else None
        at = hash_at(claim.group(1), rec["kind"], root) if claim and page == path else rec["code"]
        if at != rec["code"] and (at is not None or history(root)):  # a shallow clone cannot tell: not a problem
            found.append(
                f"{name}: says it describes commit {claim.group(1)}, but "
                + (
                    "that commit is not in this repository's history"
                    if at is None
                    else f"that commit's code hash is {at}, not the {rec['code']} the page recorded (hashed as "
                    "this tree's provenance.py hashes: a change to PARTS or to the hashing shows here too)"
                )
                + f": name the commit it was made at, or regenerate it: {rec['command']}"
            )
            continue
        if rec["code"] != hashes[rec["kind"]] and not said:
            found.append(
                f"{name}: the code it measured ({', '.join(PARTS[rec['kind']])}) changed since commit "
                f"{rec['commit']}; regenerate it: {rec['command']} (or say at the top of "
                f"{page.relative_to(root).as_posix()}: 'This page describes commit {rec['commit'][:7]} "
                f"({rec['date'][:10]}): <why it was not rerun>')"
            )
    return [f for f in found if f]


CODE = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf", "conformance", "plugins")  # what a kind can import


@functools.cache
def history(root: Path = ROOT) -> bool:
    """Whether this checkout holds its whole history, so that a commit missing from it does not exist (a shallow
    clone, a tree without git, or a git that refuses the folder cannot say)."""
    return _git("rev-parse", "--is-shallow-repository", root=root) == "false"


@functools.cache
def hash_at(commit: str, kind: str, root: Path = ROOT) -> str | None:
    """The code hash of `kind` at `commit`, hashed as today's code_hash hashes (its code folders read from git
    into a scratch folder); None when git cannot give that commit."""
    present = set(_git("ls-tree", "--name-only", commit, root=root).splitlines())  # plugins/ came later
    if not present:
        return None
    folders = [c for c in CODE if c in present]
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "--", *folders], cwd=root, capture_output=True)
    if archive.returncode:
        return None
    with tempfile.TemporaryDirectory(prefix="quartet-provenance-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            for member in tar.getmembers():  # git's own archive of this repository: plain files and folders
                target = Path(tmp, member.name)
                if member.isfile() and ".." not in Path(member.name).parts:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(member).read())
        return code_hash(kind, Path(tmp))


def earlier_pages(root: Path = ROOT) -> list[dict]:
    """Each page that says it describes an earlier commit: the page, the commit and its date, how many days
    before today's code that was, whether the code it measured has changed since, and whether the claim holds
    (that commit's code hash is the one the page recorded)."""
    rows, now = [], {}
    for path in _generated(root):
        if path.suffix != ".md":
            continue
        text = path.read_text()
        said, rec = earlier(text), page_record(text)
        if not said or not rec:
            continue
        commit, date = said.group(1), said.group(2)
        at = hash_at(commit, rec["kind"], root)
        age = (datetime.date.today() - datetime.date.fromisoformat(date)).days
        now[rec["kind"]] = now.get(rec["kind"]) or code_hash(rec["kind"], root)
        rows.append(
            {
                "page": path.relative_to(root).as_posix(),
                "commit": commit,
                "date": date,
                "days": age,
                "changed": rec["code"] != now[rec["kind"]],
                "known": at is not None,
                "history": history(root),
                "holds": at == rec["code"],
            }
        )
    return rows


def earlier_lines(rows: list[dict]) -> list[str]:
    """The pages that describe earlier code, one line each, for the listing and the report."""
    return [
        f"{r['page']}: describes commit {r['commit']} of {r['date']} ({r['days']} days old)"
        + ("; the code it measured has changed since" if r["changed"] else "; its code is unchanged since")
        + (
            ""
            if r["known"]
            else "; no such commit in this history"
            if r["history"]
            else "; the commit cannot be read here (a shallow clone?): the claim is unchecked"
        )
        for r in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report.provenance", description=__doc__.split(".")[0])
    sub = parser.add_subparsers(dest="action")
    s = sub.add_parser("stamp", help="record what produced a file in docs/")
    s.add_argument("path", type=Path)
    s.add_argument("--kind", choices=PARTS, required=True)
    s.add_argument("--command", required=True, help="the command that regenerates it")
    s.add_argument("--page", default=None, help="for a CSV or figure: the page it belongs to (docs/x.md)")
    args = parser.parse_args(argv)
    if args.action == "stamp":
        rec = record(args.kind, args.command)
        stamp(args.path, rec, page=args.page)
        print(rec)
        return 0
    found = problems()
    print("\n".join(found) or "every generated page and file in docs/ describes the code beside it, or says which")
    older = earlier_lines(earlier_pages())
    if older:
        print(f"{len(older)} pages describe earlier code, as they say at their top:")
        print("\n".join(f"  {line}" for line in older))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
