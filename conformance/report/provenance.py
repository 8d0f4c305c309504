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
import datetime
import functools
import hashlib
import json
import re
import sys
from pathlib import Path

from .code_hash import CODE, NOT_FOLLOWED, PARTS, ROOT, _git, code_hash, files, hash_at

__all__ = ["CODE", "NOT_FOLLOWED", "PARTS", "code_hash", "files", "hash_at"]
MANIFEST = "docs/provenance.json"
# written by hand (guides; their numbers are quoted from the generated pages), or checked by a test of their own
NOT_GENERATED = {
    "docs/commands.md": "a guide to the commands, written by hand",
    "docs/reading-the-code.md": "a guide to the code, written by hand",
    "docs/one-training-step.md": "a guide to one step, written by hand",
    "docs/plugins.md": "a guide to the plugin contract, written by hand",
    "docs/robustness.md": "each row names the test that keeps it",
    "docs/results.md": "a summary of the pages below, written by hand",
    "docs/notebooks": "tests/test_report_notebooks.py checks the executed copies against the notebooks",
    MANIFEST: "the manifest itself",
}
_COMMENT = re.compile(r"^<!-- provenance (\{.*\}) -->\n(?:_Written by .*_\n)?\n?", re.MULTILINE)
EARLIER = re.compile(r"This page describes commit ([0-9a-f]{7,40}) \((\d{4}-\d{2}-\d{2})\): \S")
TOP = 30  # the lines of a page where its record or its EARLIER sentence must be


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


@functools.cache
def history(root: Path = ROOT) -> bool:
    """Whether this checkout holds its whole history, so that a commit missing from it does not exist (a shallow
    clone, a tree without git, or a git that refuses the folder cannot say)."""
    return _git("rev-parse", "--is-shallow-repository", root=root) == "false"


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
