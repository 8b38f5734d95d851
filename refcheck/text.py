"""A Report as plain text, 80 columns wide: the table the ``refcheck`` command prints (a row per
function defined, with its failed cases and a hint that is never empty for FAIL or ERROR), then the
functions not defined (by the file students write them in), each problem's report, the warnings
with their case and repro, and the summary. Colour is optional (``Style``)."""
import os
import textwrap

WIDTH = 80
HINT_LINES = 2  # the table's hint, clipped; the failure's report below has all of it
STATUS_LABEL = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "missing": "missing"}

# The file each family's functions are written in (CS231n's names where it has one).
FILES = {"layers": "layers.py", "norm": "layers.py", "conv": "layers.py", "sandwiches": "layer_utils.py",
         "classifiers": "classifiers", "rnn": "rnn_layers.py", "optim": "optim.py",
         "detection": "detection", "detection_more": "detection", "attention": "attention",
         "interview": "pooling, metrics, schedules"}


class Style:
    """ANSI colour, or none. ``Style.for_stream(stream, "auto"|"always"|"never")``: auto means a
    terminal, unless $NO_COLOR is set (https://no-color.org) or $TERM is dumb."""
    CODES = {"pass": "32", "fail": "1;31", "error": "1;35", "warning": "33", "dim": "2", "bold": "1"}

    def __init__(self, color=False):
        self.color = color

    @classmethod
    def for_stream(cls, stream, when="auto"):
        if when in ("always", "never"):
            return cls(when == "always")
        if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
            return cls(False)
        return cls(hasattr(stream, "isatty") and stream.isatty())

    def __call__(self, kind, text):
        code = self.CODES.get(kind)
        return f"\033[{code}m{text}\033[0m" if self.color and code and text else text


PLAIN = Style(False)


def wrap(text, width=WIDTH):
    """Every line of ``text`` at most ``width`` wide: a long line continues indented under its
    start; a ``repro:`` line is broken between words with `` \\`` so that it still pastes into
    a shell as one command."""
    out = []
    for line in text.splitlines() or [""]:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        if line.lstrip().startswith("repro: "):
            out.extend(_continued(line, indent, width))
        else:
            out.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False))
    return "\n".join(out)


def _continued(line, indent, width):
    lead = line[:len(line) - len(line.lstrip())]
    lines, current = [], lead
    for word in line.split():
        candidate = f"{current} {word}" if current.strip() else current + word
        if current.strip() and len(candidate) > width - 2:
            lines.append(current + " \\")
            current = indent + word
        else:
            current = candidate
    return lines + [current]


def _clip(text, room):
    return text if len(text) <= room else text[:max(room - 3, 0)].rstrip() + "..."


