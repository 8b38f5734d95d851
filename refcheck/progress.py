"""A progress line on stderr for long runs, redrawn in place; nothing at all when stderr is not a
terminal (a log, a pipe, CI)."""
import sys
import time


class Progress:
    def __init__(self, stream=None, enabled=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.start, self.shown = time.perf_counter(), False

    def elapsed(self):
        return time.perf_counter() - self.start

    def show(self, text):
        if self.enabled:
            self.stream.write(f"\r\x1b[K{text} ({self.elapsed():.0f} s)")
            self.stream.flush()
            self.shown = True

    def clear(self):
        """Before other output goes to the terminal."""
        if self.enabled and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class Functions:
    """``functions 12/102, 540 cases``: the on_result callback of run.run, printing ``echo(result)``
    above the line."""

    def __init__(self, total, progress, echo=None, prefix=""):
        self.total, self.progress, self.echo, self.prefix = total, progress, echo, prefix
        self.done = self.cases = 0

    def __call__(self, result):
        self.done += 1
        self.cases += result.cases + result.not_judged
        if self.echo is not None:
            self.progress.clear()
            self.echo(result)
        self.progress.show(f"{self.prefix}functions {self.done}/{self.total}, {self.cases} cases")
