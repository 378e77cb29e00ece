"""Grade one submission: run the pack's checks under pytest, in this (trusted) process, against a
submission that lives in a worker process, and assemble the SubmissionResult."""
from __future__ import annotations

import ast
import gc
import importlib
import inspect
import difflib
import io
import os
import platform
import re
import signal
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis.internal import entropy

from grader import __version__, callees, checks_api, plugin, reference as reference_mod, replay, scoring, tolerances
from grader import input_set as input_set_mod, isolation as isolation_mod
from grader import crash, example_globals, kept_session, known_answers as known_answers_mod
from grader import (archive, graded_alone, misplaced_arguments, other_pack, python2_habits,
                    redact, uploads)
from grader.model import (REFERENCE_NOT_USED, SECRET_NOT_SAFE, SECRET_NOT_USED, CheckResult,
                          SubmissionResult)
from grader.packs import Pack
from grader.packs.imports import importable, kept_across_grades
from grader import proxy as proxy_mod
from grader.worker import archive_names
from grader.proxy import Limits, Submission, size_text

PYTEST_INI = Path(__file__).with_name("grading-pytest.ini")
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
# The plugins grading uses, loaded by name (autoloading is off): hypothesis's, and pytest-timeout,
# the backstop deadline of every check.
PYTEST_PLUGINS = ("_hypothesis_pytestplugin", "pytest_timeout")
# pytest's own plugins that serve a command line or a report a grade never asks for. Each one
# registered is scanned for fixtures and joins every hook call, 40 checks a grade: blocked, a
# grade's own CPU time falls by about 5%. The ones a pack's check may use (tmp_path,
# monkeypatch, caplog, capsys, ...) stay.
UNUSED_PLUGINS = ("faulthandler", "threadexception", "doctest", "junitxml", "pastebin", "stepwise",
                  "setuponly", "setupplan")

# Packages a course's code imports that are never a student's own file: a missing one is only
# said to be missing, where another name may be a file the student forgot to upload.
WELL_KNOWN_PACKAGES = frozenset((
    "IPython", "PIL", "bs4", "cv2", "cupy", "datasets", "emoji", "gensim", "google", "h5py",
    "jax", "keras", "matplotlib", "nltk", "numba", "pandas", "plotly", "pylab", "requests",
    "scipy", "seaborn", "sklearn", "spacy", "statsmodels", "sympy", "tabulate", "tensorflow",
    "termcolor", "torch", "tqdm", "trax", "transformers", "wandb", "yaml"))


# A check file that may hold an `assert` statement: the word itself, anywhere (a comment too).
_ASSERT_WORD = re.compile(rb"\bassert\b")


def _assertion_mode(checks_dir: Path) -> str:
    """pytest rewrites every check module's asserts on import, a grade's checks afresh each time
    (no cached rewrite where bytecode is not written: Gradescope's image, a batch's graders):
    about 35 ms of a grade's CPU for the CS224n pack. The built-in packs' checks fail through
    CheckFailure and hold no `assert`, so rewriting them buys nothing. A pack whose checks or
    conftest may assert keeps pytest's detail ("assert 3 == 2, where 3 = ...") in its messages."""
    for path in (*checks_dir.rglob("test_*.py"), *checks_dir.rglob("conftest.py")):
        try:
            if _ASSERT_WORD.search(path.read_bytes()):
                return "--assert=rewrite"
        except OSError:
            return "--assert=rewrite"
    return "--assert=plain"


@dataclass(frozen=True)
class Options:
    reference_dir: Path | None = None
    no_reference: bool = False
    shim_xrange: bool = True
    shim_numpy: bool = True  # names NumPy removed (worker/numpy_aliases.py)
    limits: Limits = Limits()
    use_fork: bool | None = None
    isolation: str = "auto"  # auto | sandbox | process, see grader/isolation.py
    debug: bool = False
    input_set: input_set_mod.InputSet = input_set_mod.PUBLIC  # public, or from a course secret
    # Without the reference: the known answers to use instead (None: the pack's shipped file).
    known_answers: Path | None = None


def settle_heap() -> None:
    """Keep what is alive now out of the garbage collector's walks: in a process that has just
    imported numpy, pytest, hypothesis and the grader, that is some 47,000 objects that live as
    long as the process. Every full collection during a grade walked them all (0.15 s of a cold
    grade), and so did hypothesis's first seeding, which looks for referrers of its generator.
    Nothing a grade decides depends on when garbage is collected. Called once, after the imports,
    by the program's entry points (grader/cli.py, grader/server.py).

    Those entry points import with the collector off (grader/__main__.py, grader/server.py):
    everything an import makes is kept, so the collections it set off walked those objects for
    nothing, about 45 ms of a cold grade. Here it is turned back on, if it was off."""
    gc.freeze()
    # Hypothesis registers its own generator the first time it seeds, with a full collection to
    # see that the generator is referenced: done now, while nearly nothing is left to walk.
    with entropy.deterministic_PRNG(0):
        pass
    gc.enable()


def _plugin_modules() -> list:
    """PYTEST_PLUGINS, imported. Given by name (`-p NAME`), pytest would first look the name up
    among every installed distribution's entry points, on every grade."""
    return [importlib.import_module(name) for name in PYTEST_PLUGINS]


class ChecksBroken(Exception):
    """The pack's checks cannot run at all, whatever the submission: no grade can be made."""

    def __init__(self, pack: str, problems: list[str]) -> None:
        self.pack, self.problems = pack, problems
        super().__init__(f"the checks of pack {pack} cannot run, whatever is graded with them "
                         "(fix the pack):\n" + "\n".join(f"  - {p}" for p in problems))


def _collection_problems(output: str, exit_code: int) -> list[str]:
    """What pytest said was wrong with the pack's checks: each module it could not collect, with
    its error (pytest's "E   ..." lines where there are any), and the checks the plugin refused
    (grader/plugin.py); not its banners, tracebacks or short summary."""
    problems: list[str] = []
    section: str | None = None
    said: list[str] = []

    def close() -> None:
        errors = [line[1:].strip() for line in said if line.startswith("E ")]
        text = "; ".join(errors) or _traceback_summary(said) or "; ".join(
            line.strip() for line in said if line.strip()
            and not line.startswith(("Hint:", "Traceback:")))
        if section is not None:
            problems.append(f"{section}: {text}" if text else section)

    for line in output.splitlines():
        header = re.match(r"^_+ ERROR collecting (.+?) _+$", line)
        if header or line.startswith("="):
            close()
            section, said = (header.group(1), []) if header else (None, [])
        elif section is not None:
            said.append(line)
        elif line.startswith("  ") and line.strip():  # the plugin's "invalid checks:" list
            problems.append(line.strip())
    close()
    problems = [_with_a_suggestion(problem) for problem in dict.fromkeys(problems)]
    if any(re.search(r"\.py: ", problem) for problem in problems):
        # "no check grades svm_loss" follows from a module that was not collected: its checks
        # do exist, and the module's own problem is the one to fix.
        problems = [p for p in problems if not re.match(r"pack .+: no check grades ", p)]
    return problems[:30] or [f"pytest exit {exit_code}: no check collected"]


def _traceback_summary(lines: list[str]) -> str:
    """From a Python traceback pytest printed whole (a module that raised as it was imported,
    or a module it imports: a pack's catalogue of mistakes), the exception and the last line of
    the pack's own code on its way, in one line; "" when there is no traceback."""
    if not any(line.startswith("Traceback (most recent call last)") for line in lines):
        return ""
    frames = [(m.group(1), m.group(2)) for line in lines
              if (m := re.match(r'\s*File "(.+?)", line (\d+)', line))]
    own = [(path, number) for path, number in frames
           if not path.startswith("<") and "site-packages" not in path
           and not Path(path).resolve().is_relative_to(Path(__file__).resolve().parent)]
    ends = [line.strip() for line in lines if re.match(r"^[A-Za-z_][\w.]*(: |$)", line)
            and not line.startswith("Traceback")]
    if not ends:
        return ""
    where = f"{Path(own[-1][0]).name}, line {own[-1][1]}: " if own else ""
    return where + ends[-1]


def _with_a_suggestion(problem: str) -> str:
    """A marker pytest does not know, with the grader's that is nearest: `point` for `points`."""
    unknown = re.search(r"'(\w+)' not found in `markers` configuration option", problem)
    if unknown is None:
        return problem
    near = difflib.get_close_matches(unknown.group(1), plugin.MARKERS, n=1, cutoff=0.6)
    known = ", ".join(plugin.MARKERS)
    return (problem + (f" (did you mean @pytest.mark.{near[0]}?" if near else " (")
            + f" the markers a check may carry: {known})")


