"""`quartet report`: one self-contained HTML file (CSS, JavaScript and images inline; no request
leaves it) with the environment, the conformance heat-map, the benchmark, the course replication and
the side-by-side code of every concept."""

import base64
import html
import json
from pathlib import Path

import pandas as pd

from ..check.judge import summary
from ..run.checkpoint import status
from ..run.files import write_atomically
from . import code
from .notebooks import notebooks as notebook_files

SECTIONS = ("environment", "conformance", "benchmarks", "replication", "code")


def latest(base: Path, kind: str) -> Path | None:
    """The newest base/kind-<time>/ folder, or None."""
    folders = sorted(p for p in Path(base).glob(f"{kind}-*") if p.is_dir())
    return folders[-1] if folders else None


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, cell=None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for column, value in record.items():
            cells.append(cell(column, value, record) if cell else f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _incomplete(folder: Path, command: str) -> str:
    """A warning above the tables of a run that was interrupted and not resumed."""
    state = status(folder)
    if state is None or state["complete"]:
        return ""
    return (
        f'<p class="incomplete">Incomplete run: <code>{html.escape(folder.name)}</code> was interrupted after '
        f"{state['units']} finished units; these are its finished rows. Finish it with <code>quartet {command} "
        f"--resume {html.escape(str(folder))}</code>.</p>"
    )


def _missing(what: str, where: str, command: str) -> str:
    return f'<p class="missing">No {what} found in {html.escape(where)}: run <code>{command}</code>.</p>'


def environment_section(env: dict) -> str:
    blas = env["blas"]
    rows = [
        ("Python", env["python"]),
        ("CPU", f"{env['cpu']} ({env['cores_usable']} cores usable)"),
        ("BLAS (NumPy)", f"{blas['library']} {blas['version']} {blas['architecture']}, {blas['threads']} threads"),
    ]
    rows += [
        (
            fw["name"],
            f"{fw['version'] or 'missing'}; threads {fw['threads'] or '-'}; devices "
            f"{', '.join(fw['devices']) or '-'} {fw['note']}",
        )
        for fw in env.get("frameworks", [])
    ]
    return _table(pd.DataFrame(rows, columns=["", "version, threads, devices"]))


def conformance_section(folder: Path | None, base: Path) -> str:
    if folder is None:
        return _missing("conformance results", str(base), "quartet check")

    frame = pd.read_csv(folder / "conformance.csv")
    table = summary(frame)
    pivot = table.pivot_table(
        index=["backend", "mode", "dtype", "device"], columns="column", values="margin", aggfunc="min", sort=False
    )
    errors = table.pivot_table(
        index=["backend", "mode", "dtype", "device"], columns="column", values="max_rel_err", aggfunc="max", sort=False
    )

    def cell(column, value, record):
        if column in ("backend", "mode", "dtype", "device"):
            return f"<td>{html.escape(str(value))}</td>"
        key = tuple(record[k] for k in ("backend", "mode", "dtype", "device"))
        error = errors.loc[key, column]
        margin = value
        cls = "fail" if margin < 1 else "near" if margin < 10 else "good"
        text = "exact" if error == 0 else f"{error:.1e}"
        title = "exact match" if margin == float("inf") else f"{margin:.3g}x inside the tolerance"
        return f'<td class="{cls}" title="{title}">{text}</td>'

    failed = int((~frame["passed"]).sum())
    intro = (
        f"<p>{len(frame)} comparisons from <code>{html.escape(folder.name)}</code>, {failed} failed. Each cell: "
        "the worst normwise relative error against the float64 NumPy reference; colour: margin to the "
        "tolerance (green: 10x inside, yellow: inside, red: outside).</p>"
    )
    return _incomplete(folder, "check") + intro + _table(pivot.reset_index(), cell)


def bench_section(folder: Path | None, base: Path) -> str:
    if folder is None:
        return _missing("benchmark results", str(base), "quartet bench --quick")
    frame = pd.read_csv(folder / "bench.csv")
    main = frame[frame["family"].isna()]
    rows = []
    for (name, mode, dtype), group in main.groupby(["backend", "mode", "dtype"], sort=False):
        row = {"backend": name, "mode": mode, "dtype": dtype}
        for workload in dict.fromkeys(main["workload"]):
            match = group[group["workload"] == workload]
            if match.empty:
                row[workload] = ""
                continue
            r = match.iloc[0]
            row[workload] = (
                f"{r['median_s'] * 1e3:.3g} ({100 * r['roofline_fraction']:.0f}%)"
                if r["status"] == "ok"
                else r["status"]
            )
        rows.append(row)
    images = "".join(_img(p, p.stem) for p in sorted(folder.glob("*.png")))
    intro = (
        f"<p>ms per training step, median, and % of the roofline bound, from <code>{html.escape(folder.name)}"
        "</code>.</p>"
    )
    return _incomplete(folder, "bench") + intro + _table(pd.DataFrame(rows)) + images


def replication_section(docs: Path) -> str:
    numbers = docs / "course-replication" / "results.json"
    if not numbers.is_file():
        return _missing("course replication", str(docs), "quartet replicate")
    runs = json.loads(numbers.read_text())["runs"]
    frame = pd.DataFrame(
        [
            {
                "run": r["run"],
                "framework": r.get("framework", "numpy"),
                "iterations": r["num_iterations"],
                "final cost": f"{r['costs'][str(r['num_iterations'] - 1)]:.10f}",
                "train accuracy": f"{r['train_accuracy']:.4f}",
                "test accuracy": "n/a" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}",
            }
            for r in runs
        ]
    )
    images = "".join(_img(p, p.stem) for p in sorted((docs / "course-replication").glob("*.png")))
    return _table(frame) + images


