"""Loading the implementation under test from a .py path or an importable module name."""
import contextlib
import importlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import traceback


class ImportProblem(Exception):
    """The module could not be imported; the message is one clear paragraph."""


def _module_name_for(path):
    """A file inside packages imports as ``pkg.sub.mod`` (so its relative imports work), with the
    directory above the outermost package put on sys.path; a lone file imports under its stem."""
    directory, stem = os.path.split(os.path.abspath(path))
    parts = [os.path.splitext(stem)[0]]
    while os.path.exists(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts), directory


def _describe(exc, path):
    if isinstance(exc, SyntaxError):
        return (f"cannot import {path}: syntax error at {exc.filename}:{exc.lineno}: {exc.msg}"
                + (f"\n    {exc.text.rstrip()}" if exc.text else ""))
    if isinstance(exc, ModuleNotFoundError):
        return f"cannot import {path}: it needs the module {exc.name!r}, which is not installed"
    if isinstance(exc, SystemExit):
        return f"cannot import {path}: it called sys.exit({exc.code!r}) at import time"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename]
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"cannot import {path}: {type(exc).__name__}: {exc}{where}"


@contextlib.contextmanager
def silenced():
    """Whatever the code inside writes to stdout or stderr, through Python or straight to the file
    descriptors, goes nowhere (a module's debug prints must not garble the report)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for fd, copy in zip((1, 2), saved):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


PROBE = """
import json, sys
from refcheck.loader import verdict_of_import
sys.__stdout__.write("\\n" + json.dumps(verdict_of_import(sys.argv[1])) + "\\n")
"""


def verdict_of_import(target):
    """What importing ``target`` in this (throwaway) process says, as plain data for the probe."""
    try:
        load(target)
        return {"imported": True}
    except ImportProblem as exc:
        return {"problem": str(exc)}


def _raise_for(target, verdict, code):
    """The probe's verdict as an ImportProblem; ``verdict`` None: the process ended without one,
    with exit ``code`` (negative: the signal)."""
    if not isinstance(verdict, dict):
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        raise ImportProblem(f"cannot import {target}: the module ended the process while being "
                            f"imported ({how})")
    if "problem" in verdict:
        raise ImportProblem(str(verdict["problem"]))


def probe(target, timeout=120, meanwhile=None):
    """Import ``target`` once in a throwaway process: a module that ends the process while being
    imported (os._exit, a crash) would otherwise end the verifier with whatever exit code it
    chose. Raises ImportProblem with the reason. ``meanwhile()``, if given, runs in this process
    while the throwaway one imports (make_impl imports torch for the oracles then: the two
    imports of a torch module's run overlap instead of adding up).

    The throwaway process is a fresh interpreter, or, when this process already forks its workers
    from refcheck's server (refcheck.parallel: it isolated a module or ran -n workers, as a pytest
    worker of the suite has), a child of that server, which imported refcheck and, with torch
    here, torch once: a torch module's probe does not pay torch's import (2-3 s) each time. Only
    then: a child of the server imports this process's main script again, as multiprocessing
    does, which a script calling refcheck.check without a ``__main__`` guard does not expect."""
    from .parallel import serving
    if serving():
        return _probe_forked(target, timeout, meanwhile)
    process = subprocess.Popen([sys.executable, "-c", PROBE, target],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if meanwhile is not None:
            meanwhile()
        stdout, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ImportProblem(f"cannot import {target}: importing it took more than {timeout} s") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    try:
        verdict = json.loads(stdout.rstrip().rpartition("\n")[2])
    except ValueError:
        verdict = None
    _raise_for(target, verdict, process.returncode)


def _probe_child(conn, target):
    # whatever the module prints, now or from a thread it starts, and a traceback of an exception
    # load() does not catch (KeyboardInterrupt) go nowhere, as the fresh interpreter's captured output
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    conn.send_bytes(json.dumps(verdict_of_import(target)).encode())


def _probe_forked(target, timeout, meanwhile=None):
    """probe() in a child of refcheck's forkserver: the same verdicts and messages."""
    from .parallel import worker_context
    context = worker_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_probe_child, args=(sender, target), daemon=True)
    process.start()
    sender.close()
    verdict = None
    try:
        if meanwhile is not None:
            meanwhile()
        if not receiver.poll(timeout):
            process.kill()
            raise ImportProblem(f"cannot import {target}: importing it took more than {timeout} s")
        try:  # JSON, not pickle: what the module's process sends must not run code here
            verdict = json.loads(receiver.recv_bytes(1 << 20).decode())
        except (EOFError, OSError, ValueError):  # it ended without a word (or a garbled one)
            verdict = None
        else:
            process.kill()  # done with it (a thread the module started could keep it alive)
    finally:
        receiver.close()
        process.join(5)
        if process.is_alive():  # it closed its end and went on
            process.kill()
            process.join(5)
    _raise_for(target, verdict, process.exitcode)


def _directory_problem(target):
    files = sorted(f for f in os.listdir(target) if f.endswith(".py") and f != "__init__.py")
    shown = ", ".join(os.path.join(target, f) for f in files[:3]) + (", ..." if len(files) > 3 else "")
    package = os.path.exists(os.path.join(target, "__init__.py"))
    stem = next((f[:-3] for f in files if f == "layers.py"), files[0][:-3] if files else "module")
    dotted = os.path.normpath(target).replace(os.sep, ".") + "." + stem
    return (f"cannot import {target}: it is a directory; name one file in it"
            + (f" ({shown})" if files else "")
            + (f", or a module of the package by its dotted name ({dotted})" if package else ""))


def load(target):
    """Import ``target`` (a .py file or a module name); output it prints at import is swallowed."""
    is_file = target.endswith(".py") or os.sep in target
    if os.path.isdir(target) and (is_file or not os.path.exists(os.path.join(target, "__init__.py"))):
        raise ImportProblem(_directory_problem(target))  # a package's name (no "/") imports as usual
    if is_file and not os.path.isfile(target):
        raise ImportProblem(f"cannot import {target}: no such file")
    try:
        with silenced():
            if not is_file:
                if os.getcwd() not in sys.path and "" not in sys.path:
                    sys.path.insert(0, os.getcwd())  # as `python -m` does: cs231n.layers from its parent folder
                return importlib.import_module(target)
            name, root = _module_name_for(target)
            if root not in sys.path:
                sys.path.insert(0, root)
            if "." in name:
                return importlib.import_module(name)
            spec = importlib.util.spec_from_file_location(name, target)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is reported, not raised
        raise ImportProblem(_describe(exc, target)) from None
