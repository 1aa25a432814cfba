"""Running the target as python would: __main__, sys.argv, sys.path[0], and tracebacks without hunter's frames."""

from __future__ import annotations

import builtins
import importlib.machinery
import os
import sys
import types
from typing import TYPE_CHECKING, Any

from .._output._tracebacks import without_tracer_frames
from ._argv import Target

if TYPE_CHECKING:
    from ._session import Session


def _main_module(filename: str | None, loader: Any) -> types.ModuleType:
    """A fresh ``__main__`` module, with the attributes python gives it before running the program."""
    module = types.ModuleType("__main__")
    module.__loader__ = loader
    if sys.version_info < (3, 14):
        module.__annotations__ = {}  # python creates it for __main__ up to 3.13 (PEP 649 changes that)
    # Set through the namespace: ModuleType declares neither attribute (python sets them on __main__ only).
    module.__dict__["__builtins__"] = builtins
    if filename is not None:
        module.__file__ = filename
        if sys.version_info < (3, 15):
            module.__dict__["__cached__"] = None  # 3.15 dropped __cached__ from modules (and __main__)
    return module


def _set_path0(path0: str | None) -> None:
    """Make sys.path[0] what python would have put there for the program (not hunter's own entry)."""
    if getattr(sys.flags, "safe_path", False) or sys.flags.isolated:
        return  # -P / -I: python adds no entry, and hunter's launcher added none either
    if path0 is None:
        return
    if sys.path:
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)


def _trim_traceback(tb: types.TracebackType | None, runner: types.CodeType) -> types.TracebackType | None:
    """The part of a traceback below the frame that ran the program (hunter's and runpy's frames go)."""
    current = tb
    while current is not None:
        if current.tb_frame.f_code is runner:
            return current.tb_next
        current = current.tb_next
    return tb


def _install_excepthook(runner: types.CodeType) -> None:
    """Have the uncaught exception shown as python would: without the launcher's frames."""
    original = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None) -> Any:
        if sys.version_info < (3, 13):
            import linecache

            linecache.cache.pop("<string>", None)  # see _remember_command_source
        trimmed = _trim_traceback(tb, runner)
        if exc is not None:
            # Ctrl-C mostly lands in the tracer's code: those frames aren't the program's.
            trimmed = without_tracer_frames(exc, trimmed)
        if exc is not None and trimmed is not tb:
            # The default hook prints the exception's own __traceback__ when it has one: trim that too.
            exc.__traceback__ = trimmed
        return original(exc_type, exc, trimmed)

    sys.excepthook = excepthook


def run_program(session: Session, target: Target) -> None:
    """Run the program as python would (this frame is where tracebacks are cut)."""
    if target.kind == "module":
        sys.argv = ["-m", *target.args]  # what python shows while the module's package is imported
        _set_path0(os.getcwd())
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        import runpy

        if _module_may_exist(target.name):
            # (A misspelt module gets python's one-line error, not buried under the trace of the search for it.)
            session.start()
        run_as_main = getattr(runpy, "_run_module_as_main", None)
        if run_as_main is not None:
            # What `python -m` itself calls: same sys.argv[0], __main__, error messages and traceback.
            run_as_main(target.name, alter_argv=True)
        else:  # pragma: no cover - a future Python without it
            runpy.run_module(target.name, run_name="__main__", alter_sys=True)
        return
    if target.kind == "command":
        code = compile(target.name, "<string>", "exec", dont_inherit=True)
        _remember_command_source(target.name)
        sys.argv = ["-c", *target.args]
        _set_path0("")
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        session.start()
        exec(code, sys.modules["__main__"].__dict__)
        return
    if target.name == "-":
        source: bytes | str = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        code = compile(source, "<stdin>", "exec", dont_inherit=True)
        module = _main_module("<stdin>", importlib.machinery.BuiltinImporter)
        sys.argv = ["-", *target.args]
        _set_path0("")
        sys.modules["__main__"] = module
        session.start()
        exec(code, module.__dict__)  # running the user's program is the point
        return
    filename = os.path.abspath(target.name)
    if target.source is None:
        # A directory or zip file with a __main__.py: python puts it on sys.path and runs __main__ from it.
        sys.argv = [target.name, *target.args]
        sys.path.insert(0, filename) if getattr(sys.flags, "safe_path", False) else _set_path0(filename)
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        import runpy

        session.start()
        # What python itself runs for a directory or zip: private, so typeshed doesn't list it.
        runpy._run_module_as_main("__main__", alter_argv=False)  # type: ignore[attr-defined]
        return
    code = compile(target.source, filename, "exec", dont_inherit=True)
    module = _main_module(filename, importlib.machinery.SourceFileLoader("__main__", filename))
    sys.argv = [target.name, *target.args]
    _set_path0(os.path.dirname(os.path.realpath(filename)))
    sys.modules["__main__"] = module
    session.start()
    exec(code, module.__dict__)


def _module_may_exist(name: str) -> bool:
    """Whether python could find the top-level package of module ``name`` (looked up without running any code)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name.partition(".")[0]) is not None
    except (ImportError, ValueError):
        return True  # let python itself say what is wrong


def _remember_command_source(code: str) -> None:
    """Make the -c code's lines readable under its file name, ``<string>``, as python 3.13+ does itself.

    The trace shows source lines; before 3.13 python keeps no copy, so the excepthook forgets it again before
    an uncaught exception is printed (the traceback then looks as python's own).
    """
    import linecache

    linecache.cache["<string>"] = (len(code), None, code.splitlines(keepends=True) or [""], "<string>")


def _is_runnable_container(filename: str) -> bool:
    """Whether python would run ``filename`` as a directory or zip file holding a ``__main__`` module."""
    import pkgutil

    return os.path.exists(filename) and pkgutil.get_importer(filename) is not None
