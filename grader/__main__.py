"""The `autograde` program, and `python -m grader`."""
import gc
import os
import sys

# What the grader's own process imports, each a package: a single file of the same name found
# first on sys.path (a student's numpy.py in a folder on PYTHONPATH) is someone else's.
LIBRARIES = ("numpy", "pytest", "_pytest", "pluggy", "hypothesis", "jinja2")


def _shadowing() -> str:
    """The files on sys.path that stand in for a library the grader imports, as a sentence."""
    import importlib.util
    found = []
    for name in LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        origin = getattr(spec, "origin", None) or ""
        if origin.endswith((f"{name}.py", f"{name}.pyc")):
            found.append(f"{origin} stands in for the library {name}")
    if not found:
        return ""
    return ("; ".join(found) + ": a file of that name in a folder on PYTHONPATH (or in the "
            "current folder, for `python -m grader`) is imported instead. Rename it, or take its "
            "folder out of PYTHONPATH")


def _packages_outside_site() -> str:
    """The libraries the grader imports that were loaded, or would be, from a folder outside the
    interpreter's own and its site-packages (a folder `numpy/` in the current folder or on
    PYTHONPATH), as a sentence; "" when none. Asked only once loading the grader failed: a
    library installed elsewhere on purpose that works is no one's concern."""
    import importlib.util
    import site
    import sysconfig
    homes = {os.path.realpath(p) for p in [*site.getsitepackages(), site.getusersitepackages(),
                                            sysconfig.get_paths()["stdlib"],
                                            sysconfig.get_paths()["purelib"],
                                            sysconfig.get_paths()["platlib"]] if p}
    found = []
    for name in LIBRARIES:
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None)
        if origin is None:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            origin = getattr(spec, "origin", None)
        if not origin:
            continue
        package = os.path.basename(origin).startswith("__init__.")
        where = os.path.dirname(origin) if package else origin  # the folder, or the file
        if os.path.realpath(os.path.dirname(where)) not in homes:
            found.append(f"{where} stands in for the library {name}")
    return "; ".join(found)


def _keep_ctrl_c() -> None:
    """Ctrl-C landing while a process is forked (logging's after-fork handler) is "ignored":
    Python printed a traceback ending in KeyboardInterrupt and went on grading. It is raised
    again in the main thread instead, where the program's handler says it in one line: from
    another thread, a moment later, since raised while this hook runs (or starts that thread)
    it would be ignored again."""
    import _thread
    import threading
    default = sys.unraisablehook

    def hook(unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            later = threading.Timer(0.05, _thread.interrupt_main)
            later.daemon = True
            later.start()
            return
        default(unraisable)

    sys.unraisablehook = hook


def run() -> None:
    # Off while numpy, pytest, hypothesis and the grader load: the objects they make live as long
    # as the process, so collecting meanwhile only walks them. The program turns it back on once
    # they are loaded (grader.session.settle_heap).
    gc.disable()
    from grader.blas_threads import one_thread
    one_thread()
    _keep_ctrl_c()
    why = _shadowing()
    if why:  # else it fails wherever the library is first used, with a traceback
        sys.stderr.write(f"autograde: cannot start: {why}\n")
        raise SystemExit(2)
    try:
        from grader.cli import run as program
    except KeyboardInterrupt:  # Ctrl-C while it loads: a line, as later, never a traceback
        sys.stderr.write("\nautograde: interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # noqa: BLE001 (a library that is not the one it needs: said why)
        stand_ins = _packages_outside_site()
        if not stand_ins:
            raise
        sys.stderr.write(f"autograde: cannot start: {stand_ins} (loading it failed: "
                         f"{type(exc).__name__}: {exc}). Rename that folder, or take its parent "
                         "out of PYTHONPATH\n")
        raise SystemExit(2) from None
    try:
        program()
    except KeyboardInterrupt:
        sys.stderr.write("\nautograde: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    run()
