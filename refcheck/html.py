"""A Report as HTML: ``fragment`` for a notebook (``Report._repr_html_``), ``document`` for
``refcheck --html FILE``: one self-contained page (styles inline, pictures embedded as base64 PNG,
nothing fetched from the network).

The verdict table says each status in words and in colour (readable without colour); each failing
function gets its smallest failing case: the report, the hint and its evidence, the repro line and,
with matplotlib installed (``refimpl[report]``), a heat map of actual - expected per failing output
and of its inputs.
"""
from html import escape

from . import pictures
from .text import worst_text

COLOURS = {"pass": "#d7f5dc", "fail": "#ffd6d6", "error": "#ffe2b8", "missing": "#eeeeee"}
LABELS = {"pass": "\u2714 pass", "fail": "\u2718 FAIL", "error": "\u26a0 ERROR", "missing": "\u2013 missing"}
STYLE = """
.refcheck {font-family: system-ui, sans-serif; font-size: 13px; color: #111}
.refcheck table.verdicts {border-collapse: collapse; margin: 6px 0}
.refcheck table.verdicts th, .refcheck table.verdicts td {border: 1px solid #bbb; padding: 2px 8px; text-align: left;
  vertical-align: top}
.refcheck td.num {text-align: right; font-variant-numeric: tabular-nums}
.refcheck td.status {font-weight: bold; white-space: nowrap}
.refcheck pre {background: #f6f6f6; padding: 6px; white-space: pre-wrap; font-size: 12px}
.refcheck .hint {background: #fff6cc; padding: 4px 6px; border-left: 4px solid #e0b400}
.refcheck code.repro {display: block; background: #eef; padding: 4px 6px; white-space: pre-wrap}
.refcheck figure {display: inline-block; margin: 4px}
.refcheck figcaption {font-size: 11px; max-width: 380px}
"""


def _row(r):
    worst = "" if r.status in ("missing", "error") or not r.cases else worst_text(r.worst)
    notes = []
    if r.hint:
        notes.append(f"hint: {escape(r.hint)}")
    if r.warnings:
        notes.append(f"warning: {escape('; '.join(r.warnings))}")
    if r.not_judged and r.cases:
        notes.append(f"not judged on {r.not_judged} cases: {escape(r.not_judged_reason)}")
    link = f'<a href="#rc-{escape(r.name)}">{escape(r.name)}</a>' if r.status in ("fail", "error") else escape(r.name)
    return (f'<tr class="{r.status}"><td>{link}</td><td class="status" style="background:{COLOURS[r.status]}">'
            f'{LABELS[r.status]}</td><td class="num">{r.cases}</td><td class="num">{worst}</td>'
            f'<td>{"<br>".join(notes)}</td></tr>')


def _figure(panel, alt):
    return (f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{pictures.png(panel)}">'
            f'<figcaption>{escape(panel.title)}'
            + (f" ({panel.nonfinite} non-finite, grey)" if panel.nonfinite else "") + "</figcaption></figure>")


def _problem(r, failure, draw):
    parts = [f'<h3 id="rc-{escape(r.name)}">{escape(r.name)}: {LABELS[r.status]}</h3>',
             f"<pre>{escape(r.message)}</pre>"]
    if r.hint:
        evidence = "".join(f"<br><small>evidence: {escape(e)}</small>" for e in r.evidence)  # refcheck.diagnosis
        parts.append(f'<p class="hint">hint: {escape(r.hint)}{evidence}</p>')
    if r.repro:
        parts.append(f'<p>rerun this case:</p><code class="repro">{escape(r.repro)}</code>')
    if failure is not None and draw:
        parts.append('<div class="outputs">' + "".join(
            _figure(p, f"heat map of {r.name} output {p.key}: actual - expected") for p in failure.outputs)
            + "</div>")
        if failure.inputs:
            parts.append('<details><summary>inputs</summary><div class="inputs">'
                         + "".join(_figure(p, f"input {p.key} of {r.name}") for p in failure.inputs) + "</div></details>")
    return '<div class="problem">' + "".join(parts) + "</div>"


def fragment(report):
    """The report as a ``<div>`` (styles included) for a notebook cell or a page."""
    draw = bool(report.pictures) and pictures.available()
    s = report.summary
    head = (f"<p><b>refcheck {escape(str(report.implementation))}</b>: {s['pass']} pass, {s['fail']} fail, "
            f"{s['error']} error, {s['missing']} missing ({report.seconds:.1f} s); {escape(report.plan)}</p>")
    shown = [r for r in report.results if r.status != "missing"]
    table = ('<table class="verdicts"><thead><tr><th>function</th><th>status</th><th>cases</th>'
             '<th>worst/tol</th><th>hint / warnings</th></tr></thead><tbody>'
             + "".join(_row(r) for r in shown) + "</tbody></table>")
    missing = [r.name for r in report.results if r.status == "missing"]
    more = (f"<details><summary>{len(missing)} not defined (not checked)</summary><small>"
            f"{escape(', '.join(missing))}</small></details>") if missing else ""
    note = ""
    if report.pictures and not draw:
        note = "<p><small>pictures need matplotlib: pip install 'refimpl[report]'</small></p>"
    problems = "".join(_problem(r, report.pictures.get(r.name), draw) for r in report.problems)
    return f'<div class="refcheck"><style>{STYLE}</style>{head}{table}{more}{note}{problems}</div>'


def document(report):
    """A self-contained HTML page of the report."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>refcheck {escape(str(report.implementation))}</title></head><body>"
            f"{fragment(report)}</body></html>\n")