class _Installer:
    def __init__(self, state: plugin.GradingState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        plugin.install(config, self.state)


# What pytest reads from the environment that would change which checks run or how: the user's
# own settings for their own tests (`-x`, `-k softmax`, `--lf`, `-n 2` in PYTEST_ADDOPTS; plugins
# in PYTEST_PLUGINS), never the grader's. `-x` once gave 30/38 for 43/100, `-k softmax` 15/15.
USERS_PYTEST_SETTINGS = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DEBUG")


@contextmanager
def _only_our_plugins() -> Iterator[None]:
    """Grading must not depend on which pytest plugins the machine has installed (one that
    shuffles or reseeds tests would change grades), and looking them all up costs every grade;
    nor on the pytest options and plugins the user's environment gives their own test runs."""
    saved = {name: os.environ.get(name) for name in (AUTOLOAD, *USERS_PYTEST_SETTINGS)}
    os.environ[AUTOLOAD] = "1"
    for name in USERS_PYTEST_SETTINGS:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _by_cell(entries: list[dict]) -> str:
    """"`%a`, `%b` (cell 1), `%c` (cell 3)": skipped magics, each cell named once."""
    groups: list[tuple[object, list[str]]] = []
    for entry in entries:
        if groups and groups[-1][0] == entry["cell"]:
            groups[-1][1].append(f"`{entry['what']}`")
        else:
            groups.append((entry["cell"], [f"`{entry['what']}`"]))
    return ", ".join(f"{', '.join(whats)} (cell {cell})" for cell, whats in groups)


MAX_NOT_UTF8_PLACES = 5  # a file saved wholly in Latin-1 is one finding, not a line per accent


def _where(byte: dict) -> str:
    return (f"cell {byte['cell']}, line {byte['line']}" if byte.get("cell") is not None
            else f"line {byte['line']}")


def _not_utf8_warning(found: dict) -> str:
    """A file holding bytes that are not UTF-8 (worker/source_text.py): where the first one is,
    what it was read as, how many more there are, and that Python 3 or Jupyter refuse the file."""
    name = str(found["file"])
    wide = next((b.get("encoding") for b in found["bytes"]
                 if b.get("encoding") in ("UTF-16", "UTF-32")), None)
    if wide:
        saved = (f"{name} is saved as {wide}" + (" (Windows Notepad's \"Unicode\")"
                                                 if wide == "UTF-16" else "")
                 + ", and was read as such here, but ")
        if found.get("notebook") is not None:
            return saved + ("Jupyter reads notebooks as UTF-8 only and cannot open it as it is: "
                            "save it as UTF-8 (in an editor that lets you choose the encoding: "
                            "Save As, Encoding UTF-8).")
        return saved + ("Python 3 refuses it as it is (SyntaxError: source code string cannot "
                        "contain null bytes): save it as UTF-8 (in Notepad: Save As, Encoding "
                        "UTF-8).")
    placed = [b for b in found["bytes"] if b.get("line") is not None]
    elsewhere = len(found["bytes"]) - len(placed)
    notebook = found.get("notebook") is not None
    halves = [b for b in placed if b.get("surrogate")]
    if halves:  # valid JSON, no byte amiss: half of a character, escaped (worker/source_text.py)
        places = list(dict.fromkeys(_where(b) for b in halves))
        return (f"{name}: {_and(places[:MAX_NOT_UTF8_PLACES])}"
                + (" and more" if len(places) > MAX_NOT_UTF8_PLACES else "")
                + f" hold{'s' if len(places) == 1 else ''} half of a character "
                f"({halves[0]['surrogate']}: an emoji or other character cut in two, as a paste "
                "can leave it), which no Python file can hold; it was read here as \"\ufffd\". "
                "Delete it, or write the whole character.")
    if placed:
        first = placed[0]
        read_as = str(first["read_as"])
        shown = read_as if read_as.isprintable() else ascii(read_as)[1:-1]
        text = (f"{name} is not saved as UTF-8: {_where(first)} holds the byte {first['byte']}, "
                f"read here as \"{shown}\" (Windows-1252, as the editor that saved it most "
                "likely meant it)")
        more = placed[1:]
        places = list(dict.fromkeys(_where(b) for b in more))
        if more:
            listed = ", ".join(places[:MAX_NOT_UTF8_PLACES]) + (
                ", ..." if len(places) > MAX_NOT_UTF8_PLACES else "")
            text += f", and {len(more)} more such byte{'s' * (len(more) > 1)} ({listed})"
        if elsewhere:
            text += f", and {elsewhere} in its saved outputs or metadata"
    else:
        text = (f"{name} is not saved as UTF-8: its saved outputs or metadata hold {elsewhere} "
                f"byte{'s' * (elsewhere > 1)} that UTF-8 does not allow")
    if notebook:
        return (text + ". Jupyter cannot open the notebook as it is: save it as UTF-8 (open it "
                "in an editor that lets you choose the encoding, or fix the characters, and save "
                "it again).")
    if placed and not elsewhere and all(b.get("python_reads") for b in placed):
        return (text + ". Python reads the file all the same, since it declares UTF-8 and the "
                "bytes are only in comments, but the comments do not show as you wrote them: "
                "save it as UTF-8 (in most editors: Save with Encoding, UTF-8).")
    return (text + ". Python 3 refuses the file as it is (SyntaxError: Non-UTF-8 code): save it "
            "as UTF-8 (in most editors: Save with Encoding, UTF-8).")


def _star_import_place(module: str, load: dict) -> str:
    """Where `from module import *` ran: "hw.ipynb, cell 1, line 1"."""
    star = next((e for e in load.get("star_imports_of_absent", []) if e["module"] == module), None)
    return f"{star['file']}, line {star['line']}" if star else ""


def _archive_beside_warning(archive: dict) -> str:
    """What a student is told of an archive in their upload beside other code: not opened (why),
    or opened and its code not the one graded (a zip left beside a finished file)."""
    every = [str(n)[:100] for n in archive.get("archives") or []]
    names = (", ".join(every[:4]) + f" and {len(every) - 4} more") if len(every) > 4 \
        else _and(every)
    if not archive.get("opened"):
        one = len(every) == 1
        return (f"{names} {'was' if one else 'were'} not opened "
                f"({str(archive.get('why', ''))[:300]}), so only the code beside "
                f"{'it' if one else 'them'} was graded: if {'it holds' if one else 'they hold'} "
                "the code to grade, upload that code itself (or one .zip of it).")
    beside = [str(n)[:100] for n in archive.get("beside") or []]
    return (f"{names} holds code too, but {_and(beside[:4]) or 'the files beside it'} at the top "
            f"of your upload {'was' if len(beside) == 1 else 'were'} graded, not the code in "
            f"{names}. Upload only the files to grade if that is not the one.")


def _star_import_warning(star: dict) -> str:
    """`from q2_sigmoid import *` of a file of the assignment's layout the upload lacks: it
    imports nothing, and what it would have given is not defined (worker/loader.py)."""
    module = star["module"]
    where = "the notebook" if ", cell " in str(star["file"]) else "your file"
    return (f"{star['file']}, line {star['line']} runs `from {module} import *`, but {module}.py "
            f"is not in your upload, so it imported nothing: upload {module}.py with {where}, "
            f"or define in {where} what you use of it")


def _follows_star_import(error: dict, load: dict) -> str:
    """" (it follows from ...)" for a NameError after a `from M import *` of a missing file."""
    module = error.get("after_star_import")
    if not module:
        return ""
    place = _star_import_place(str(module), load)
    return (f" (this most likely follows from `from {module} import *`"
            + (f" in {place}" if place else "") + f": {module}.py is not in your upload)")


def _raised(error: dict, where: str) -> str:
    """"NameError in hw.py, line 3: name 'x' is not defined"; without the colon when the exception
    has no message (`raise NotImplementedError`), which left a warning ending in ": "."""
    message = str(error.get("message", "")).strip()
    return f"{error['type']} in {where}" + (f": {message}" if message else "")


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# Why a copy of a graded function was passed over (worker/loader.py's `_passed_over`), said of one
# copy and of several.
_PASSED_OVER = {
    "not implemented": ("is the starter's stub (it raises NotImplementedError)",
                        "are the starter's stubs (they raise NotImplementedError)"),
    "raises NotImplemented": ("is the starter's stub (it raises NotImplemented)",
                              "are the starter's stubs (they raise NotImplemented)"),
    "returns its argument": ("is as the template leaves it (it returns its argument unchanged)",
                             "are as the template leaves them (they return their argument "
                             "unchanged)"),
    "unbound": ("is the starter's stub (it returns names it never sets)",
                "are the starter's stubs (they return names they never set)"),
    "template": ("is as the template leaves it (nothing but None returned)",
                 "are as the template leaves them (nothing but None returned)"),
}


def _passed_over_warning(functions: list[str], file: str, problem: str, graded: str) -> str:
    """`functions` in `file` were passed over for their copies in `graded`: say why."""
    one = len(functions) == 1
    why = _PASSED_OVER.get(problem, ("never reads its parameters", "never read their parameters"))
    return (f"{_and(functions)} in {file} {why[0] if one else why[1]}: "
            f"{'the one' if one else 'those'} in {graded} {'was' if one else 'were'} graded "
            "instead.")


def _numpy_alias_warnings(uses: list[dict], shim_numpy: bool) -> list[str]:
    """One line per file (or notebook cell) that reads names NumPy removed, each with its line."""
    from grader.worker.numpy_aliases import CHANGED, EXPIRED
    by_place: dict[str, list[dict]] = {}
    warnings = []
    for use in uses:
        if use.get("name") in EXPIRED:
            by_place.setdefault(str(use.get("where", "")), []).append(use)
        elif use.get("name") in CHANGED:
            instead, release, error = CHANGED[str(use["name"])]
            call = "np." + str(use["name"]).replace("=nan", "=np.nan")
            warnings.append(
                f"{use.get('where')}, line {use.get('line')}: {call} is refused by NumPy "
                f"{release} and later ({error}), " + (
                    "and was run as earlier NumPy ran it (nothing summarised)"
                    if shim_numpy else "and the numpy shim is off, so the line fails")
                + f". Write {instead} instead.")
    for where, found in by_place.items():
        names = list(dict.fromkeys(use["name"] for use in found))
        listed = [f"np.{use['name']} (line {use['line']})" for use in found[:8]]
        if len(found) > 8:
            listed.append(f"{len(found) - 8} more")
        # The first NumPy that fails on the file, and on which name: what a student sees there.
        first = min(names, key=lambda n: tuple(map(int, EXPIRED[n][1].split("."))))
        instead = _and(list(dict.fromkeys(EXPIRED[n][0] for n in names)))
        one = len(names) == 1
        text = (f"{where} uses {'a name' if one else 'names'} NumPy removed: {_and(listed)}. "
                f"NumPy {EXPIRED[first][1]} and later fail there with \"module 'numpy' has no "
                f"attribute '{first}'\"")
        # The others each fail from their own release: say so, or every name listed reads as
        # gone since the first release (np.mat beside np.asscalar is gone since 2.0, not 1.23).
        first_release = EXPIRED[first][1]
        later: dict[str, list[str]] = {}
        for name in names:
            if EXPIRED[name][1] != first_release:
                later.setdefault(EXPIRED[name][1], []).append(f"np.{name}")
        if later:
            text += " (" + "; ".join(
                f"{_and(spelled)} from NumPy {release} on"
                for release, spelled in sorted(later.items(),
                                               key=lambda kv: tuple(map(int, kv[0].split("."))))) + ")"
        if shim_numpy:
            text += (f"; {'it was' if one else 'they were'} run as what "
                     f"{'it' if one else 'they'} meant before. Write {instead} instead.")
        else:
            text += f"; the numpy shim is off, so calls that reach them fail. Write {instead} instead."
        warnings.append(text)
    return warnings


def _python2_name_warnings(uses: list[dict], shim: bool) -> list[str]:
    """One line per file (or notebook cell) that reads Python 2 builtins or imports Python 2
    modules (grader/worker/python2_names.py), each with its line."""
    from grader.worker.python2_names import dropped_in, python3_spelling
    by_place: dict[str, list[dict]] = {}
    for use in uses:
        if dropped_in(str(use.get("name"))):
            by_place.setdefault(str(use.get("where", "")), []).append(use)
    warnings = []
    for where, found in by_place.items():
        # One entry a name, with every line it is on (time.clock (lines 107, 109)).
        lines_of: dict[str, list[int]] = {}
        for use in found:
            lines_of.setdefault(str(use["name"]), []).append(int(use["line"]))
        listed = [f"{name} ({_lines(sorted(set(lines)))})"
                  for name, lines in list(lines_of.items())[:8]]
        if len(lines_of) > 8:
            listed.append(f"{len(lines_of) - 8} more")
        names = list(dict.fromkeys(use["name"] for use in found))
        instead = _and([f"{python3_spelling(n)} for {n}" for n in names])
        since = {dropped_in(n) for n in names}
        if since == {"3.0"}:
            text = f"{where} uses Python 2 names that Python 3 does not have: {_and(listed)}"
        else:  # collections.Iterable, time.clock: names an earlier Python 3 still had
            latest = max(since - {"3.0"}, key=lambda v: tuple(map(int, v.split("."))))
            text = (f"{where} uses names that Python {latest} and later do not have"
                    f"{' (nor Python 3 at all, for some)' if '3.0' in since else ''}: "
                    f"{_and(listed)}")
        if shim:
            text += f"; they were run as their Python 3 counterparts. Write {instead}."
        else:
            text += "; the Python 2 shim is off (--no-xrange-shim), so code that reaches them fails."
        warnings.append(text)
    return warnings


def _python2_division_warnings(divisions: list[dict]) -> list[str]:
    """One line per file (or notebook cell) read as Python 2 that divides likely integers with /
    (grader/worker/python2_division.py): what Python 2 made of it, which the student ran, and
    that the grade is Python 3's, as for every Python 2 habit (README, For students)."""
    from grader.worker.python2_source import FORMS
    by_place: dict[str, dict[tuple[str, str], list[dict]]] = {}
    for found in divisions:
        spelled = (str(found["left"]), str(found["right"]))
        by_place.setdefault(str(found["where"]), {}).setdefault(spelled, []).append(found)
    warnings = []
    for where, by_division in by_place.items():
        first = next(iter(by_division.values()))[0]
        evidence = str(first["evidence"])
        # Where the evidence is in another cell of the notebook, that cell is named ("cell 2").
        place = str(first.get("evidence_where") or "")
        subject = place.rsplit(", ", 1)[-1] if place else "it"
        why = (f"{subject} has {FORMS[evidence][0]}" if evidence in FORMS else
               f"{subject} indents with tabs and spaces mixed" if evidence == "tabs" else
               f"{subject} uses {evidence}")
        shown = list(by_division.items())[:4]
        listed = _and([f"{left}/{right} ({_lines(sorted({f['line'] for f in found}))})"
                       for (left, right), found in shown])
        meant = _and([_python2_quotient(found[0]) for _, found in shown])
        whole = all(f[0].get("left_value") == 1 and "right_value" not in f[0] for _, f in shown)
        instead = _and([f"{_true_division(found[0])}" for _, found in shown])
        warnings.append(
            f"{where} is Python 2 code ({why}), and divides whole numbers with /: {listed}. In "
            f"Python 2, / between two integers is integer division, rounded down: {meant}, so "
            "your code as you ran it in Python 2 computed "
            f"{'0' if whole else 'that whole number'} there, not the fraction. The grader runs "
            "your code as Python 3, where / always gives the fraction, and graded that (no "
            f"points deducted for this): write {instead}, which means the fraction in both.")
    return warnings


def _python2_quotient(division: dict) -> str:
    """What Python 2's / made of a division of likely integers: '1/m is 0 for m > 1'."""
    left, right = str(division["left"]), str(division["right"])
    numerator, denominator = division.get("left_value"), division.get("right_value")
    if isinstance(numerator, int) and isinstance(denominator, int) and denominator:
        return f"{left}/{right} is {numerator // denominator}"
    if isinstance(numerator, int):
        return (f"{left}/{right} is 0 for {right} > {numerator}" if numerator > 0
                else f"{left}/{right} is -1 for {right} > {-numerator}")
    return f"{left}/{right} is 0 whenever {left} < {right}"


def _true_division(division: dict) -> str:
    """How to write a division so that both Pythons give the fraction: 1.0/m, float(n)/len(y)."""
    left, right = str(division["left"]), str(division["right"])
    if isinstance(division.get("left_value"), int):
        return f"{left}.0/{right}"
    return f"float({left})/{right}"


def _lines(lines: list[int] | None, shown: int = 8) -> str:
    """'line 3' or 'lines 3, 9 and 2 more', or '' for none."""
    if not lines:
        return ""
    listed = ", ".join(map(str, lines[:shown])) + (
        f" and {len(lines) - shown} more" if len(lines) > shown else "")
    return f"line{'s' if len(lines) > 1 else ''} {listed}"


def _left_out_warnings(upload: Path, load: dict,
                       unreadable: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The entries of a folder or zip that grading left out (links and special files, and what
    could not be read), and the names a zip holds more than once."""
    try:
        entries = uploads.left_out(Path(upload))
    except OSError:
        entries = []
    entries += [tuple(pair) for pair in load.get("left_out", [])]
    warnings = [f"{entry} was left out: it is {what}, and grading never follows a link or "
                "reads a special file. If your code is in it, put the file itself in your upload."
                for entry, what in entries]
    warnings += [f"{entry} was left out: it could not be read ({why}). If your code is in it, "
                 "make it readable (chmod u+r) or copy it into a folder you own."
                 for entry, why in unreadable]
    try:
        folders = uploads.not_code_folders(Path(upload))
        if Path(upload).suffix.lower() == ".zip" and Path(upload).is_file():
            with zipfile.ZipFile(upload) as zf:
                names = [archive.member_name(m)[0].replace("\\", "/") for m in zf.infolist()]
            folders += [(prefix.rstrip("/"), what)
                        for prefix, what in sorted(uploads.zip_not_code(names).items())]
    except (OSError, zipfile.BadZipFile, ValueError):
        folders = []
    # A tar's, found by the worker that unpacked it (worker/unpack_tar.py).
    folders += [(str(prefix).rstrip("/"), str(what))
                for prefix, what in sorted(load.get("not_code", {}).items())]
    warnings += [f"{entry}/ was left out: it is {what}, not your code, and is neither graded "
                 "nor counted towards the upload's size." for entry, what in folders]
    twice = [str(name) for name in load.get("zip_duplicates", [])]
    if twice:
        shown = ", ".join(twice[:5]) + (f" and {len(twice) - 5} more" if len(twice) > 5 else "")
        if archive_names.tar_suffix(_holding_archive(twice[0], Path(upload).name)):
            warnings.append(f"your archive holds {shown} more than once (a tar updated by "
                            "appending files, `tar -r`); the last copy in it was graded. Make a "
                            "fresh archive that holds each file once, so that you know which "
                            "version is graded.")
        else:
            warnings.append(f"your zip holds {shown} more than once (a zip updated by adding "
                            "files again); the last copy in the zip was graded. Make a fresh "
                            "zip that holds each file once, so that you know which version is "
                            "graded.")
    return warnings


def _holding_archive(name: str, upload: str) -> str:
    """The archive a name the worker reported is in: the innermost archive its path names
    ("links.tar/a.py", from an archive inside the upload), else the upload."""
    for part in reversed(name.split("/")[:-1]):
        if part.lower().endswith(".zip") or archive_names.tar_suffix(part):
            return part
    return upload


NO_CODE = "the submission holds no Python file (.py) and no notebook (.ipynb)"


def _code_left_out(upload: Path, load: dict) -> str:
    """For the refusal of an upload with no code: where its code was, when it was all in
    folders left out as no one's (an environment's installed packages, a virtual environment),
    and what to do. The refusal alone contradicted the warning beside it, which named the folder
    holding the student's four files (recheck probe s58). "" otherwise."""
    if not str(load.get("fatal", "")).startswith(NO_CODE):
        return ""
    try:
        held = _not_code_holding_code(Path(upload))
    except (OSError, zipfile.BadZipFile, ValueError):
        held = []
    if not held:
        return ""
    folder, what = held[0]
    more = f" (and {len(held) - 1} more such folder{'s' * (len(held) > 2)})" if len(held) > 1 \
        else ""
    return (f". Its code is in {folder[:200]}/{more}, which was left out: it is {what[:200]}, "
            "not your code, and is never graded. If your own files are in it, move your own "
            "files out of it (into a folder of their own, or the top of your upload) and upload "
            "again")


def _not_code_holding_code(upload: Path) -> list[tuple[str, str]]:
    """The folders of a folder or .zip upload left out as no code that hold .py files or
    notebooks: (path in the upload, what it is)."""
    if upload.is_dir():
        return [(folder, what) for folder, what in uploads.not_code_folders(upload)
                if any(archive_names.is_code(p.name) for p in (upload / folder).rglob("*"))]
    if upload.suffix.lower() != ".zip" or not upload.is_file():
        return []
    with zipfile.ZipFile(upload) as zf:
        names = [archive.member_name(m)[0].replace("\\", "/") for m in zf.infolist()]
    return [(prefix.rstrip("/"), what)
            for prefix, what in sorted(uploads.zip_not_code(names).items())
            if any(n.startswith(prefix) and archive_names.is_code(n) for n in names)]


def _session_order(numbers: list[int], counts: object, graded: object) -> str:
    """What the notebook's saved In [n] say of the definitions, where the student's own session
    kept another than Run All does (a definition above the graded one run after it, or the
    graded one never run): "defined in cells 15 and 16 ... the last definition that ran" spoke
    of a cell the student had run first, or never (probe s54). "" when they agree."""
    if not isinstance(counts, list) or len(counts) != len(numbers) or not isinstance(graded, int) \
            or graded not in numbers:
        return ""
    saved = {n: c for n, c in zip(numbers, counts) if isinstance(c, int) and not isinstance(c, bool)}
    if not saved:  # outputs cleared, or a notebook never run: nothing said of a session
        return ""
    latest = max(saved, key=saved.get)
    # Two cells saved with the same In [n] ran in different sessions of the kernel: which of
    # them ran last is unknown (probe s60: "ran cell 10 (In [42]) after cell 14 (In [42])"), and
    # so is the order of the others, which may be of either session.
    known = len(set(saved.values())) == len(saved)
    if graded not in saved:
        return (f"Your saved notebook never ran cell {graded}"
                + (f" (the last of them your session ran is cell {latest}, In [{saved[latest]}])"
                   if known else "") + ": Run All does, and that is the definition graded. ")
    if latest == graded or not known:
        return ""
    return (f"Your saved notebook ran cell {latest} (In [{saved[latest]}]) after cell {graded} "
            f"(In [{saved[graded]}]), so your session kept cell {latest}'s: Run All keeps cell "
            f"{graded}'s, and that is the one graded. ")


def _too_large_warnings(left: Sequence[tuple[str, int]]) -> list[str]:
    """What an upload over the size or file limit had left out (proxy.copy_upload), in one
    warning."""
    if not left:
        return []
    shown = ", ".join(f"{name} ({size_text(size)})" for name, size in left[:5]) + (
        f" and {len(left) - 5} more" if len(left) > 5 else "")
    return [f"your upload is over the grader's limits ({proxy_mod.MAX_UPLOAD_BYTES / 2**20:g} MiB, "
            f"{proxy_mod.MAX_ARCHIVE_MEMBERS:,} files), so files that "
            f"are not code were left out, largest first: {shown}. Only your code is graded (.py "
            "files, notebooks): code that reads these files does not find them. Leave data and "
            "saved parameters out of the upload."]


def _parameters_never_read(function: object) -> set[str]:
    """The parameters the body of `function` (the reference's: trusted code, in this process)
    never reads; empty where its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    node = next((n for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return set()
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    arguments = node.args
    return {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            if a.arg not in read}


def _unused_parameter_warnings(load: dict, failing: set[str], reference: object = None,
                               pack: Pack | None = None) -> list[str]:
    """A function that lost points, never reads some of its parameters and reads variables of
    the student's notebook or file: most likely it computes from those in their place (a
    `word_to_one_hot_vector(word, word2Ind, V)` reading the notebook's `word2Ind` and `V` got
    only "raised KeyError: 'now'"). Said only where points were lost: a correct back_prop needs
    neither W1 nor b2, and may read a batch size the notebook set."""
    warnings = []
    for fn, entry in (load.get("functions") or {}).items():
        found = entry.get("unused_parameters") if isinstance(entry, dict) else None
        if fn not in failing or not isinstance(found, dict) \
                or not all(isinstance(found.get(key), list) and found[key]
                           for key in ("unused", "globals")):
            continue
        unused, read = ([str(n)[:60] for n in found[key]][:8] for key in ("unused", "globals"))
        # A parameter the reference never reads either is no sign of anything: the notebook's
        # back_prop(x, yhat, y, h, W1, W2, b1, b2) needs neither W1 nor b1 nor b2.
        spare = _parameters_never_read(getattr(reference, fn, None)) if reference else set()
        unused = [name for name in unused if name not in spare]
        graded = entry.get("file_shown") or entry.get("file")
        if not unused:
            # Every parameter it needs is read; a variable named as one of the assignment's
            # values (the notebook's `z1` in back_prop) is still read in a value's place.
            said = example_globals.warning(
                fn, str(graded), read, [(s.name, s.signature) for s in pack.functions]
            ) if pack is not None else ""
            warnings += [said] if said else []
            continue
        warnings.append(
            f"{fn} ({graded}) never reads its parameter{'s' if len(unused) > 1 else ''} "
            f"{_and(unused)}, and reads the variable{'s' if len(read) > 1 else ''} "
            f"{_and([f'`{n}`' for n in read])} of your notebook or file: the grader calls {fn} "
            f"with {'values' if len(unused) > 1 else 'a value'} of its own for "
            f"{_and(unused)}, which the body never sees. If "
            f"{'those variables stand' if len(read) > 1 else 'that variable stands'} in for "
            f"{'them' if len(unused) > 1 else 'it'}, use the parameter{'s' if len(unused) > 1 else ''}"
            " instead.")
    return warnings


def _load_warnings(load: dict, shim_xrange: bool, shim_numpy: bool = True,
                   stalled: frozenset[str] = frozenset()) -> list[str]:
    from grader.worker.python2_source import FORMS
    warnings = [f"{notebook} was saved with a kernel for {language}, not Python: the grader "
                "runs its cells as Python 3, as the assignment asks, so code in another "
                "language fails there. Write the assignment in a Python notebook."
                for notebook, language in load.get("other_kernels", [])]
    warnings += [_not_utf8_warning(found) for found in load.get("not_utf8", [])]
    for name in load.get("uses_xrange", []):
        if shim_xrange:
            warnings.append(f"{name} uses xrange (Python 2); it was run with xrange = range. "
                            "Use range in Python 3.")
        else:
            warnings.append(f"{name} uses xrange (Python 2), which Python 3 does not have; "
                            "the xrange shim is off, so calls that reach it fail.")
    for entry in load.get("imported_as", []):
        if entry.get("instead_of"):
            warnings.append(f"{entry.get('file')} was imported as {entry.get('module')}, in place "
                            f"of {entry.get('instead_of')}, which holds only the starter's "
                            "unfinished functions: upload one of them, named "
                            f"{entry.get('module')}.py.")
            continue
        warnings.append(f"{entry.get('file')} was imported as {entry.get('module')}, the name "
                        f"your other files import it by: name it {entry.get('module')}.py, as the "
                        "assignment does (a browser adds \" (1)\" to a file downloaded twice).")
    for entry in load.get("imported_beside", []):
        warnings.append(f"{entry.get('file')}, beside {entry.get('archive')} in your upload, was "
                        f"imported by the code graded in {entry.get('archive')}/, as if it were "
                        f"in {entry.get('archive')}: put it in {entry.get('archive')} too, so "
                        "that the archive holds all of your code.")
    warnings += _numpy_alias_warnings(load.get("uses_numpy_aliases", []), shim_numpy)
    warnings += _python2_name_warnings(load.get("uses_python2_names", []), shim_xrange)
    # A 2017 upload has the starter's print statements in every file: one warning for them all.
    prints: list[tuple[str, str]] = []
    for entry in load.get("python2_rewrites", []):
        if entry.get("tabs"):
            warnings.append(f"{entry.get('where')} indents with tabs and spaces mixed, which "
                            "Python 3 refuses (TabError); it was read as Python 2 reads it, a tab "
                            "reaching the next multiple of 8 columns. Indent with spaces only.")
        forms = entry.get("forms") or {}
        lines = _lines(forms.get("print"))
        if lines:
            prints.append((entry.get("where"), lines))
        others = [(form, _lines(forms.get(form))) for form in FORMS if form != "print"]
        others = [(form, lines) for form, lines in others if lines]
        if others:
            found = "; ".join(f"{FORMS[form][0]} ({lines})" for form, lines in others)
            instead = ", ".join(FORMS[form][1] for form, _ in others)
            warnings.append(f"{entry.get('where')} has Python 2 syntax that Python 3 refuses or "
                            f"reads otherwise: {found}. It was run as Python 3 spells it: write "
                            f"{instead}.")
    if len(prints) == 1:
        warnings.append(f"{prints[0][0]} has Python 2 print statements ({prints[0][1]}), which "
                        "Python 3 refuses or reads otherwise; they were run as print(...) calls. "
                        "Write print(...) in Python 3.")
    elif prints:
        # "or reads otherwise": `print >>f, x` compiles in Python 3 (a shift, then a tuple).
        warnings.append("Python 2 print statements, which Python 3 refuses or reads otherwise, "
                        "were run as print(...) calls: "
                        + "; ".join(f"{where} ({lines})" for where, lines in prints)
                        + ". Write print(...) in Python 3.")
    warnings += _python2_division_warnings(load.get("python2_divisions", []))
    errors = load.get("errors", [])
    said_cells_ran = False
    for error in errors:
        where = f"{error['file']}, line {error['line']}" if error.get("line") else error["file"]
        if error.get("type") == "CellStopped":  # ran too long (worker/notebook_cells.py)
            first = f" (`{error['first_line']}`)" if error.get("first_line") else ""
            warnings.append(f"{error['notebook']}, cell {error['cell']}{first} was stopped: "
                            f"{error['message']}")
            continue
        if error.get("cell") and error.get("run"):  # inside a %run: IPython runs on after it
            warnings.append(f"{error['notebook']}, cell {error['cell']}: `{error['run']}` "
                            "stopped with " + python2_habits.with_advice(
                                _raised(error, where),
                                str(error['type']), str(error['message']),
                                str(error.get('code', '')))
                            + " (what the file defined before that line was kept, and the rest "
                            "of the cell ran, as in Jupyter)")
            continue
        if error.get("cell"):  # a notebook's cell: the cells after it ran (worker/loader.py)
            warnings.append(f"{error['notebook']}, cell {error['cell']} stopped with "
                            + python2_habits.with_advice(
                                _raised(error, where),
                                str(error['type']), str(error['message']),
                                str(error.get('code', '')))
                            + _follows_star_import(error, load) + (
                                "" if said_cells_ran else " (the cells after it still ran, so "
                                "functions defined in other cells were still graded)"))
            said_cells_ran = True
            continue
        if error.get("type") == "NotebookError":  # a folder's notebook (worker/loader.py)
            warnings.append(f"{str(error['message']).rstrip('.')}; the rest of your submission "
                            "was graded")
            continue
        warnings.append(python2_habits.followed_by(
            f"{error['file']} could not be imported: " + python2_habits.with_advice(
                _raised(error, where), str(error['type']),
                str(error['message']), str(error.get('code', ''))), _top_level_advice(error)))
    for fn, pairs in (load.get("globals_like_parameters") or {}).items():
        for name, parameter in pairs:
            warnings.append(
                f"{fn} reads the name {name}, but its parameter is {parameter}: Python tells "
                f"them apart by case, so the body uses whatever {name} holds outside the "
                f"function, not the {parameter} it was called with. Use {parameter} in the "
                "body (or rename the parameter).")
    # One warning per set of other files: an old copy of the whole assignment beside it was
    # five warnings alike, one per function (probe s55).
    copies: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for fn, entry in load.get("functions", {}).items():
        if entry.get("also_in"):
            copies.setdefault(tuple(entry["also_in"]), []).append(
                (fn, str(entry.get("file_shown") or entry["file"])))
    for others, graded_in in copies.items():
        one = len(others) == 1
        names = _and([fn for fn, _ in graded_in])
        files = list(dict.fromkeys(file for _, file in graded_in))
        warnings.append(
            f"{names} {'is' if len(graded_in) == 1 else 'are'} defined in more than one file: "
            f"{'the one' if len(graded_in) == 1 else 'those'} in {_and(files)} "
            f"{'was' if len(graded_in) == 1 else 'were'} graded, "
            f"not {'the one' if one and len(graded_in) == 1 else 'those'} in {_and(list(others))}."
            f" If {'that is an old copy, remove it' if one else 'those are old copies, remove them'}"
            ", so that the grader sees only the one you mean.")
    # Copies passed over for the one graded: one warning per file and reason, the template's
    # cbow.py beside the filled-in cbow.ipynb was ten alike, one per function (probe s60).
    passed_over: dict[tuple[str, str, str], list[str]] = {}
    for fn, entry in load.get("functions", {}).items():
        graded = entry.get("file_shown") or entry.get("file")
        cells = entry.get("cells")
        if isinstance(cells, dict) and isinstance(cells.get("cells"), list):
            numbers = [int(n) for n in cells["cells"] if isinstance(n, int)][:12]
            notebook = str(cells.get("notebook", ""))[:200]
            last = cells.get("graded")
            which = (f"the one in cell {last} was graded" if isinstance(last, int) else
                     "the one graded is the last whose cell ran to its def")
            earlier = [n for n in numbers if n != last]
            keep = (f"It is as the template leaves it: delete the definition in cell {last}, "
                    f"and yours (cell {earlier[-1]}) is graded."
                    if cells.get("template") is True and isinstance(last, int) and earlier
                    else f"Keep one definition of {fn}, the one you mean.")
            warnings.append(
                f"{fn} is defined in cells {_and([str(n) for n in numbers])} of {notebook}: run "
                f"top to bottom, as the grader runs it (and Jupyter's Run All), a notebook keeps "
                f"the last definition that ran, so {which}. "
                f"{_session_order(numbers, cells.get('counts'), last)}{keep}")
        for file, problem in entry.get("unfinished_in") or []:
            passed_over.setdefault((str(file), str(problem), str(graded)), []).append(fn)
        # A function that never answered (every check ran out of time) does not "answer the
        # same whatever it is called with": its checks' timeouts say what it does (probe s58).
        if "ignores_arguments" in entry and fn not in stalled:
            read = entry["ignores_arguments"]
            warnings.append(
                f"{fn} ({graded}) never reads its parameters"
                + (f"; it reads the variables {_and([f'`{n}`' for n in read])} of your notebook "
                   "or file instead" if read else "")
                + ": it answers the same whatever it is called with, so a check that passes "
                "arguments of its own can only pass where they happen to equal those. Use the "
                "parameters in the body.")
    warnings += [_passed_over_warning(fns, file, problem, graded)
                 for (file, problem, graded), fns in passed_over.items()]
    picked = load.get("graded_folder") or {}
    if isinstance(picked, dict) and picked.get("folder"):
        # A helper beside the archive graded was imported by its code: it is not "not graded".
        imported = {str(e.get("file")) for e in load.get("imported_beside", [])}
        every = [str(o)[:100] for o in picked.get("others") or [] if str(o) not in imported]
        # Cut short, the list says so: a repository's ninth folder was left out unsaid.
        others = ", ".join(every[:6]) + (f" and {len(every) - 6} more" if len(every) > 6 else "")
        files = [str(f)[:100] for f in picked.get("files") or []][:6]
        held = f" (it holds {', '.join(files)})" if files else ""
        warnings.append(f"your upload holds code in several places: {str(picked['folder'])[:200]}/"
                        f"{held} was graded; {others} "
                        f"{'was' if len(every) == 1 else 'were'} not. Upload only the folder "
                        "to grade if that is not the one.")
    for beside in load.get("archives_beside") or []:
        if isinstance(beside, dict):
            warnings.append(_archive_beside_warning(beside))
    for notebook, module in load.get("shadowed_notebooks", []):
        warnings.append(f"{notebook} was not run: {module}, beside it, was graded instead (keep "
                        "one of the two, or give them different names)")
    for star in load.get("star_imports_of_absent", []):
        warnings.append(_star_import_warning(star))
    warnings += [_missing_module_warning(missing) for missing in load.get("missing_modules", [])]
    groups: dict[tuple[str, str], list[dict]] = {}
    for call in load.get("skipped_calls", []):
        groups.setdefault((str(call["file"]).split(", cell ")[0], str(call["module"])),
                          []).append(call)
    for (file, module), calls in groups.items():
        if len(calls) > SKIPPED_CALLS_APART:
            warnings.append(_skipped_together(file, module, calls))
    beyond = load.get("skipped_calls_beyond") or 0
    if beyond:
        warnings.append(f"{beyond} more statement{'s' if beyond > 1 else ''} needing a module "
                        "that is not installed where your code is graded "
                        f"{'were' if beyond > 1 else 'was'} skipped after those listed, the "
                        "code after each still running (not listed one by one).")
    for call in load.get("skipped_calls", []):
        if len(groups[(str(call["file"]).split(", cell ")[0], str(call["module"]))]) \
                > SKIPPED_CALLS_APART:
            continue
        code = f"`{call['code']}`" if call.get("code") else "a call"
        names = [str(n) for n in call.get("names", [])]
        if names:  # an assignment (worker/missing_imports.py)
            them = _and(names)
            warnings.append(
                f"{call['file']}, line {call['line']}: {code} {_needs(call['module'])}: that "
                "statement was skipped and the code after it ran; code that uses "
                f"{them} fails, saying {_what_is_missing(call['module'])}")
            continue
        if call.get("kind") == "statement":  # an `if`, a loop, ... (worker/missing_imports.py)
            warnings.append(f"{call['file']}, line {call['line']}: {code} "
                            f"{_needs(call['module'])}: the rest of that statement was skipped, "
                            "and the code after it ran")
            continue
        warnings.append(f"{call['file']}, line {call['line']}: {code} {_needs(call['module'])}: "
                        "that call was skipped, and the code after it ran")
    quiet: dict[str, list[dict]] = {}
    for skipped in load.get("skipped", []):
        if skipped.get("kernel_stop"):
            warnings.append(f"{skipped['notebook']}, cell {skipped['cell']}: `{skipped['what']}` "
                            "stops Jupyter's kernel (Colab's way to restart the runtime): that "
                            "cell stopped there, and, since every grade imports your code "
                            "afresh, the cells after it ran, as after a restart")
            continue
        if skipped.get("quiet"):
            quiet.setdefault(skipped["notebook"], []).append(skipped)
            continue
        warnings.append(f"{skipped['notebook']}, cell {skipped['cell']}: `{skipped['what']}` was "
                        "not run (the grader runs no shell commands or magics)")
    for notebook, entries in quiet.items():
        warnings.append(f"{notebook}: {_by_cell(entries)} " + (
            "was not run either, and changes" if len(entries) == 1 else
            "were not run either, and change") + " nothing a grade sees (no plot is ever shown "
            "where your code is graded, and every grade imports your code afresh)")
    for notebook in load.get("skipped_unlisted", []):
        warnings.append(f"{notebook}: more magics and shell commands than the "
                        f"{sum(s['notebook'] == notebook for s in load.get('skipped', []))} listed "
                        "were not run either")
    # A notebook's cells print and show values as a matter of course (the CBOW handout's own cell
    # ends with `word2Ind`): said for every notebook, it was noise. Their output is shown still.
    # A notebook downloaded as a .py runs cell by cell too, and printed as the .ipynb does.
    notebook = bool(load.get("run_as_cells")) or any(
        str(entry.get("file_shown", "")).endswith(".ipynb")
        for entry in (load.get("functions") or {}).values() if isinstance(entry, dict))
    if load.get("output") and not notebook:
        warnings.append("your submission printed output while being imported: it is shown under "
                        "\"Printed while importing your submission\" (in the terminal with -v; in "
                        "the HTML report and on Gradescope always; import_output in the JSON).")
    return warnings


def _known_answers(pack: Pack, options: Options, warnings: list[str]) -> \
        known_answers_mod.KnownAnswers | None:
    """The known answers that stand in for a missing reference, or None (with a warning when
    they should have been there)."""
    path = options.known_answers or pack.known_answers
    if path is None:
        return None
    try:
        answers = known_answers_mod.KnownAnswers.load(path, pack.root)  # the pack's classes
    except known_answers_mod.KnownAnswersError as exc:
        warnings.append(f"known answers not used: {exc}")
        return None
    if answers.pack != pack.name:
        warnings.append(f"known answers not used: {Path(path).name} is for the pack "
                        f"{answers.pack!r}, not {pack.name!r}")
        return None
    return answers


def _inputs(used: input_set_mod.InputSet, answers_used: str, checks: tuple) -> dict:
    """The report's `inputs`: which set, what the answers were compared with, and with known
    answers how many points they decided and how many only the instructor's grader can."""
    inputs = {"set": used.name, "answers": answers_used}
    if answers_used == "known answers":
        inputs["known_answer_points"] = round(sum(
            c.max_score for c in checks
            if c.kind in ("values", "robustness") and c.status != "skipped"), 2)
        inputs["instructor_points"] = round(sum(
            c.max_score for c in checks if c.status == "skipped"), 2)
    return inputs


