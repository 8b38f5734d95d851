"""A Report as plain text: the table the ``refcheck`` command prints, then the problems' reports."""

STATUS_LABEL = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "missing": "missing"}
HEADER = f"{'function':28} {'status':8} {'cases':>5} {'worst/tol':>9}  hint"


def table_row(r):
    worst = "" if r.status in ("missing", "error") or not r.cases else f"{r.worst:9.3g}"
    notes = [r.hint or ("; ".join(r.warnings) and f"warning: {'; '.join(r.warnings)}")]
    if r.not_judged and r.cases:
        notes.append(f"not judged on {r.not_judged} cases: {r.not_judged_reason}")
    return f"{r.name:28} {STATUS_LABEL[r.status]:8} {r.cases:5} {worst:>9}  {'; '.join(n for n in notes if n)}"


def tail(report):
    """The lines after the table: the functions not defined, each problem's report, the summary."""
    lines = []
    missing = [r.name for r in report.results if r.status == "missing"]
    if missing:
        lines.append(f"not defined (not checked): {', '.join(missing)}")
    for r in report.problems:
        lines.append("\n" + r.message)
    lines.append("\n" + report.summary_line())
    return lines


def render(report):
    rows = [table_row(r) for r in report.results if r.status != "missing"]
    return "\n".join([f"refcheck {report.implementation}: {report.plan}", HEADER, *rows, *tail(report)])
