"""What a submission may import: its own files, Python's standard library, NumPy, and the few
libraries a notebook course's cells use for display (IPython, matplotlib); nothing else that
happens to be installed where it is graded.

The worker runs in the grader's own Python environment, which holds pytest, hypothesis, jinja2
and the grader itself, and whatever else the machine's owner installed. A submission could import
any of it: one took its sigmoid from a module of the grader's package and scored 10 of 10 under a
course secret, and another read the known answers through it (probe s54). And a grade must not
depend on the machine: `from scipy.special import expit` passed on an instructor's machine with
scipy and failed on a student's without. So an import the submission's own code makes of a
library installed beside the grader fails as if the library were absent, everywhere alike (the
loader's stand-ins then cost only the code that uses it, as for a module that is not installed).

Libraries keep importing what they need: the gate asks only of imports made by the submission's
own code (the first frame outside importlib is the submission's, not a library's or the worker's).
It is a rule for honest code, not a wall: code that unhooks it runs in the sandbox all the same,
and the course secret, not this gate, is what makes answers read from the grader worthless.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from importlib.machinery import ModuleSpec

# Top-level modules a submission may import besides the standard library and its own files.
# (pylab is matplotlib's own module of numpy and pyplot together, `from pylab import *`.)
ALLOWED = frozenset({"numpy", "IPython", "matplotlib", "mpl_toolkits", "pylab"})
WHY = "graded code may use NumPy and Python's standard library only"


class _Gate:
    """A finder first on sys.meta_path that refuses, for the submission's own imports, a
    top-level module found among the installed libraries."""

    def __init__(self, libraries: tuple[str, ...], trusted: tuple[str, ...],
                 allowed: frozenset[str], on_behalf: tuple[str, ...] = ()) -> None:
        self._libraries, self._trusted, self._allowed = libraries, trusted, allowed
        # The worker's files that import for the submission (a top-level import let through is
        # imported again, name by name, by missing_imports.py): their imports are its own.
        self._on_behalf = on_behalf

    def find_spec(self, fullname: str, path=None, target=None) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if path is not None or top in self._allowed or top in sys.builtin_module_names \
                or top in getattr(sys, "stdlib_module_names", ()):
            return None
        spec = self._found_elsewhere(fullname, target)
        if spec is None or not self._installed(spec) or not self._asked_by_the_submission():
            return None
        raise ModuleNotFoundError(f"No module named {top!r} ({WHY})", name=top)

    def _found_elsewhere(self, fullname: str, target) -> ModuleSpec | None:
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            try:
                spec = finder.find_spec(fullname, None, target)
            except Exception:  # noqa: BLE001 (a broken finder: the import says so itself)
                return None
            if spec is not None:
                return spec
        return None

    def _installed(self, spec: ModuleSpec) -> bool:
        places = [spec.origin] if isinstance(spec.origin, str) else []
        places += [p for p in (spec.submodule_search_locations or []) if isinstance(p, str)]
        return any(_under(os.path.abspath(p), self._libraries) for p in places)

    def _asked_by_the_submission(self) -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if not (name.startswith("<frozen importlib") or "importlib" in name.split(os.sep)):
                where = os.path.abspath(name)
                return where in self._on_behalf or not (
                    name.startswith("<frozen ") or _under(where, self._trusted))
            frame = frame.f_back
        return False


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def _library_roots() -> tuple[str, ...]:
    import site
    roots = {sysconfig.get_paths().get(key) for key in ("purelib", "platlib")}
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # a virtualenv of old without it
        pass
    user = getattr(site, "USER_SITE", None)
    roots.add(user)
    return tuple(sorted(os.path.abspath(r) for r in roots if isinstance(r, str) and r))


def install(worker_dir: str, allowed: frozenset[str] = ALLOWED) -> None:
    """Put the gate first on sys.meta_path. Libraries, the standard library and the worker's own
    modules (`worker_dir`) import freely; the submission imports only `allowed` of what is
    installed."""
    libraries = _library_roots()
    stdlib = tuple(os.path.abspath(p) for p in {sysconfig.get_paths().get("stdlib"),
                                                sysconfig.get_paths().get("platstdlib")}
                   if isinstance(p, str) and p)
    worker = os.path.abspath(worker_dir)
    sys.meta_path.insert(0, _Gate(libraries, libraries + stdlib + (worker,), frozenset(allowed),
                                  (os.path.join(worker, "missing_imports.py"),)))