def code_panes(name: str, frameworks: list[str] | None = None) -> str:
    """One concept (or any function of the course) as HTML columns, one per framework (those given, or every
    one): the report's code section, and what a notebook displays (with CSS, the report's styles)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    concept = code.find(name)
    columns = "".join(
        f'<div class="fw fw-{fw}"><h4>{html.escape(code.TITLES.get(fw, fw))}</h4>'
        f"{highlight(text, PythonLexer(), HtmlFormatter(nowrap=False))}</div>"
        for fw, text in code.sources(name).items()
        if frameworks is None or fw in frameworks
    )
    heading = f'<h3 id="code-{name}">{html.escape(code.heading(name))}</h3>'
    formula = f'<p class="formula">{html.escape(concept.formula)}</p>' if concept.formula else ""
    return f'{heading}{formula}<div class="columns">{columns}</div>'


def notebooks_section(docs: Path) -> str:
    """Where the notebooks are (a path, not a link: the page fetches nothing) and whether an executed copy is."""
    rows = []
    for path in notebook_files():
        executed = docs / "notebooks" / f"{path.stem}.ipynb"
        copy = f"docs/notebooks/{executed.name}" if executed.is_file() else "not executed yet (make notebooks)"
        rows.append(
            f"<tr><td><code>notebooks/{html.escape(path.name)}</code></td><td><code>{html.escape(copy)}"
            "</code></td></tr>"
        )
    return (
        "<p>One per assignment: the course's calls in its order, the same cells in PyTorch, JAX and "
        "TensorFlow, the check's verdicts and the notes' lessons measured. Open them with "
        "<code>.venv/bin/jupyter lab notebooks/</code>.</p><table><tr><th>notebook</th><th>executed copy, "
        f"with its outputs</th></tr>{''.join(rows)}</table>"
    )


def code_section() -> str:
    boxes = "".join(
        f'<label><input type="checkbox" checked data-fw="{fw}"> {html.escape(code.TITLES.get(fw, fw))}</label> '
        for fw in code.FRAMEWORKS
    )
    return f'<div class="chooser">Show: {boxes}</div>' + "".join(code_panes(name) for name in code.REPORT)


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td.good { background: #c8efc8; } td.near { background: #fbeaa5; } td.fail { background: #f5b5b5; }
.missing { color: #a33; font-weight: bold; }
.incomplete { background: #fff4d6; border-left: 4px solid #d90; padding: 0.4em 0.8em; }
img { max-width: 100%; display: block; margin: 1em 0; }
.columns { display: flex; flex-wrap: wrap; gap: 8px; }
.fw { flex: 1 1 540px; min-width: 0; font-size: 12px; }
.fw pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.formula { font-family: monospace; background: #eef; padding: 4px; }
"""
SCRIPT = """
// how many code panes scroll sideways at this width (none should: their lines wrap); read by the browser test
window.addEventListener('load', function () {
  var wide = Array.from(document.querySelectorAll('.fw pre')).filter(function (pre) {
    return pre.scrollWidth > pre.clientWidth + 1;
  });
  document.body.dataset.panesScrolling = String(wide.length);
});
document.querySelectorAll('.chooser input').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('.fw-' + box.dataset.fw).forEach(function (el) {
      el.style.display = box.checked ? '' : 'none';
    });
  });
});
"""


def build(results: Path, docs: Path, env: dict) -> str:
    from pygments.formatters import HtmlFormatter

    check, bench = latest(results, "check"), latest(results, "bench")
    bodies = {
        "environment": ("Environment", environment_section(env)),
        "conformance": ("Conformance", conformance_section(check, results)),
        "benchmarks": ("Benchmarks", bench_section(bench, results)),
        "replication": ("Course replication", replication_section(docs)),
        "code": ("The code, side by side", code_section()),
        "notebooks": ("The notebooks", notebooks_section(docs)),
    }
    nav = " · ".join(f'<a href="#{key}">{title}</a>' for key, (title, _) in bodies.items())
    sections = "".join(f'<section id="{key}"><h2>{title}</h2>{body}</section>' for key, (title, body) in bodies.items())
    style = CSS + HtmlFormatter().get_style_defs(".highlight")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>quartet report</title>'
        f"<style>{style}</style></head><body><h1>quartet report</h1><p>NumPy, PyTorch, JAX and TensorFlow "
        f"computing the course's models: do they agree, and how fast? {nav}</p>{sections}"
        f"<script>{SCRIPT}</script></body></html>"
    )


def write(results: Path, docs: Path, out: Path, env: dict) -> tuple[Path, list[str]]:
    """Write out/report.html; also return which inputs were missing."""
    page = build(results, docs, env)
    path = Path(out) / "report.html"
    write_atomically(path, page.encode())
    missing = [kind for kind in ("check", "bench") if latest(results, kind) is None]
    if not (docs / "course-replication" / "results.json").is_file():
        missing.append("course replication")
    return path, missing