def worded(builder: Callable[..., list[str]], *args: Any) -> list[str]:
    """The warnings `builder` words from what the worker reported, or, should the wording itself
    fail (a grader bug: four skipped plotting lines that set no name once raised IndexError and
    lost the whole report), one line that says so: the checks' verdicts stand either way."""
    try:
        return builder(*args)
    except Exception as exc:  # noqa: BLE001 (the report must still be written)
        return [f"grader problem: some warnings could not be worded ({crash.describe(exc)}); "
                "the scores are not affected. Please report it to your instructor."]


def backstop_seconds(limits: Limits) -> float:
    """pytest-timeout's limit on one check: a backstop against a hang in the grader's own code,
    past every deadline the check keeps itself. A check may wait for an import (its first, or a
    fresh worker's after a kill) beside its own time in the submission: with a 60 s import
    deadline (the CBOW course's advice for notebooks that train), a backstop below it stopped
    the first check mid-import, and every later check waited for the import again. The grader
    stretches both deadlines by the time the worker waited for a CPU (grader/cpu_wait.py), which
    this fixed limit cannot see: on a machine loaded 13 deep, a 31 s import stretched past a
    backstop of 61 s and the grade started its worker twice. Three times each deadline, then,
    counting every import the first check may wait for: a multi-file upload imported again for
    each file an import deadline left out (proxy.MAX_HUNG_FILES)."""
    imports = 1 + proxy_mod.MAX_HUNG_FILES
    return 3 * (limits.check_seconds + imports * limits.import_seconds) + 30


