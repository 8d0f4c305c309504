"""Every generated page and file in docs/ records what produced it and still describes the code beside it,
or says at its top which earlier commit it describes and why (conformance/report/provenance.py)."""

import re
import shutil
from pathlib import Path

import pytest

from conformance.report import provenance

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_generated_page_describes_the_code_beside_it():
    found = provenance.problems(ROOT)
    assert not found, "\n".join(found)


def _tree(tmp_path: Path) -> Path:
    """A copy of the code a check depends on, and a page stamped as `quartet check` writes it."""
    for part in provenance.PARTS["check"]:
        source = ROOT / part
        if source.is_file():
            (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp_path / part)
        else:
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    page, csv = tmp_path / "docs" / "conformance-cpu.md", tmp_path / "docs" / "conformance-cpu.csv"
    page.write_text("# Conformance\n\nThe table.\n")
    csv.write_text("backend,passed\nnumpy,True\n")
    rec = provenance.record("check", "quartet check", tmp_path)
    provenance.stamp(page, rec, root=tmp_path)
    provenance.stamp(csv, rec, page="docs/conformance-cpu.md", root=tmp_path)
    return tmp_path


def _plant(tmp_path: Path, old: str, new: str) -> None:
    deep = tmp_path / "impl_torch" / "deep.py"
    text = deep.read_text()
    assert old in text
    deep.write_text(text.replace(old, new, 1))


def test_a_planted_change_to_an_implementation_makes_the_page_stale_until_regenerated(tmp_path):
    tree = _tree(tmp_path)
    assert provenance.problems(tree) == []
    _plant(tree, "Z = W @ A_prev + b", "Z = W @ A_prev - b")  # a change to what the implementation computes
    found = provenance.problems(tree)
    assert len(found) == 2 and all("quartet check" in f and "changed since commit" in f for f in found)
    assert found[0].startswith("docs/conformance-cpu.csv") and found[1].startswith("docs/conformance-cpu.md")
    rec = provenance.record("check", "quartet check", tree)  # regenerated: the command stamps what it writes
    provenance.stamp(tree / "docs" / "conformance-cpu.md", rec, root=tree)
    provenance.stamp(tree / "docs" / "conformance-cpu.csv", rec, page="docs/conformance-cpu.md", root=tree)
    assert provenance.problems(tree) == []


def _commit(tree: Path, message: str) -> str:
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tree, check=True, capture_output=True, text=True).stdout.strip()

    if not (tree / ".git").exists():
        git("init", "-q")
    git("add", "-A")
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
    )
    return git("rev-parse", "--short=7", "HEAD")


def test_a_page_may_say_it_describes_an_earlier_commit_and_the_claim_is_checked(tmp_path):
    """The page's EARLIER sentence exempts it from regeneration only where it holds: the commit it names had the
    code the page recorded. A commit not in the history, or one whose code differs, is named; the listing names
    the page as describing earlier code, with its age, either way."""
    tree = _tree(tmp_path)
    measured = _commit(tree, "the code the page measured")
    _plant(tree, "Z = W @ A_prev + b", "Z = W @ A_prev - b")
    later = _commit(tree, "a change to what the implementation computes")
    page = tree / "docs" / "conformance-cpu.md"
    title, _, rest = page.read_text().partition("\n")
    for commit, holds in ((measured, True), (later, False), ("abc1234", False)):
        provenance.hash_at.cache_clear()
        provenance.history.cache_clear()
        page.write_text(
            f"{title}\n\nThis page describes commit {commit} (2026-11-28): the full run takes an hour.\n{rest}"
        )
        found = provenance.problems(tree)
        assert (found == []) == holds, found  # its CSV too: the page speaks for it
        assert holds or f"says it describes commit {commit}, but " in found[0]
        days = (provenance.datetime.date.today() - provenance.datetime.date(2026, 11, 28)).days
        assert provenance.earlier_lines(provenance.earlier_pages(tree)) == [
            f"docs/conformance-cpu.md: describes commit {commit} of 2026-11-28 ({days} days old); the code it "
            "measured has changed since" + ("; no such commit in this history" if commit == "abc1234" else "")
        ]


def test_docstrings_comments_and_formatting_leave_a_page_current(tmp_path):
    tree = _tree(tmp_path)
    deep = tree / "impl_torch" / "deep.py"
    text = deep.read_text()
    head, _, body = text.partition('"""')  # the module's docstring, then a comment and a blank line
    deep.write_text(head + '"""Said otherwise. ' + body.replace("\n\n", "\n\n# a comment\n\n\n", 1))
    assert provenance.problems(tree) == []


def test_a_page_without_record_or_sentence_and_a_changed_csv_are_named(tmp_path):
    tree = _tree(tmp_path)
    (tree / "docs" / "new.md").write_text("# New\n\nNumbers.\n")
    (tree / "docs" / "conformance-cpu.csv").write_text("backend,passed\nnumpy,False\n")
    found = provenance.problems(tree)
    assert any(f.startswith("docs/new.md: no provenance record") for f in found)
    assert any(f.startswith("docs/conformance-cpu.csv: its bytes differ") for f in found)


# numbers in the README's prose (its code blocks are commands) that are not results: each with the reason
README_NOT_RESULTS = {
    "0": "an exit status (conformance/cli/common.py), and '0 of 14 written' in the new-backend example",
    "1": "an exit status",
    "2": "an exit status",
    "3": "an exit status",
    "130": "an exit status (Ctrl-C)",
    "143": "an exit status (SIGTERM)",
    "3.11": "the Python the project requires (pyproject.toml)",
    "3.4": "the size of the pinned environment: guidance for the install, not a result",
    "5": "'5 of 5 green': the course's five logistic functions, in the new-backend example",
    "14": "'0 of 14 written': the course's fourteen deep-network functions, in the new-backend example",
}
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:e-?\d+)?(?!\w)")


def _numbers(text: str) -> list[str]:
    """The numbers of a page's prose: code blocks, code spans and link targets left out."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return _NUMBER.findall(text)


def test_every_number_in_the_readme_is_on_a_page_with_provenance_it_links():
    readme = (ROOT / "README.md").read_text()
    linked = sorted(set(re.findall(r"\]\((docs/[^)#]+\.md)\)", readme)))
    pages = " ".join(
        t for t in ((ROOT / p).read_text() for p in linked) if provenance.page_record(t) or provenance.earlier(t)
    )
    found = set(_numbers(pages)) | {f"{float(n) * 100:g}" for n in re.findall(r"\b0\.\d{4}\b", pages)}  # 0.9000: 90 %
    missing = [n for n in dict.fromkeys(_numbers(readme)) if n not in found and n not in README_NOT_RESULTS]
    assert not missing, f"numbers in README.md on no page with provenance that it links: {missing}"
