"""A Jupyter notebook as Python cells, and the stand-ins its IPython syntax calls, in the worker.

A notebook is read with nbformat (which upgrades old versions: a version-3 notebook keeps its
cells under "worksheets") and each code cell's IPython syntax is turned into plain Python by
IPython's own input transformer, the one Jupyter itself uses. That transformer never runs
anything: `%magic`, `%%magic`, `!cmd`, `x = !cmd` and `obj?` all become calls on `get_ipython()`.
Here `get_ipython()` is a stand-in whose methods do nothing and note what was skipped, so a shell
escape or a magic in a submission is never a command the grader runs for it. The magics whose
body is the student's own Python keep their meaning, since notebooks define functions under them:
`%%time` / `%time` and `%%capture` run their body in the notebook's namespace, `%%writefile`
writes its file into the working folder (the worker's copy of the upload), for a later cell to
import, and `%run file.py` runs the student's file there and merges what it defines.

Cells then run one by one in one namespace (loader.py): a cell that raises is reported with its
number, and the cells after it still run, as they would for a student who runs all cells and
scrolls past an error.

nbformat and IPython are imported only when a notebook is graded: the worker of a .py submission
starts without them.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys
import linecache
import re
import shlex
import signal
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import jupytext_text
import missing_imports
import own_clock
import python2_division
import python2_source
import source_text

# The cells file written beside the notebook's .py (loader.py runs it cell by cell).
CELLS_SUFFIX = ".autograde-cells.json"
MAX_SKIPPED = 50  # a `!ls` inside a loop is one finding, not a report of thousands
# Skipping these changes nothing a grade could see (plots are headless here anyway; reloading
# modules has no meaning in a fresh process): they are still listed, as every skipped magic is,
# but marked "quiet", so a report groups them on one line instead of a warning each.
QUIET_MAGICS = {"matplotlib", "autoreload", "load_ext", "reload_ext", "config"}
# Magics whose body is the student's own Python, run in the notebook's namespace by Jupyter too:
# `%%time` over a cell that defines a function must define it here. (`%%timeit` is not among
# them: IPython runs its body in a scope of its own, so nothing it defines survives.)
BODY_CELL_MAGICS = {"time", "capture"}
BODY_LINE_MAGICS = {"time"}
# %run's options that take a value (`-N 3`, `-b 40`): the value is not the file to run.
RUN_OPTIONS_WITH_VALUE = set("NbDlsT")
MAX_RUN_DEPTH = 8
DEFINES = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


def defined_names(text: str) -> list[str]:
    """The functions `def` lines in the text name (methods and nested ones too): what a cell that
    raises is said to have cost. A NUL byte is left out first: one before a cell's `def` (a
    corrupted save) hid the def, and the function was said not to be in the submission at all
    where the cell's SyntaxError was the cause (probe s62)."""
    return sorted(set(DEFINES.findall(text.replace("\0", ""))))


class CellStopped(BaseException):
    """Raised inside a cell still running when the notebook's time is up (`Budget`). A
    BaseException, so that a cell's own `except Exception` does not swallow it."""


# Shares of the import deadline: until SOFT_SHARE a notebook's cells run freely; a cell still
# running then is stopped, and the cells after it share what is left before HARD_SHARE. Both
# lie before the grader's own deadline, which then still has time to hear the worker is ready.
SOFT_SHARE = 0.7
HARD_SHARE = 0.9


class Budget:
    """The time a notebook's cells have: until `soft` they run freely; a cell still running then
    is stopped (CellStopped) and the cells after it share what is left before `hard`. Both lie before the grader's own
    import deadline, so a course-style notebook that ends by training for minutes loses that
    cell, not every function its other cells define.
    (A cell that catches BaseException can still run on; the grader's deadline then ends the
    import, as it always did.)"""

    def __init__(self, seconds: float, started: float) -> None:
        self.seconds = seconds
        self.soft = started + SOFT_SHARE * seconds
        self.hard = started + HARD_SHARE * seconds
        self.stops = 0  # cells stopped so far: the first at SOFT_SHARE, the others after it

    def allowance(self, cells_left: int) -> float:
        now = own_clock.now()  # the time the submission had: a busy machine's queue is not its
        # A cell is stopped up to a few ms before `soft` (the alarm's tolerance, the clock's
        # 4 ms steps): the next cell must still get its share until `hard`, not those few ms,
        # or a cell of plain `def`s was stopped on one run in ten on a busy machine.
        if now < self.soft and not self.stops:
            return self.soft - now
        return max(self.hard - now, 0.0) / max(cells_left, 1) or 0.001

    def stopped(self, what: str) -> CellStopped:
        """The error a stopped cell reports. Where the alarm landed (the line, the function the
        loop was in) and how long the cell had run are left out: they change from run to run,
        and a grade says the same thing every time it is given."""
        self.stops += 1
        limit = (f"a notebook's cells may run until {SOFT_SHARE:.0%} of the {self.seconds:g} s "
                 "your whole submission has to load when it is graded" if self.stops == 1 else
                 "once a cell has been stopped, the cells after it share what is left until "
                 f"{HARD_SHARE:.0%} of the {self.seconds:g} s your whole submission has to load "
                 "when it is graded")
        return CellStopped(
            f"this {what} was still running at the grader's stop threshold: "
            f"{limit} (a long training loop? keep it in a function the grader does not call, or "
            "train for fewer iterations). Grading went on with what the other cells define.")

    @contextlib.contextmanager
    def running(self, what: str, left: int = 1,
                on_stop: Callable[[], None] | None = None) -> Iterator[None]:
        """Stop the code run inside (one cell) with CellStopped when its allowance is up; `left`
        counts it and the cells still to run after it. `on_stop` hears of the stop first: if the
        code catches CellStopped (a bare `except:`) and runs on into the grader's deadline, the
        grader has been told why it was not stopped."""
        if not hasattr(signal, "setitimer"):
            yield
            return
        started = time.monotonic()
        allowed = self.allowance(left)
        until = own_clock.now() + allowed

        insisting = _Insisting()

        def stop(signum, frame) -> None:
            remaining = until - own_clock.now()
            if remaining > 0.005:  # the timer counts wall time; part of it went to waiting
                signal.setitimer(signal.ITIMER_REAL, remaining)
                return
            if on_stop is not None:
                with contextlib.suppress(BaseException):
                    on_stop()
            error = self.stopped(what)
            insisting.start(frame, error.args)
            raise error
        previous = signal.signal(signal.SIGALRM, stop)
        outer, _ = signal.setitimer(signal.ITIMER_REAL, allowed)
        try:
            yield
        finally:
            insisting.end()
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer > 0:  # a notebook imported by another's cell: the outer cell's timer
                signal.setitimer(signal.ITIMER_REAL,
                                 max(outer - (time.monotonic() - started), 0.001))


    @contextlib.contextmanager
    def watching(self, on_alarm: Callable[[object], None]) -> Iterator[None]:
        """While a .py file is imported: at HARD_SHARE of the deadline, `on_alarm` is given the
        running frame (to tell the grader where the import is) and the import goes on; nothing
        is stopped, a file's top level is one unit. Inside a cell's own timer it does nothing."""
        if not hasattr(signal, "setitimer") or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            yield
            return

        def alarm(signum, frame) -> None:
            remaining = self.hard - own_clock.now()
            if remaining > 0.005:  # the timer counts wall time; part of it went to waiting
                signal.setitimer(signal.ITIMER_REAL, remaining)
                return
            with contextlib.suppress(BaseException):
                on_alarm(frame)
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.hard - own_clock.now(), 0.001))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