class _Interrupted:
    """A pytest plugin that notes a Ctrl-C (or the SIGTERM the command line turns into one)."""

    seen = False

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        # pytest ends a run whose checks could not all be collected with Session.Interrupted, a
        # KeyboardInterrupt of its own: that is a broken pack (ChecksBroken), not a Ctrl-C.
        if not excinfo.errisinstance(pytest.Session.Interrupted):
            self.seen = True


def _checks_args(pack: Pack) -> list[str]:
    """pytest's first arguments for running a pack's checks: where they are, and no cache."""
    return [str(pack.checks_dir), "-c", str(PYTEST_INI), "--rootdir", str(pack.checks_dir),
            "-p", "no:cacheprovider", "-p", "no:warnings", "-q", "--capture=no"]


def checks_problems(pack: Pack) -> list[str]:
    """Why the pack's checks cannot run, found by collecting them (no submission, no reference):
    empty when they can. What a command that grades many submissions, or ships the pack, asks
    once before it starts, where a grade would raise ChecksBroken for each submission."""
    state = plugin.GradingState(pack=pack, submission=None, reference=None, validating=True)
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink), _only_our_plugins(), \
            input_set_mod.using(input_set_mod.PUBLIC), tolerances.using(pack.tolerances), \
            importable(pack), checks_api.mode_in_force(pack.mode):
        code = pytest.main([*_checks_args(pack), "--collect-only",
                            *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}"))],
                           plugins=[*_plugin_modules(), plugin, _Installer(state)])
    return [] if code == 0 else _collection_problems(sink.getvalue(), int(code))