def reason(r):
    """A problem's one-line reason where it has no hint: its message's first specific line."""
    lines = [line.strip() for line in (r.message or "").splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else (lines[0] if lines else r.status)


def _lines(text, room):
    lines = textwrap.wrap(text, room, break_on_hyphens=False)
    return lines[:HINT_LINES - 1] + [_clip(" ".join(lines[HINT_LINES - 1:]), room)] if len(lines) > HINT_LINES \
        else lines


def note(r, room):
    """The table's last column, as lines at most ``room`` wide: the hint, or the reason of a
    FAIL/ERROR; for a pass, its first warning and the case it came from; the cases not judged."""
    if r.status in ("fail", "error"):
        lines = _lines(r.hint or reason(r), room)
    elif r.warning_cases:
        first = r.warning_cases[0]
        more = f" (+{len(r.warning_cases) - 1} more)" if len(r.warning_cases) > 1 else ""
        text = first["warning"].removeprefix(f"{r.name} ")  # "relu_backward passes ...": the row says whose
        lines = [_clip(f"warning: {text}", room), _clip(f"on case {first['case']}{more}", room)]
    else:
        lines = []
    if r.not_judged and r.cases:
        lines += _lines(f"not judged on {r.not_judged} cases: {r.not_judged_reason}", room)
    return lines


class Table:
    """The table's columns, fixed before the first row: the names column fits ``names``."""

    def __init__(self, names=(), style=PLAIN, width=WIDTH):
        self.name_width = min(max([len(n) for n in names] + [8]), 30)
        self.style, self.width = style, width

    def header(self):
        head = f"{'function':{self.name_width}} {'status':6} cases fail {'worst/tol':>8}  hint"
        return self.style("bold", head)

    def row(self, r):
        """The function's row; a long hint goes on under the hint column (HINT_LINES at most)."""
        worst = "" if r.status in ("missing", "error") or not r.cases else worst_text(r.worst)
        failed = str(r.failed) if r.status in ("fail", "error") else ""
        name = r.name if len(r.name) <= self.name_width else r.name[:self.name_width - 3] + "..."
        start = f"{name:{self.name_width}} {'':6} {r.cases:5} {failed:>4} {worst:>8}  "
        room = self.width - len(start)
        lines = note(r, room) or [""]
        if r.status == "pass":
            lines = [self.style("warning", line) for line in lines]
        status = self.style(r.status, f"{STATUS_LABEL[r.status]:6}")
        start = start[:self.name_width + 1] + status + start[self.name_width + 7:]
        rows = [(start + lines[0]).rstrip()] + [" " * (self.width - room) + line for line in lines[1:]]
        return "\n".join(rows)


def _groups(results):
    """(file, [missing names], count of its functions among results), in FAMILIES order."""
    from .registry import FAMILIES, family_rows
    status = {r.name: r.status for r in results}
    groups = {}
    for family, _ in FAMILIES:
        names = [row.name for row in family_rows(family) if row.name in status]
        entry = groups.setdefault(FILES.get(family, family), ([], []))
        entry[0].extend(n for n in names if status[n] == "missing")
        entry[1].extend(names)
    return [(f, missing, len(every)) for f, (missing, every) in groups.items() if missing]


def missing_block(results, style=PLAIN, width=WIDTH):
    groups = _groups(results)
    if not groups:
        return []
    total = sum(len(m) for _, m, _ in groups)
    lines = [style("bold", f"not defined (not checked): {total}, by the file they belong in")]
    for file, missing, count in groups:
        if len(missing) == count:
            lines.append(f"  {file}: none of its {count} functions" if count > 1 else f"  {file}: {missing[0]}")
        else:
            lines.append(wrap(f"  {file}: {', '.join(missing)}", width))
    return lines


def warnings_block(results, style=PLAIN, width=WIDTH):
    """Each warning of a passing function with the case that raised it and its repro."""
    lines = []
    for r in results:
        if r.status != "pass":
            continue
        for w in r.warning_cases:
            lines.append(wrap(f"{r.name} {style('warning', 'warning')} on case {w['case']}: {w['warning']}"
                              f"\n  repro: {w['repro']}", width))
    return ["", style("bold", "warnings (a hazard, not a failure; --strict fails them)")] + lines if lines else []


def problem_block(r, style=PLAIN, width=WIDTH):
    text = wrap(r.message, width)
    first, _, rest = text.partition("\n")
    return style(r.status, first) + ("\n" + rest if rest else "")


def tail(report, style=PLAIN, width=WIDTH):
    """The lines after the table: the functions not defined, each problem's report, the warnings
    and the summary."""
    lines = [""] + missing_block(report.results, style, width) if any(
        r.status == "missing" for r in report.results) else []
    for r in report.problems:
        lines += ["", problem_block(r, style, width)]
    lines += warnings_block(report.results, style, width)
    lines += ["", summary(report, style)]
    return lines


def summary(report, style=PLAIN):
    s = report.summary
    parts = [style("pass", f"{s['pass']} pass") if s["pass"] else "0 pass",
             style("fail", f"{s['fail']} fail") if s["fail"] else "0 fail",
             style("error", f"{s['error']} error") if s["error"] else "0 error",
             f"{s['missing']} not defined"]
    return f"{', '.join(parts)} ({report.seconds:.1f} s)"


def render(report, style=PLAIN, width=WIDTH):
    defined = [r for r in report.results if r.status != "missing"]
    table = Table([r.name for r in defined], style, width)
    head = wrap(f"refcheck {report.implementation}: {report.plan}", width)
    return "\n".join([head, table.header(), *map(table.row, defined), *tail(report, style, width)])


# the names other modules may use
HEADER = Table().header()


def table_row(r):
    return Table([r.name]).row(r)


def worst_text(ratio):
    """The worst |diff| / allowed of a function: beyond 1e6 the number says nothing more (an exact
    zero expected gives an allowed error of almost nothing), so ``>1e6``; inf and nan as they are."""
    return ">1e6" if 1e6 < ratio < float("inf") else f"{ratio:.3g}"