class _Insisting:
    """The stop, raised once more at the next line of each of the submission's functions after
    it. The alarm lands wherever the cell is: inside a `try` whose bare `except:` (or `except
    BaseException:`) swallows it, or outside, and which was chance, so the same notebook was
    graded 0 (run into the import deadline) or 100 (stopped, the rest graded) from one run to the
    next (probe s54). Raised again at the handler's own next line, the stop leaves that handler:
    a loop with one such handler always ends stopped. Python switches off a trace function that
    raises, so each function gets one more raise, not more: handlers nested two deep in one
    function can still swallow both (probe s54's recheck), and README says so. Only the
    submission's frames are traced, never a library's or the worker's, whose state an exception
    in mid-line could leave broken."""

    def __init__(self) -> None:
        self.args: tuple = ()
        self.frames: list = []
        self.previous = None

    def start(self, frame, args: tuple) -> None:
        self.args = args
        self.previous = sys.gettrace()
        while frame is not None:
            if _submissions(frame.f_code):
                frame.f_trace, frame.f_trace_lines = self._line, True
                self.frames.append(frame)
            frame = frame.f_back
        sys.settrace(self._call)

    def _call(self, frame, event, arg):
        if event == "call" and _submissions(frame.f_code):
            self.frames.append(frame)
            return self._line
        return None

    def _line(self, frame, event, arg):
        if event == "line":
            raise CellStopped(*self.args)
        return self._line

    def end(self) -> None:
        if not self.args:
            return
        sys.settrace(self.previous)
        for frame in self.frames:  # a generator the cell kept must not raise in a later call
            with contextlib.suppress(Exception):
                frame.f_trace = None
        self.frames.clear()
        self.args = ()


def _library_places() -> tuple[str, ...]:
    import sysconfig  # noqa: PLC0415
    paths = sysconfig.get_paths()
    places = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    places.add(os.path.dirname(os.path.abspath(__file__)))  # the worker's own modules
    return tuple(sorted(os.path.abspath(p) for p in places if isinstance(p, str) and p))


_LIBRARIES: tuple[str, ...] = ()


def _submissions(code) -> bool:
    """Whether code is the submission's own (a cell, a file of the upload), not a library's,
    the standard library's or the worker's."""
    global _LIBRARIES
    if not _LIBRARIES:
        _LIBRARIES = _library_places()
    name = code.co_filename
    if name.startswith("<frozen"):
        return False
    where = os.path.abspath(name)
    return not any(where == root or where.startswith(root + os.sep) for root in _LIBRARIES)


class NotebookError(Exception):
    """The file is not a notebook nbformat can read."""


def _fill_required(raw: object) -> object:
    """Hand-made and tool-made notebooks often leave out a cell's "metadata" (or a code cell's
    "outputs"), which Jupyter itself tolerates and nbformat refuses; add them, empty. Saved
    outputs and attachments are never run, so they are emptied: one of a shape nbformat refuses
    (an output saved as text) no longer makes the whole notebook unreadable."""
    if not isinstance(raw, dict):
        return raw
    raw.setdefault("metadata", {})
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else [raw]
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if isinstance(cell, dict):
                cell.setdefault("metadata", {})
                cell.pop("attachments", None)
                if cell.get("cell_type") == "code":
                    cell["outputs"] = []
    return raw


# What IPython's input transformers act on: a magic or shell escape (at a line's start, or after
# `=`), help (`?`), a prompt pasted in (`>>>`, `...`, `In [1]:`), a line of blanks only.
_IPYTHON_SYNTAX = re.compile(r"^[ \t]*[!%]|=[ \t]*[!%]|\?|>>>|\bIn \[|^[ \t]*\.\.\.|^[ \t]+\r?$",
                             re.M)