class ReferenceUnusable(Exception):
    """The reference is there but cannot be used (it lacks a graded function, it does not
    import): no grade can be made with it, and none is made without it unasked."""

    def __init__(self, folder: Path, why: str) -> None:
        self.folder, self.why = folder, why
        super().__init__(f"the reference at {folder} cannot be used ({why}); --no-reference "
                         "grades without one")


def _usable_reference(pack: Pack, folder: Path) -> reference_mod.Reference:
    """The reference in `folder`, or ReferenceUnusable. Graded on without it, a correct upload
    scored 0 of 50 with exit 0, in words addressed to a student, and one that did not import
    ended the grade as "a bug in the grader" (probe s61): `batch` and `audit` refuse both."""
    try:
        return reference_mod.load(pack, folder)
    except (reference_mod.ReferenceError, OSError, SyntaxError, ImportError) as exc:
        raise ReferenceUnusable(folder, str(exc)) from None


def grade(pack: Pack, submission_path: Path, options: Options = Options(), *,
          recipes: replay.RecipeBook | None = None,
          recorder: known_answers_mod.Recorder | None = None) -> SubmissionResult:
    """Run every check of `pack` on the submission at `submission_path`. A process that grades
    many submissions passes one `recipes` book to every call (grader/replay.py: same verdicts,
    a fraction of the time). `recorder` keeps every call the checks make to the reference
    (grader/known_answers.py)."""
    started = time.monotonic()
    warnings: list[str] = []
    ref_dir = reference_mod.locate(pack, options.reference_dir, options.no_reference)
    if ref_dir is None and not options.no_reference and reference_mod.missing_named(pack):
        warnings.append(f"{REFERENCE_NOT_USED} {reference_mod.missing_named(pack)}.")
    ref = None
    if ref_dir is not None and Path(ref_dir).is_dir():
        ref = _usable_reference(pack, Path(ref_dir))
    elif ref_dir is not None:
        # No folder there (an image set up without it): graded as a student's copy is, with
        # the known answers, and the instructor's log says why.
        warnings.append(f"{REFERENCE_NOT_USED} no reference folder at {Path(ref_dir).resolve()}")
    inputs = options.input_set
    if ref is None and inputs.is_secret:
        # Only the reference can answer secret inputs; the known answers hold the public ones.
        warnings.append(f"{SECRET_NOT_USED} without the reference, values are compared with the "
                        "known answers, which exist for the public inputs only.")
        inputs = input_set_mod.PUBLIC
    answers = _known_answers(pack, options, warnings) if ref is None else None
    if ref is None and answers is None and not options.no_reference \
            and not reference_mod.missing_named(pack) and not any(
                w.startswith(("known answers not used", REFERENCE_NOT_USED)) for w in warnings):
        # Nothing to compare values with, and nothing said why (a pack folder without reference/
        # was graded 9 of 20 with no warning, probe s55): the points left unchecked are not lost.
        warnings.append(f"{REFERENCE_NOT_USED} pack {pack.name} has no reference solution here "
                        f"(a reference/ folder in the pack, or --reference DIR) and no known "
                        "answers (known_answers.json): only the checks that need neither ran, and "
                        "the points of the others were not checked.")
    answers_used = "reference" if ref is not None else ("known answers" if answers else "none")
    submission = Submission(Path(submission_path), pack.homes, limits=options.limits,
                            shim_xrange=options.shim_xrange, shim_numpy=options.shim_numpy,
                            use_fork=options.use_fork,
                            isolation_mode=options.isolation, layout=pack.layout,
                            support=pack.support_dir, composed=pack.composed,
                            provided_functions=pack.provided_functions,
                            signatures={f.name: f.signature for f in pack.functions})
    state = plugin.GradingState(pack=pack, submission=submission, reference=ref, debug=options.debug,
                                reference_dir=Path(ref_dir) if ref is not None else None,
                                recipes=recipes,
                                input_set=inputs, known_answers=answers)
    if recorder is not None and ref is not None:
        state.reference = recorder.attach(ref, lambda: state.current_check)
    args = [*_checks_args(pack),
            # Its end-of-session gc.collect() x5 costs a grader that keeps recipes 0.15 s a
            # submission; with warnings off it could only ever have reported to no one.
            "-p", "no:unraisableexception",
            *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
            # hypothesis formats every failing example through pytest; native is cheap.
            "--tb=native", _assertion_mode(pack.checks_dir),
            "-o", f"timeout={backstop_seconds(options.limits):g}",
            "-o", f"timeout_method={'signal' if hasattr(signal, 'SIGALRM') else 'thread'}"]
    sink = io.StringIO()
    interrupted = _Interrupted()
    finished = False
    # A process that grades again with the same pack and arguments runs the checks pytest
    # configured and collected at its first grade (grader/kept_session.py).
    keep = kept_across_grades(pack) and not options.debug
    try:
        # The worker starts while pytest collects the checks; inside the try, so that an
        # interrupt as it starts still closes it.
        submission.start_early()
        with redirect_stdout(sink), redirect_stderr(sink), _only_our_plugins(), \
                input_set_mod.using(inputs), tolerances.using(pack.tolerances), importable(pack), \
                checks_api.mode_in_force(pack.mode), plugin.draws_independent_of_installed_code():
            # Keyed by the whole pack: a course config's visibility or points, read at
            # collection, must not carry over to a grade under another.
            exit_code = kept_session.run(
                (repr(pack), *args), args,
                lambda: [*_plugin_modules(), plugin, _Installer(state)], state) if keep else None
            if exit_code is None:
                exit_code = pytest.main(args, plugins=[*_plugin_modules(), plugin,
                                                       _Installer(state), interrupted])
        finished = not interrupted.seen  # (an interrupt in a kept session raises instead)
    finally:
        # Interrupted while pytest collected, no check had waited for the import yet: closing
        # must not wait for it either (a `kill` then took up to the import deadline to act).
        submission.close(abandon=not finished)
    if interrupted.seen:
        # pytest swallows Ctrl-C and returns; a grade cut short is no grade (the checks not run
        # would read as failed), so the interrupt goes on to the caller, with no report.
        raise KeyboardInterrupt
    if exit_code not in (0, 1) and not state.results:
        # Not one check ran: the pack's checks could not be collected (a check module that does
        # not import, a marker misspelt, a function no check grades). A 0 / 0 report would read
        # as a grade; the instructor's pack is what must change.
        raise ChecksBroken(pack.name, _collection_problems(sink.getvalue(), int(exit_code)))
    if exit_code not in (0, 1) or state.internal_errors:
        # A broken pack or engine is the instructor's problem; keep the detail for them.
        places = state.internal_error_places
        said = (f": {places[0]}" + (f" (and {len(places) - 1} more)" if len(places) > 1 else "")
                if places else f" (pytest exit {int(exit_code)})")
        warnings.append(f"grader problem{said}; the traceback with `autograde grade --debug`")
        if options.debug:
            print(sink.getvalue())
    load = submission.load or {}
    warnings += worded(_reseeding_warnings, submission.reseeded)
    failing = {c.function for c in state.results if c.status not in ("passed", "skipped")}
    ran = {c.function for c in state.results if c.status != "skipped"}
    stalled = frozenset(fn for fn in ran if all(
        c.status == "timeout" for c in state.results if c.function == fn and c.status != "skipped"))
    # An advisory check's crash that a graded check charged is said with the points it cost.
    charged = plugin.advisory_warnings_charged(state.results)
    warnings = (worded(_left_out_warnings, submission.path, load, submission.unreadable)
                + worded(_too_large_warnings, [*submission.too_large, *(
                    (str(name), int(size)) for name, size in load.get("over_limits", []))])
                + worded(_load_warnings, load, options.shim_xrange, options.shim_numpy, stalled)
                + worded(_signature_warnings, load, pack, failing)
                + worded(_unused_parameter_warnings, load, failing, ref, pack)
                + warnings + [w for w in state.warnings if w not in charged])
    # A worker that started once and failed to start again (for a later check) cost those checks
    # only, which say so: the submission as a whole was graded.
    error = (submission.load_failure if submission.load is None else "") or (
        f"your submission could not be read: {load['fatal']}{_code_left_out(submission.path, load)}"
        if load.get("fatal") else "")
    if not error and load.get("errors") and not any(
            f.get("found") for f in load.get("functions", {}).values()):
        first = load["errors"][0]
        where = f"{first['file']}, line {first['line']}" if first.get("line") else first["file"]
        error = (f"your submission could not be imported ({_raised(first, where)}); nothing "
                 "could be graded.")
        if first.get("after_star_import"):
            error = _nothing_imported(first, where, load)
        error = python2_habits.followed_by(
            python2_habits.with_advice(error, str(first["type"]), str(first["message"])),
            _top_level_advice(first))
    empty = load.get("empty_files", [])
    if not error and load.get("files") and set(load["files"]) <= set(empty):
        error = (f"your submission is empty: {', '.join(empty)} holds nothing; nothing could be "
                 "graded. Was the file saved before it was uploaded?")
    checks = scoring.withhold_unverified(
        scoring.charge_excused(state.ordered_results(), state.excused_mistakes), state.check_gates,
        state.check_parts)
    for check in checks:  # a failure charged after all names its mistake in the report too
        if check.mistake in state.excused_mistakes and check.mistake not in state.mistakes:
            state.mistakes[check.mistake] = state.excused_mistakes[check.mistake]
    if not error:  # a submission that could not be read fails everywhere for that one reason
        # A function the submission does not have (or could not load) ran nothing: no callee
        # of it can be why its checks fail.
        # (A composition is never the submission's own: it is not absent for want of a def.)
        absent = {name for name, info in (load.get("functions") or {}).items()
                  if isinstance(info, dict) and not info.get("found")} - set(pack.composed)
        # A graded composition (onelayer's training) is built of the functions it uses: one of
        # those failing is the likely cause of its failure, as a callee's is.
        calls = {**pack.composed, **pack.calls}
        checks = callees.blame_failing_callees(checks, callees.as_written(calls, load),
                                               [f.name for f in pack.functions], absent=absent,
                                               uses=state.check_uses,
                                               callers_never_pass=state.callers_never_pass)
    functions = tuple(scoring.summarise_function(spec.name, [c for c in checks if c.function == spec.name])
                      for spec in pack.functions)
    score, max_score = scoring.total(functions)
    info = submission.worker_info
    applied = (info.get("limits") or {}).get("applied", {})
    unavailable = (info.get("limits") or {}).get("unavailable", [])
    if not submission.use_fork:
        unavailable = unavailable + ["fork (each graded function gets a fresh worker instead of each check)"]
    if submission.mode != "sandbox":
        unavailable = [f"sandbox ({submission.why_not_sandbox})"] + unavailable
    isolation = {**isolation_mod.describe(submission.mode, submission.why_not_sandbox),
                 "fork_per_check": bool(submission.use_fork), "limits": applied,
                 "unavailable": unavailable + submission.isolation_notes,
                 "deadlines": {"import_seconds": options.limits.import_seconds,
                               "call_seconds": options.limits.call_seconds,
                               "check_seconds": options.limits.check_seconds,
                               "submission_seconds": options.limits.submission_seconds}}
    if any(note.startswith("privilege drop") for note in submission.isolation_notes):
        isolation["user"] = "root, as the grader: no unprivileged uid could be used (see unavailable)"
    versions = {"grader": __version__, "pack": pack.name, **({"config": pack.config} if pack.config else {}),
                "python": platform.python_version(),
                "worker_python": str(info.get("python")), "numpy": str(info.get("numpy")),
                "pytest": pytest.__version__}
    import hypothesis
    versions["hypothesis"] = hypothesis.__version__
    # A .py file graded alone beside the files that hold what it lacks: said first, with the
    # command that grades them together (graded_alone.py); what was graded stays as asked.
    entries = {name: info for name, info in (load.get("functions") or {}).items()
               if isinstance(info, dict) and name not in pack.composed}
    alone = graded_alone.warning(
        Path(submission_path), [name for name, info in entries.items() if not info.get("found")],
        pack.homes, [name for name, info in entries.items() if info.get("found")])
    warnings = [alone, *warnings] if alone else warnings
    # Another pack's upload (the cbow notebook graded as CS224n): which pack, said first, from
    # its code read with the parser (other_pack.py); its points stay this pack's.
    # Not where a function of this pack earned every point: a q1_softmax.py holding relu(z) and
    # softmax(z) fits cbow's names, and its softmax is right here (recheck probe s60).
    right_here = any(f.max_score > 0 and f.score >= f.max_score for f in functions)
    elsewhere = "" if right_here else other_pack.warning(pack, Path(submission_path))
    warnings = [elsewhere, *warnings] if elsewhere else warnings
    if inputs.is_secret and submission.mode != "sandbox":
        warnings.append(f"{SECRET_NOT_SAFE} the submission "
                        "could read it (the grader's command line, environment and files are "
                        "open to it) and learn the inputs it is graded on. Grade with "
                        "--isolation sandbox.")
    result = SubmissionResult(
        submission=str(submission_path), score=score, max_score=max_score, checks=checks,
        functions=functions, warnings=tuple(warnings), notes=tuple(state.notes),
        isolation=isolation, versions=versions,
        timings={"total_seconds": round(time.monotonic() - started, 3),
                 "worker_starts": submission.starts, **submission.import_timing},
        error=error, reference=ref is not None, import_output=str(load.get("output", "")),
        import_output_dropped=max(0, int(load.get("output_dropped") or 0)),
        mistakes={key: m.to_dict() for key, m in sorted(state.mistakes.items())},
        inputs=_inputs(inputs, answers_used, checks),
        mode={"name": pack.mode, "description": pack.mode_description} if pack.mode else {},
        missing_modules=missing_modules(load, checks))
    secret = options.input_set.secret  # redacted even when unused: the worker could read it
    return redact.without_secret(result, secret) if secret is not None else result


# Errors a file's top level cannot help: it does not compile, or is no Python at all.
_NOT_FROM_TOP_LEVEL_CODE = ("SyntaxError", "IndentationError", "TabError", "NotPython")
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


def _signature_warnings(load: dict, pack: Pack, failing: set[str] = frozenset()) -> list[str]:
    """A graded function whose parameters are the assignment's names in another order (a course's
    later file has derivative_b1(Z, T, Y, W2) where the blog has (T, Y, W2, Z)), or with one
    more or one fewer: said once, up front, since its failures show only what numpy made of the
    swapped values. Names that only spell the assignment's otherwise (y_hat for yhat) are read
    as them where the function lost points: a correct back_prop(x, y, y_hat, ...) that used y
    as the output was told to reorder them (recheck probe, s56)."""
    said = []
    for spec in pack.functions:
        entry = load.get("functions", {}).get(spec.name) or {}
        expected = misplaced_arguments.signature_parameters(spec.signature)
        if not expected or "parameters" not in entry:
            continue
        told = misplaced_arguments.parameters_unlike_signature(
            spec.name, entry["parameters"], int(entry.get("required_parameters", 0)), expected,
            [str(p)[:100] for p in list(entry.get("keyword_only_parameters") or ())[:32]],
            by_spelling=spec.name in failing)
        if told:
            said.append(told)
    return said