def _plain_python(cell: str) -> bool:
    """A cell IPython's transformers would leave as it is (bar a final newline): none of their
    syntax, and no leading blank line or indentation for them to strip. Transforming a cell of a
    hundred thousand lines takes IPython seconds, all of them spent before the cell may run."""
    return bool(cell) and cell[0] not in " \t\r\n" and not _IPYTHON_SYNTAX.search(cell)


def kernel_language(raw: object) -> str:
    """The language a notebook's metadata names for its kernel ("" when it names none, or
    Python): an R notebook's cells are no Python, and a report that said only "SyntaxError in
    cell 1" did not say why (probe s54)."""
    meta = raw.get("metadata") if isinstance(raw, dict) else None
    if not isinstance(meta, dict):
        return ""
    for table, key in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(table, {}).get(key) if isinstance(meta.get(table), dict) else None
        if isinstance(value, str) and value.strip():
            return "" if value.strip().lower() in ("python", "python3", "python2", "ipython") \
                else value.strip()[:40]
    return ""


def read_cells(notebook: Path, not_utf8: list[dict] | None = None,
               text_defines: list[dict] | None = None,
               language: list[str] | None = None,
               python: list | None = None) -> list[dict]:
    """The notebook's cells in order: {"cell": its number counting every cell from 1 at the top,
    Markdown too, "source": the Python to run, "original": what the student wrote}. Bytes that are
    not UTF-8 are read as the student's editor meant them (source_text.py) and each is added to
    `not_utf8`. A Markdown or raw cell that holds a `def` (a code cell turned to Markdown by a
    stray key press) is added to `text_defines`: {"cell", "kind", "defines"}; a kernel of another
    language than Python, to `language`; the Python its metadata names (3, 2 or None), to
    `python`."""
    import nbformat  # noqa: PLC0415 (only notebooks pay for it)
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415

    try:
        raw, found = source_text.notebook_json(notebook.read_bytes())
        if not_utf8 is not None:
            not_utf8 += found
        raw = _fill_required(raw)
        if python is not None:
            python.append(python2_division.notebook_python(raw.get("metadata")))
        if language is not None and kernel_language(raw):
            language.append(kernel_language(raw))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids and the like: not the student's
            nb = nbformat.reads(json.dumps(raw), as_version=4)
        cells = list(nb.cells)
    except Exception as exc:  # nbformat raises ValueError, ValidationError, AttributeError...
        raise NotebookError(f"{type(exc).__name__}: {str(exc)[:300]}") from None
    transformer = TransformerManager()
    out = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            defines = defined_names(str(cell.get("source", "")))
            if defines and text_defines is not None:
                text_defines.append({"cell": number, "kind": str(cell.get("cell_type")),
                                     "defines": defines})
            continue
        original = str(cell.get("source", ""))
        if _plain_python(original):  # what IPython would give back, without its seconds
            source = original if original.endswith("\n") else original + "\n"
        else:
            try:
                source = transformer.transform_cell(original)
            except Exception:  # malformed IPython syntax: compiling it reports the error
                source = original
        count = cell.get("execution_count")
        out.append({"cell": number, "source": source, "original": original,
                    "defines": defined_names(original),
                    # In [n]: when the student last ran it in their session (None: never).
                    "count": count if type(count) is int else None})
    return out


# A notebook exported as a script (Jupyter's "Download as Python", `jupyter nbconvert --to script`):
# each code cell follows a line `# In[7]:` (`# In[ ]:` if it never ran), and the cells' IPython
# syntax is already plain Python calling get_ipython().
EXPORT_MARK = re.compile(r"^# In\[[ 0-9]*\]:[ \t]*$", re.MULTILINE)


def first_code_line(lines: Iterable[str]) -> str:
    """How a cell begins, as a report quotes it: its first line that is not blank and not a
    cell's mark (a percent-format file's `# %%`, a script export's `# In[19]:`, probe s54 and
    s59); a comment of the student's is theirs, and quoted."""
    return next((s.strip() for s in lines if s.strip() and not CELL_MARK.match(s.strip())
                 and not EXPORT_MARK.match(s.strip())), "")[:80]


def is_notebook_export(text: str) -> bool:
    """Whether a .py file is a notebook's script export: run as the notebook, cell by cell (with
    the stand-in shell for what its magics became), so that it gets its .ipynb's grade. Two
    `# In[..]:` marks say so (nbconvert writes one above each cell), or one, or the export's
    shebang, with a get_ipython() call (a magic or shell escape the export turned into a call)."""
    marks = len(EXPORT_MARK.findall(text))
    return marks >= 2 or ("get_ipython()" in text and (
        marks == 1 or text.lstrip().startswith("#!/usr/bin/env python")))