def _reseeding_warnings(reseeded: dict[str, list[str]]) -> list[str]:
    """One line per graded function that reseeded a global random generator inside a call."""
    return [f"{function} calls {_and([f'{label}()' for label in labels])} each time it runs: "
            "every call then draws the same random numbers (a function that samples, such as "
            "negative sampling from a dataset that samples with Python's random, would draw the "
            "same samples at every training step). Seed once, outside the function, as an "
            "assignment's test code does before it calls it."
            for function, labels in reseeded.items() if labels]


# More statements of one file skipped for one missing module than this share one line: a lecture
# notebook that tokenizes with nltk skips a statement in nearly every cell after that.
SKIPPED_CALLS_APART = 3


# How a check says that a graded function raised for want of a module (grader/proxy.py describe):
# an import inside the function, or a stand-in of a top-level import (worker/missing_imports.py).
_NO_MODULE_RAISED = re.compile(r"raised ModuleNotFoundError: No module named '([\w.]+)'")


def missing_modules(load: dict, checks: Sequence[CheckResult]) -> tuple[str, ...]:
    """The top-level names, sorted, of the modules the submission imports that cannot be imported
    where it is graded: its top-level imports let through (the load report), and the imports its
    graded functions make when called. A module whose file is in the upload, outside the folder
    graded, is left out: the upload's layout is the cause, which its warning says."""
    elsewhere, found = set(), set()
    for entry in load.get("missing_modules") or []:
        top = str(entry.get("module", "")).split(".")[0]
        (elsewhere if entry.get("elsewhere") else found).add(top)
    for check in checks:
        found.update(m.split(".")[0] for m in _NO_MODULE_RAISED.findall(check.message))
    return tuple(sorted(m for m in found - elsewhere if m))