def export_cells(text: str) -> list[dict]:
    """The cells of a script export, numbered from 1 in the order of their `# In[..]:` marks (the
    text before the first mark, the header, is cell 0 when it holds code). Each cell's "offset"
    is the number of the .py's lines above it: it runs at the .py's own line numbers, which are
    the ones the student can find in the file they uploaded."""
    starts = [m.start() for m in EXPORT_MARK.finditer(text)]
    pieces = [text[:starts[0]] if starts else text] + [
        text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    offsets = [0] + [text.count("\n", 0, a) for a in starts]
    cells = []
    for number, piece in enumerate(pieces):
        if not piece.strip() or all(line.lstrip().startswith("#") or not line.strip()
                                    for line in piece.splitlines()):
            continue
        source = piece if piece.endswith("\n") else piece + "\n"
        cells.append({"cell": number, "source": source, "original": source,
                      "defines": defined_names(source), "offset": offsets[number]})
    return cells


# A notebook kept as a .py in the "percent" format: jupytext writes a `# %%` line above each cell
# (`# %% [markdown]` above a Markdown cell, whose lines are comments), and VS Code, Spyder and
# PyCharm run a .py cell by cell between such lines (`#%%` too, a title after it allowed).
CELL_MARK = re.compile(r"^#[ \t]?%%(?:[ \t].*)?$", re.MULTILINE)
_TEXT_CELL = re.compile(r"^#[ \t]?%%.*\[(?:markdown|md|raw)\]", re.IGNORECASE)
_JUPYTEXT_PERCENT = re.compile(r"^#[ \t]+format_name:[ \t]*percent[ \t]*$", re.MULTILINE)


# More cells than this and a .py is run as one file: split into a million cells it took longer
# to cut than any deadline allows (probe s54), and no notebook has so many.
MAX_PERCENT_CELLS = 2000


def _cell_marks(text: str) -> list[int]:
    """Where the `# %%` lines start that stand between the file's top-level statements: a
    `# %%` comment inside a def or a call spanning lines is no cell boundary (cut there, a valid
    file raised an IndentationError Python never does; probe s54), nor is one inside a string.
    By the pattern alone when the file does not parse (a syntax error: its cells then fail one
    by one, not all together)."""
    import ast  # noqa: PLC0415 (only .py files with such marks pay for it)
    starts = [m.start() for m in CELL_MARK.finditer(text)]
    if not starts or len(starts) > MAX_PERCENT_CELLS:
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return starts
    inside = []  # the line spans of statements that run over more than one line
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = getattr(node, "end_lineno", None) or node.lineno
        if last > first:
            inside.append((first, last))
    if not inside:
        return starts
    kept, line, at, span = [], 1, 0, 0
    for start in starts:
        line += text.count("\n", at, start)
        at = start
        while span < len(inside) and inside[span][1] < line:
            span += 1
        if not (span < len(inside) and inside[span][0] <= line <= inside[span][1]):
            kept.append(start)
    return kept


def is_jupytext_notebook(text: str) -> bool:
    """A .py that jupytext wrote for a notebook, percent or light (its header names the format):
    run as the notebook runs, as the main program."""
    return bool(_JUPYTEXT_PERCENT.search(text)) or jupytext_text.is_light(text)


def is_percent_script(text: str) -> bool:
    """Whether a .py file is a notebook in the percent format, run cell by cell as the notebook
    it is: two `# %%` cell lines, or one under jupytext's header naming the format."""
    marks = len(_cell_marks(text))
    return marks >= 2 or (marks == 1 and bool(_JUPYTEXT_PERCENT.search(text)))


def is_light_notebook(text: str) -> bool:
    """Whether a .py file is a notebook jupytext wrote in its default "light" format (its header
    says `format_name: light`): run cell by cell, as its .ipynb is (jupytext_text.py)."""
    return jupytext_text.is_light(text)


def percent_cells(text: str) -> list[dict]:
    """The code cells of a percent-format .py, numbered from 1 in the order of their `# %%`
    lines, Markdown and raw cells counted too, as Jupyter numbers a notebook's cells (the text
    above the first, jupytext's header or a module's imports, is cell 0 when it holds code).
    IPython syntax that VS Code runs in such a cell (`%matplotlib inline`, `!pip install`) is
    turned into plain Python as a notebook's is, and so are the magics jupytext wrote as comments
    in a file with its header; each cell runs at the .py's own line numbers."""
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415
    starts = _cell_marks(text)
    pieces = [text[:starts[0]] if starts else text] + [
        text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    offsets = [0]
    for a, b in zip([0] + starts, starts):  # counted once over the text, not from its start
        offsets.append(offsets[-1] + text.count("\n", a, b))
    transformer = TransformerManager()
    commented = jupytext_text.magics_commented(text)
    cells = []
    for number, piece in enumerate(pieces):
        if number and _TEXT_CELL.match(piece):
            continue
        cell = _script_cell(number, piece, offsets[number], transformer, commented)
        if cell is not None:
            cells.append(cell)
    return cells


def light_cells(text: str) -> list[dict]:
    """The code cells of a light-format .py (jupytext_text.light_cells), numbered as its .ipynb
    numbers them, Markdown cells counted; the magics jupytext wrote as comments are IPython syntax
    again, as in the .ipynb. Each cell runs at the .py's own line numbers."""
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415
    lines = text.split("\n")
    transformer = TransformerManager()
    commented = jupytext_text.magics_commented(text)
    cells = []
    for number, kind, first, end, marked in jupytext_text.light_cells(text):
        if kind != "code" or first >= end:
            continue
        piece = "\n".join(lines[first:end])
        cell = _script_cell(number, piece, first, transformer, commented, marked)
        if cell is not None:
            cells.append(cell)
    return cells


def _script_cell(number: int, piece: str, offset: int, transformer: Any,
                 commented: bool, marked: bool = True) -> dict | None:
    """A .py file's cell to run (None: comments only, it runs nothing). With `commented`, the
    magics jupytext wrote as comments are uncommented first, so that they are skipped and named
    as the .ipynb's are, and `files = !ls` sets `files`."""
    original = piece if piece.endswith("\n") else piece + "\n"
    code = jupytext_text.uncomment_magics(original, marked) if commented else original
    if all(line.lstrip().startswith("#") or not line.strip() for line in code.splitlines()):
        return None
    source = code
    if not _plain_python(code):
        source = _script_cell_magic(code, transformer)
        if source is None:
            try:
                source = transformer.transform_cell(code)
            except Exception:  # malformed IPython syntax: compiling it reports the error
                source = code
        if source.count("\n") != code.count("\n"):
            source = original  # lines that would move: compiled as written in the file
    return {"cell": number, "source": source, "original": original,
            "defines": defined_names(original), "offset": offset}


def _script_cell_magic(code: str, transformer: Any) -> str | None:
    """A .py cell whose code begins with a cell magic under its `# %%` mark (IPython sees a cell
    magic only on a cell's first line, so the mark hid it: `%%time` was named as not run): with
    `%%time` or `%%capture` the magic's line becomes a comment and the body runs as the cell's
    own lines, at the .py's line numbers; any other is IPython's call on the magic, padded to the
    cell's lines. None when the code begins with no cell magic."""
    lines = code.splitlines(keepends=True)
    index = next((i for i, line in enumerate(lines) if line.strip()
                  and not CELL_MARK.match(line.strip())), None)
    if index is None or not lines[index].startswith("%%"):
        return None
    name = lines[index][2:].split(None, 1)[0] if lines[index][2:].split() else ""
    if name in BODY_CELL_MAGICS:
        return "".join(lines[:index]) + "# " + "".join(lines[index:])
    try:
        call = transformer.transform_cell("".join(lines[index:]))
    except Exception:  # malformed IPython syntax: compiling it reports the error
        return None
    call = "\n" * index + call
    return call + "\n" * max(code.count("\n") - call.count("\n"), 0)


def as_script(cells: list[dict]) -> str:
    """The cells as one readable .py text (cell markers as comments): what a person inspecting the
    scratch folder reads, and what the loader's xrange scan reads."""
    return "".join(f"# %% cell {c['cell']}\n{c['source'].rstrip()}\n\n" for c in cells)


class Shell:
    """What `get_ipython()` returns in a graded notebook: every method the transformed syntax
    calls does nothing, returns what IPython would return when there is nothing to say (None, or
    an empty list for `x = !cmd`), and notes what was skipped."""

    def __init__(self, namespace: dict | None = None) -> None:
        self.cell: int | None = None
        self.filename = "<cell>"  # the running cell's, for tracebacks in a magic's body
        self.skipped: list[dict] = []
        self.unlisted = False  # more were skipped than MAX_SKIPPED
        self.python2_rewrites: list[dict] = []  # cells read as Python 2 (worker/python2_source.py)
        # Cells Python refused to compile: they ran nothing, so they define nothing either.
        self.not_compiled: list[int] = []
        self.namespace = namespace if namespace is not None else {}
        # Where an error inside a `%run` file goes (IPython shows it and the cell runs on), and
        # the cell running it: set by run_cells.
        self.on_error: Callable[[dict, BaseException], None] | None = None
        self.current: dict | None = None
        self.run_depth = 0

    def _run_body(self, source: str, first_line: int, whole_cell: bool = False) -> None:
        """The student's Python under a timing or capturing magic, as Jupyter runs it: in the
        notebook's namespace, with tracebacks at the cell's own line numbers. A cell magic's
        body (`whole_cell`) that does not compile is a cell that defined nothing."""
        # Guarded as a cell's own statements are (missing_imports.py): a line on a module the
        # machine lacks is skipped and named by its own line, not by the magic's line 1.
        try:
            parsed = ast.parse("\n" * (first_line - 1) + source, self.filename, "exec")
        except (SyntaxError, ValueError):
            if whole_cell and self.cell is not None:
                self.not_compiled.append(self.cell)
            raise
        tree = missing_imports.guard(parsed)
        run_code(compile(tree, self.filename, "exec", flags=TOP_LEVEL_AWAIT), self.namespace)

    def _skip(self, what: str, magic: str | None = None, kernel_stop: bool = False) -> None:
        what = " ".join(what.split())
        entry = {"cell": self.cell, "what": what[:80] + ("..." if len(what) > 80 else ""),
                 "quiet": magic in QUIET_MAGICS, **({"kernel_stop": True} if kernel_stop else {})}
        if entry in self.skipped:
            return
        if len(self.skipped) >= MAX_SKIPPED:
            self.unlisted = True
            return
        self.skipped.append(entry)

    def system(self, cmd: str = "", *args, **kwargs) -> None:
        self._skip(f"!{cmd}")

    def skip_kernel_stop(self, what: str) -> None:
        """A cell that stopped the kernel there (KernelStopped): `what` is its line."""
        self._skip(what, kernel_stop=True)

    def getoutput(self, cmd: str = "", *args, **kwargs) -> list:
        self._skip(f"!{cmd}")
        return []

    def run_line_magic(self, magic_name: str = "", line: str = "", *args, **kwargs) -> None:
        # `obj?` and `obj??` arrive as the pinfo magics: help is never looked up (it could print
        # a module's whole documentation into the report).
        if magic_name in ("pinfo", "pinfo2"):
            self._skip(f"{line}{'?' if magic_name == 'pinfo' else '??'}")
        elif magic_name in BODY_LINE_MAGICS and line.strip():
            self._run_body(line.strip(), 1)
        elif magic_name == "run" and line.strip():
            self._run_file(line)
        else:
            self._skip(f"%{magic_name} {line}".rstrip(), magic_name)

    def run_cell_magic(self, magic_name: str = "", line: str = "", cell: str = "",
                       *args, **kwargs) -> None:
        if magic_name == "capture":
            self._capture(line, cell)
            return
        if magic_name in BODY_CELL_MAGICS:
            self._run_body(cell, 2, whole_cell=True)
            return
        if magic_name == "writefile" and line.split():
            # A notebook that writes a module with %%writefile and imports it later: the file goes
            # where Jupyter would put it, the working folder (the worker's own scratch folder).
            words = line.split()
            append = words[0] in ("-a", "--append")
            with open(words[-1], "a" if append else "w", encoding="utf-8") as handle:
                handle.write(cell)
            # Jupyter imports from its working folder ('' leads its sys.path).
            if os.getcwd() not in sys.path:
                sys.path.append(os.getcwd())
            importlib.invalidate_caches()
            return
        self._skip(f"%%{magic_name} {line}".rstrip(), magic_name)

    def _run_file(self, line: str) -> None:
        """`%run [-i] [-n] [-m module | file] [args]` as IPython runs it: the student's own file,
        a .py (or a notebook, run cell by cell in this namespace), runs as the main program in a
        namespace of its own (`-i`: in the notebook's), with sys.argv set to it and its folder
        leading sys.path; then what it defined joins the notebook's namespace. An error inside
        it is shown and the cell runs on, as IPython's does; a file that is not there stops the
        cell."""
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        flags, module = set(), None
        while words and words[0].startswith("-") and words[0] != "-":
            word = words.pop(0)
            if word == "-m" and words:
                module = words.pop(0)
            elif word == "--":
                break
            elif len(word) == 2 and word[1] in RUN_OPTIONS_WITH_VALUE and words:
                words.pop(0)
            else:
                flags.update(word[1:])
        if module is not None:
            spec = importlib.util.find_spec(module)
            if spec is None or not spec.origin or not spec.origin.endswith(".py"):
                raise ModuleNotFoundError(f"%run -m {module}: no module {module!r} beside the "
                                          "notebook")
            words.insert(0, spec.origin)
        if not words:
            return
        path = Path(words[0]).expanduser()
        if not path.is_file() and path.suffix != ".py" and path.with_name(path.name + ".py").is_file():
            path = path.with_name(path.name + ".py")  # `%run q1_softmax` finds q1_softmax.py
        if not path.is_file():
            raise FileNotFoundError(f"%run {words[0]}: there is no file {words[0]!r} beside the "
                                    "notebook (upload it with the notebook, in the same folder)")
        if self.run_depth >= MAX_RUN_DEPTH:
            raise RecursionError(f"%run {words[0]}: files that %run each other "
                                 f"{MAX_RUN_DEPTH} deep")
        filename = os.path.abspath(path)
        self.run_depth += 1
        try:
            if path.suffix == ".ipynb":
                self._run_notebook(path, filename)
            else:
                self._run_script(path, filename, words[1:], flags, f"%run {line.strip()}")
        finally:
            self.run_depth -= 1

    def _run_script(self, path: Path, filename: str, args: list[str], flags: set[str],
                    magic: str) -> None:
        source, _ = source_text.python_source(path.read_bytes())
        source, _, _ = python2_source.python3_source(source)
        code = missing_imports.compile_guarded(source, filename)
        if "i" in flags:
            program = self.namespace
            saved_name = program.get("__name__")
        else:
            program = {"__builtins__": __builtins__}
        program["__name__"] = path.stem if "n" in flags else "__main__"
        program["__file__"] = filename
        saved_argv, folder = sys.argv, os.path.dirname(filename)
        sys.argv = [filename, *args]
        sys.path.insert(0, folder)
        try:
            exec(code, program)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                self._report(exc, magic, source)
        except Exception as exc:  # noqa: BLE001 (IPython shows it, and the cell runs on)
            self._report(exc, magic, source)
        finally:
            sys.argv = saved_argv
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)
        if "i" in flags:
            program["__name__"] = saved_name
            return
        # The file's functions keep `program` as their globals, so it stays whole; the notebook
        # takes what it defined, keeping its own name, file and builtins.
        self.namespace.update({k: v for k, v in program.items()
                               if k not in ("__name__", "__file__", "__builtins__")})

    def _run_notebook(self, path: Path, filename: str) -> None:
        """Another notebook's code cells, run in order in this namespace; the first error stops
        it (IPython runs a notebook by %run so too)."""
        for cell in read_cells(path):
            source, _, _ = python2_source.python3_source(cell["source"])
            name = f"{filename}, cell {cell['cell']}"
            linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
            code, last = _compile_cell(source, name)
            run_code(code, self.namespace)
            if last is not None:
                _show_last(*last, self.namespace, name)

    def _report(self, exc: BaseException, magic: str, source: str) -> None:
        """An error inside a %run file, reported with the cell that ran it; the functions the
        file defines are named, so one it never reached is blamed on this error."""
        if self.on_error is not None and self.current is not None:
            self.on_error({**self.current, "run": magic[:80],
                           "defines": defined_names(source)}, exc)
        else:
            raise exc

    def _capture(self, line: str, cell: str) -> None:
        """`%%capture [--no-stdout] [--no-stderr] [--no-display] [name]` as IPython runs it: what
        the body prints is kept from the cell's output (so from the report), and with a name it
        is bound to that name, also when the body raises."""
        words = line.split()
        name = next((w for w in reversed(words) if not w.startswith("-")), None)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.ExitStack() as stack:
                if "--no-stdout" not in words:
                    stack.enter_context(contextlib.redirect_stdout(out))
                if "--no-stderr" not in words:
                    stack.enter_context(contextlib.redirect_stderr(err))
                self._run_body(cell, 2, whole_cell=True)
        finally:
            if name is not None and name.isidentifier():
                self.namespace[name] = CapturedOutput(out.getvalue(), err.getvalue())

    def magic(self, line: str = "", *args, **kwargs) -> None:  # the pre-IPython-8 spelling
        self._skip(f"%{line}", line.split(" ", 1)[0])

    def __getattr__(self, name: str) -> Callable[..., None]:
        # Anything else a notebook asks of its shell (`get_ipython().run_cell(...)`,
        # `.kernel.do_shutdown(...)`) is skipped too, not an AttributeError in a graded cell.
        if name.startswith("__"):
            raise AttributeError(name)
        shell = self

        def skipped(*args, **kwargs) -> None:
            shell._skip(f"get_ipython().{name}(...)")

        return skipped

    def __repr__(self) -> str:
        return "<the grader's stand-in for IPython: runs no magics or shell commands>"


class CapturedOutput:
    """What `%%capture out` leaves in `out`: the text the cell printed."""

    def __init__(self, stdout: str, stderr: str) -> None:
        self.stdout, self.stderr, self.outputs = stdout, stderr, []

    def show(self) -> None:
        print(self.stdout, end="")

    def __str__(self) -> str:
        return self.stdout


def display(*objs, **kwargs) -> None:
    """IPython's display(), as text: what the notebook would have shown goes into the captured
    output like a print (rich HTML or images have no place in a text report)."""
    for obj in objs:
        print(repr(obj))


def _runs_body(original: str) -> bool:
    """Whether the cell is a magic whose body runs as the cell's own lines (tracebacks in it then
    point at the lines the student wrote)."""
    first = original.lstrip().split("\n", 1)[0]
    return first.startswith("%%") and first[2:].split(" ", 1)[0] in BODY_CELL_MAGICS


def python_run(cell: dict) -> str:
    """The Python a cell runs, whose definitions count among the notebook's: a `%%time` or
    `%%capture` cell's body (its first line left blank, so lines keep their numbers), which its
    source holds only as the string passed to the magic. A function redefined under such a cell
    was graded as Jupyter runs it, but the warning that names the cells defining it missed that
    one (probe s62)."""
    original, source = str(cell.get("original", "")), str(cell.get("source", ""))
    if source != original and _runs_body(original):
        _, _, body = original.lstrip().partition("\n")
        return "\n" * (original.count("\n") - body.count("\n")) + body
    return source


# IPython runs a cell with `await`, `async for` or `async with` at its top level (autoawait) on
# an asyncio event loop it keeps for the session: `await asyncio.sleep(1)` beside a def is a cell
# that runs in Jupyter, so it must not be a SyntaxError here.
TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_CO_COROUTINE = 0x0080  # inspect.CO_COROUTINE, without importing inspect into every worker
_event_loop = None


def run_code(code, namespace: dict) -> object:
    """Run a cell's compiled code (or evaluate its last expression) in `namespace`, as IPython
    does: one with a top-level await runs to its end on the notebook's one event loop."""
    if not code.co_flags & _CO_COROUTINE:
        return eval(code, namespace)  # exec-mode code evaluates to None, as exec() gives
    global _event_loop
    import asyncio  # only a notebook that awaits pays for it
    if _event_loop is None or _event_loop.is_closed():
        _event_loop = asyncio.new_event_loop()
    return _event_loop.run_until_complete(eval(code, namespace))


def _compile_cell(source: str, filename: str) -> tuple:
    """(code of the cell, None or (code of its last expression, whether that is a bare call)):
    Jupyter shows the value of a cell's last expression unless the line ends with ';', and so
    does the report's output."""
    tree = ast.parse(source, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        node = tree.body.pop()
        last = (compile(ast.Expression(node.value), filename, "eval", flags=TOP_LEVEL_AWAIT),
                missing_imports.is_bare_call(node))
    return compile(missing_imports.guard(tree), filename, "exec", flags=TOP_LEVEL_AWAIT), last


class KernelStopped(BaseException):
    """A cell stopped Jupyter's kernel: os._exit, os.abort, or a signal that ends a process sent
    to the kernel itself (Colab's way to restart the runtime after a `!pip install`,
    `os.kill(os.getpid(), 9)`). It ended the worker, and a finished notebook scored 0 (probe
    s56). Raised in its place while the cells run, whatever name os goes by; the cell stops there,
    as the kernel would, and the cells after it run, as after a restart. A BaseException: no
    `except Exception:` of the cell's goes on past it."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


# Signals whose default action neither ends nor stops a process: sent to the kernel itself,
# they change nothing (any other, with no handler of the notebook's, ends or freezes it).
_HARMLESS = {0} | {getattr(signal, name) for name in ("SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH")
                   if hasattr(signal, name)}
# The pid of the process whose cells are running (the kernel), while they run; None otherwise:
# the replacements below then do what the originals do, wherever the notebook bound them (`from
# os import _exit` keeps the replacement for a graded call).
_kernel: list[int | None] = [None]


def _ends_the_kernel(sig: int) -> bool:
    if sig in (getattr(signal, "SIGKILL", -1), getattr(signal, "SIGSTOP", -1)):
        return True
    try:
        return sig not in _HARMLESS and signal.getsignal(sig) in (signal.SIG_DFL, None)
    except (ValueError, TypeError):
        return False


def _in_the_kernel() -> bool:
    return _kernel[0] is not None and os.getpid() == _kernel[0]


def _replacements(real: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Stand-ins for os's (and posix's) _exit, abort, kill and killpg, and signal.raise_signal:
    in the kernel, while its cells run, each that would end it raises KernelStopped."""
    def _exit(status: int = 0, *args: Any, **kwargs: Any) -> None:
        if _in_the_kernel():
            raise KernelStopped(f"os._exit({status!r})")
        real["_exit"](status, *args, **kwargs)

    def abort() -> None:
        if _in_the_kernel():
            raise KernelStopped("os.abort()")
        real["abort"]()

    def kill(pid: int, sig: int) -> None:
        if _in_the_kernel() and pid in (os.getpid(), 0) and _ends_the_kernel(sig):
            raise KernelStopped(f"os.kill(os.getpid(), {int(sig)})")
        real["kill"](pid, sig)

    def killpg(group: int, sig: int) -> None:
        if _in_the_kernel() and group in (0, os.getpgrp()) and _ends_the_kernel(sig):
            raise KernelStopped(f"os.killpg(os.getpgrp(), {int(sig)})")
        real["killpg"](group, sig)

    def raise_signal(sig: int) -> None:
        if _in_the_kernel() and _ends_the_kernel(sig):
            raise KernelStopped(f"signal.raise_signal({int(sig)})")
        real["raise_signal"](sig)

    made = {"_exit": _exit, "abort": abort, "kill": kill, "killpg": killpg,
            "raise_signal": raise_signal}
    return {name: made[name] for name in real}


@contextlib.contextmanager
def kernel_stops_raised() -> Iterator[None]:
    """While the cells run: whatever would end this very process (os._exit, os.abort, a signal
    that ends it sent to itself by os.kill, os.killpg or signal.raise_signal) raises
    KernelStopped instead; anything else goes through. posix's are replaced too: os is made from
    it (`importlib.reload(os)` binds them again), and a notebook may call them by that name."""
    try:
        import posix  # noqa: PLC0415 (the module os is made from, on POSIX systems)
    except ImportError:
        posix = None
    places = [(module, name) for module, names in ((os, ("_exit", "abort", "kill", "killpg")),
                                                   (posix, ("_exit", "abort", "kill", "killpg")),
                                                   (signal, ("raise_signal",)))
              if module is not None for name in names if hasattr(module, name)]
    saved = {(module, name): getattr(module, name) for module, name in places}
    stand_ins = _replacements({name: fn for (_, name), fn in saved.items()})
    for module, name in places:
        setattr(module, name, stand_ins[name])
    _kernel[0] = os.getpid()
    try:
        yield
    finally:
        _kernel[0] = None
        for (module, name), fn in saved.items():
            setattr(module, name, fn)


def _where(exc: BaseException, filename: str) -> str | None:
    """The line of the cell `filename` that led to `exc` (its outermost frame there)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = linecache.getline(filename, tb.tb_lineno).strip()
            return line or None
        tb = tb.tb_next
    return None


def _show_last(code, bare_call: bool, namespace: dict, filename: str) -> None:
    """Evaluate a cell's last expression and show its value; a last line like `plt.show()` that
    needed a missing module is skipped and noted, as any top-level statement is
    (missing_imports.py)."""
    try:
        value = run_code(code, namespace)
    except missing_imports.StandInError as exc:
        # Skipped as any top-level statement the stand-in stops is (missing_imports.py).
        before = len(missing_imports.skipped_calls)
        missing_imports.missing_call(exc, filename)
        if not bare_call and len(missing_imports.skipped_calls) > before:
            missing_imports.skipped_calls[-1]["kind"] = "statement"
        return
    if value is not None:
        display(value)


def run_cells(cells: list[dict], namespace: dict, filename_of: Callable[[int], str],
              on_cell: Callable[[dict], None], on_error: Callable[[dict, BaseException], None],
              budget: Budget | None = None) -> Shell:
    """Run each cell in `namespace` in order. Before a cell, `on_cell` hears which one (so a
    deadline can name it); a cell that raises goes to `on_error` and the next cell runs.

    Each cell is compiled under its own file name (`filename_of(number)`, "hw.ipynb, cell 7")
    with its source in linecache, so every traceback, at load or in a graded call later, says
    which cell and which line.
    """
    shell = Shell(namespace)
    shell.on_error = on_error
    namespace["get_ipython"] = lambda: shell
    namespace["display"] = display
    with kernel_stops_raised():
        _run_each(cells, namespace, filename_of, on_cell, on_error, budget, shell)
    shell.cell = None
    return shell


def _run_each(cells: list[dict], namespace: dict, filename_of: Callable[[int], str],
              on_cell: Callable[[dict], None], on_error: Callable[[dict, BaseException], None],
              budget: Budget | None, shell: Shell) -> None:
    for index, cell in enumerate(cells):
        shell.cell, shell.current = cell["cell"], cell
        filename = shell.filename = filename_of(cell["cell"])
        lines = cell["original"].splitlines(keepends=True)
        if cell["original"].count("\n") != cell["source"].count("\n") and \
                not _runs_body(cell["original"]):
            lines = cell["source"].splitlines(keepends=True)  # a cell magic: lines moved
        offset = cell.get("offset")
        if offset is None:
            linecache.cache[filename] = (len(cell["source"]), None, lines, filename)
        else:  # a script export's cell: its lines are the .py file's own (export_cells)
            linecache.cache.pop(filename, None)
        info = {"cell": cell["cell"], "of": cells[-1]["cell"], "first_line": first_code_line(lines)}
        on_cell(info)
        try:
            source, forms, tabs = python2_source.python3_source(cell["source"])
            if forms or tabs:
                shell.python2_rewrites.append({"cell": cell["cell"], "forms": forms, "tabs": tabs})
            try:
                code, last = _compile_cell("\n" * (offset or 0) + source, filename)
            except (SyntaxError, ValueError):  # ValueError: a NUL byte, before Python 3.12
                shell.not_compiled.append(cell["cell"])
                raise
            with budget.running("cell", len(cells) - index,
                                lambda info=info: on_cell({**info, "interrupted": True})) \
                    if budget else contextlib.nullcontext():
                run_code(code, namespace)
                if last is not None:
                    _show_last(*last, namespace, filename)
        except KernelStopped as stop:
            shell.skip_kernel_stop(_where(stop, filename) or stop.what)
        except BaseException as exc:  # SystemExit or KeyboardInterrupt in a cell stops that cell only
            on_error(cell, exc)