def _missing_module_warning(missing: dict) -> str:
    """What an import of a module not installed here (worker/missing_imports.py) is told. A
    well-known package and a module that may be the student's own file are said in the same
    words, the second with where to put the file (probe s60: `google` and `ipywidgets` were
    worded two ways for one situation)."""
    top = str(missing["module"]).split(".")[0]
    imports = f"{missing['file']}, line {missing['line']} imports {missing['module']}"
    # A sentence's end: it closes the warning, whichever way the warning begins (probe s61).
    let_through = (f"the import was let through, and only code that uses {missing['module']} "
                   "fails.")
    if missing.get("gated") is True:
        return (f"{imports}, which graded code may not use (NumPy and Python's standard library "
                f"only, on every machine alike): {let_through}")
    said = f"{imports}, which is not installed where your code is graded"
    if top in WELL_KNOWN_PACKAGES:
        return f"{said}: {let_through}"
    if missing.get("elsewhere"):  # in the upload, outside the folder graded
        folder = str(missing.get("graded_folder"))[:200]
        return (f"{imports}: {str(missing['elsewhere'])[:200]} is in your upload, but not in "
                f"{folder}/, the folder that was graded, so it could not be imported from there: "
                f"put it in {folder}/ beside the files that import it. "
                f"{let_through[:1].upper()}{let_through[1:]}")
    # As likely a file of the student's own that did not make it into the upload; or a
    # misspelling of a module the upload has or the submission imports (worker/missing_imports.py
    # near_module), said first: `nunpy` is numpy, not a file to upload.
    near = missing.get("near")
    guess = f" did you mean {near}? Else, if" if isinstance(near, str) and near else " if"
    return (f"{said}, nor in your upload:{guess} {str(missing['module']).split('.')[-1]}.py "
            f"is a file of yours, upload it with the others. "
            f"{let_through[:1].upper()}{let_through[1:]}")


def _skipped_together(file: str, module: str, calls: list[dict]) -> str:
    """One warning for the statements of `file` skipped because `module` is missing."""
    # One place per line (four statements on one line were "cell 18, line 10" four times), the
    # first ten of them.
    places = list(dict.fromkeys(
        str(c["file"])[len(file) + 2:] + f", line {c['line']}" if str(c["file"]) != file
        else f"line {c['line']}" for c in calls))
    if len(places) > 10:
        places = places[:10] + [f"and {len(places) - 10} more lines"]
    names = list(dict.fromkeys(str(n) for c in calls for n in c.get("names", [])))
    shown = _and([f"`{n}`" for n in names[:8]] + ([f"{len(names) - 8} more"] if len(names) > 8
                                                   else []))
    first = f" (the first: `{calls[0]['code']}`)" if calls[0].get("code") else ""
    needed = ("asked for input(), which gets no answer while your code is graded" if module == INPUT
              else "used what an input() above would have set" if module == INPUT_UNSET
              else f"needed {module}, which is not installed where your code is graded")
    return (f"{file}: {len(calls)} statements {needed}, and were skipped, the code after each "
            f"still running{first}: {'; '.join(places)}."
            + (f" Code that uses what they would have set ({shown}) fails, saying "
               f"{_what_is_missing(module)}." if names else ""))


# What a statement skipped for want of an answer to input() stands for, and one that used what
# such a statement would have set (worker/missing_imports.py).
INPUT, INPUT_UNSET = "input()", "input() unset"


def _needs(module: str) -> str:
    """Why a top-level statement was skipped: a module not installed, or input() unanswered."""
    if module == INPUT:
        return "asks for input(), which gets no answer while your code is graded"
    if module == INPUT_UNSET:
        return ("uses what an input() above would have set, which it never did (input() gets "
                "no answer while your code is graded)")
    return f"needs {module}, which is not installed where your code is graded"


def _what_is_missing(module: str) -> str:
    return ("input() got no answer" if module in (INPUT, INPUT_UNSET)
            else f"{module} is missing")


def _nothing_imported(first: dict, where: str, load: dict) -> str:
    """The submission-wide error when its first failure is a NameError after `from M import *`
    of a file of the layout the upload lacks: the missing file is the cause, said first."""
    module = str(first["after_star_import"])
    place = _star_import_place(module, load)
    notebook = ", cell " in place
    return (f"{place or 'your code'} runs `from {module} import *`, but {module}.py is not in "
            "your upload, so nothing was imported from it and nothing could be graded: upload "
            f"{module}.py with {'the notebook' if notebook else 'the others'}, or define its "
            f"functions in {'the notebook' if notebook else 'your file'}. The "
            f"{first['type']} in {where} ({first.get('message', '')}) follows from it.")


def _top_level_advice(error: dict) -> str:
    """For a .py file whose import raised: the usual cause, code at its top level that runs on
    import (tests, a training run, exit()), and the fix; "" for other errors."""
    kind = str(error.get("type", ""))
    if error.get("cell") or kind in _NOT_FROM_TOP_LEVEL_CODE or not str(
            error.get("file", "")).endswith(".py"):
        return ""
    if kind in _IMPORT_ERRORS and error.get("in_import", True):
        return ""  # an import statement of the file's: the import is the problem, not the guard
    if kind == "SystemExit":
        return ('exit() and sys.exit() at the top level of a file end its import, as the grader '
                'imports it: call them under `if __name__ == "__main__":`.')
    run = error.get("run_at")
    called = (f" Line {run['line']} (`{run.get('code', '')}`) is such code: the error was raised "
              "inside the call it makes." if isinstance(run, dict) and run.get("line") else "")
    return ('Code at the top level of a file runs when the grader imports it: keep tests and '
            f'experiments under `if __name__ == "__main__":`.{called}')
