"""The grader's side of the trust boundary: start a worker, send it calls, enforce deadlines.

The grader never imports student code. It sends plain data to a worker process (worker/main.py),
waits for the reply with a deadline of its own, and kills the worker's whole process group when the
deadline passes; the next check gets a fresh worker. Everything that comes back is decoded by
`wire` into numbers, strings and arrays, so nothing student code built can reach a verdict.
"""
from __future__ import annotations

import collections
import json
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from grader import containment, cpu_wait, isolation, observed, python2_habits, reply_shapes
from grader import stopped_worker
from grader import (archive, leftovers, notebook_kind, notebook_outputs, scratch_dirs, scratch_fs,
                    spare_worker, uploads)
from grader.worker import archive_names, wire

# How long a worker told to quit has to end by itself before it is killed: it ends at once
# (worker/main.py), unless it is still busy answering what was sent ahead.
QUIT_SECONDS = 0.2
# A deadline stretches by the time the worker waited for a CPU, up to this many times its length
# (an endless loop on a machine that busy still ends).
STARVED_STRETCH = 10.0
# The worker's own start, before the submission's import begins: 0.15 s of CPU here, a second or
# more on a cold disk. Not the student's time; a deadline against a worker that never starts.
WORKER_START_SECONDS = 30.0
# How many .py files of a multi-file upload an import deadline may leave out, one new worker
# each (Submission._leave_out): a hang costs what a raise costs, the file's functions and those
# of the files importing it. At most this many more import deadlines; then the upload as now.
MAX_HUNG_FILES = 2
# What the reply reader holds read ahead of the checks, in blob bytes (always at least one
# frame): the worker answers the runs sent ahead as fast as it can, and a submission that answers
# every call with 240 MB took the grader itself, not the memory-capped worker, to 6.6 GB. Past
# this the reader stops reading and the worker waits on the pipe.
READ_AHEAD_BYTES = 64 * 2**20
# The least a call is given, whatever is left of its check's budget.
MIN_CALL_SECONDS = 0.1
# What each signal means for a worker, as a student reads it. Signals the worker sends itself
# (a crash in C code) "crash" it; the others come from outside it: the kernel, a limit, a person.
SIGNAL_NAMES = {
    getattr(signal, "SIGSEGV", -1): "crashed with a segmentation fault (SIGSEGV)",
    getattr(signal, "SIGBUS", -1): "crashed with a bus error (SIGBUS)",
    getattr(signal, "SIGABRT", -1): "crashed with an abort (SIGABRT)",
    getattr(signal, "SIGFPE", -1): "crashed with a floating-point exception (SIGFPE)",
    getattr(signal, "SIGILL", -1): "crashed with an illegal instruction (SIGILL)",
    getattr(signal, "SIGKILL", -1): ("was killed by SIGKILL (signal 9): out of memory, or stopped "
                                     "from outside"),
    getattr(signal, "SIGXCPU", -1): "was stopped by SIGXCPU: it used up its CPU-time limit",
    getattr(signal, "SIGXFSZ", -1): "was stopped by SIGXFSZ: it wrote a file over the size limit",
    getattr(signal, "SIGTERM", -1): ("was stopped by SIGTERM: sent by your code (os.kill, "
                                     "os.killpg) or from outside"),
}


@dataclass(frozen=True)
class Limits:
    """Deadlines (enforced by the grader) and resource limits (applied inside the worker)."""

    import_seconds: float = 10.0
    call_seconds: float = 2.0
    check_seconds: float = 5.0
    submission_seconds: float = 300.0
    cpu_seconds: int = 600
    address_space: int = 4 * 2**30
    file_size: int = 64 * 2**20
    processes: int = 256
    open_files: int = 256
    output_chars: int = 64 * 1024


def _one_line_name(name: Any) -> str:
    """An exception's class name as one line: type() makes a class of any name, and a name that
    held a newline printed a line of its own, outside the report's gutter ("total 100 / 100")."""
    text = str(name)[:200]
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text) or "Exception"


def _names_on_one_line(load: dict) -> dict:
    """The load report with each error's exception class name on one line (_one_line_name)."""
    for error in load.get("errors", []):
        error["type"] = _one_line_name(error["type"])
    return load


# Of several names equally near a missing function, how many a message spells out.
NEAR_NAMES_SHOWN = 4


def near_name_text(function: str, near: list[str], count: int = 0) -> str:
    """What a missing function's message says of the submission's functions named close to it
    (the worker's `near`, then its `near_also`; `count` of them in all, when it carried fewer),
    or "". Several equally near are all named, or counted: naming one of
    negSamplingCostAndGradient01 to 09 chose for the student (probe s60)."""
    if not near:
        return ""
    count = max(count, len(near))
    if count > 1:
        shown = near[:NEAR_NAMES_SHOWN]
        rest = count - len(shown)
        names = (", ".join(shown[:-1]) + f" and {shown[-1]}" if not rest
                 else ", ".join(shown) + f" and {rest} more")
        return (f" Your submission defines {count} functions named close to {function}: "
                f"{names}. The grader calls {function} by that exact name: rename the one you "
                f"mean, or add `{function} = <that name>`.")
    name = near[0]
    if name.replace("_", "").lower() == function.replace("_", "").lower():
        return (f" Your submission defines {name}: the grader calls {function}, and "
                f"names must match exactly. Rename it, or add `{function} = {name}`.")
    return (f" Your submission defines {name}: did you mean {function}? The grader "
            "calls it by that exact name.")


class StudentError(Exception):
    """The student's function raised an exception (an Exception, so hypothesis may shrink it)."""

    def __init__(self, function: str, error: dict, call: tuple = (),
                 provided: dict[str, str] | None = None, cells: dict | None = None,
                 star_imports: list | None = None) -> None:
        self.function = function
        # The notebook cells that define the function, when more than one does (the load
        # report's): {"notebook", "cells", "graded"}.
        self.cells = cells if isinstance(cells, dict) else {}
        self.type_name = _one_line_name(error.get("type", "Exception"))
        self.text = str(error.get("message", ""))
        self.frames = list(error.get("traceback", []))
        self.near_spelling = error.get("near_spelling") is True
        # Arrays the raising line read an axis of beyond their last (worker/missing_axes.py).
        self.axes = [a for a in error.get("axes") or [] if isinstance(a, dict)]
        self.call = call
        self.provided = provided or {}  # the pack's starter functions: {name: file}
        # The load report's `from M import *` of files the upload lacks (worker/loader.py).
        self.star_imports = [s for s in star_imports or [] if isinstance(s, dict)]
        # What a pack's check measured of the error, as sentences for its first line: why it
        # raised, where the exception alone cannot say (a function written for a column meets
        # the vector the assignment passes: numpy's "shapes not aligned", one line later).
        self.advice = ""
        super().__init__(f"{function} raised {self.type_name}: {self.text}")

    def _starter_code_note(self) -> str:
        """For a NameError of a function the starter code provides (getNegativeSamples): where
        it is, since the student left it out of the upload."""
        found = re.fullmatch(r"name '(\w+)' is not defined", self.text)
        if self.type_name != "NameError" or not found or found[1] not in self.provided:
            return ""
        name = found[1]
        return (f" {name} is part of the assignment's starter code ({self.provided[name]}), not "
                "something you write: keep it in the file you upload (copy it from the "
                "starter code).")

    def _star_import_note(self) -> str:
        """For a NameError in a file (or notebook) whose `from M import *` imported nothing, M.py
        not being in the upload: that import, the last of that file's, is the likely cause."""
        if self.type_name != "NameError" or not self.frames or self.near_spelling:
            return ""  # a near spelling of a name the code has is its typo (worker: a_typo)
        file = str(self.frames[-1].get("file", "")).split(", cell ")[0]
        star = next((s for s in reversed(self.star_imports)
                     if str(s.get("file", "")).split(", cell ")[0] == file), None)
        if star is None:
            return ""
        return (f" {star['file']}, line {star['line']} runs `from {star['module']} import *`, "
                f"but {star['module']}.py is not in your upload, so nothing was imported from "
                f"it: upload {star['module']}.py, or define what {self.function} uses from it.")

    def _missing_axis_note(self) -> str:
        """For "tuple index out of range" at `predicted.shape[1]` (or "not enough values to
        unpack" at `m, n = x.shape`): which array has no such axis, and how many it has, which
        the bare error names neither of (probe s61: a negSampling written for a (1, D) row got
        0/35 and only "tuple index out of range").
        Its shape is said by its axes, (N,), not its lengths: the report folds the checks whose
        first lines are the same, and each call passes its own lengths (the call shows them)."""
        if not self.axes or not self.frames:
            return ""
        inner = self.frames[-1]
        notes = []
        for axis in self.axes:
            name, shape, index = str(axis.get("name")), axis.get("shape"), axis.get("index")
            if not isinstance(shape, list) or not isinstance(index, int):
                continue
            of = (f", a parameter of {inner.get('function')}," if axis.get("parameter") is True
                  and inner.get("function") not in (None, "<module>") else "")
            kind, axes = _ARRAY_KINDS.get(len(shape), (f"an array of {len(shape)} axes", ""))
            unpacked = axis.get("unpacked")
            reads = (f"unpacks {name}.shape into {unpacked} names, one per axis, but {name} has "
                     f"{len(shape)} ax{'is' if len(shape) == 1 else 'es'}"
                     if isinstance(unpacked, int) else
                     f"reads {name}.shape[{index}], {_axis_name(index)}, which it does not have")
            notes.append(f" {name}{of} is {kind} there{f' (shape {axes})' if axes else ''}, "
                         f"and line {inner.get('line')} {reads}."
                         + _row_advice(name, len(shape), index, bool(of)))
        return "".join(notes)

    @property
    def not_implemented(self) -> bool:
        return self.type_name == "NotImplementedError"

    def describe(self) -> str:
        if self.not_implemented:
            inner = self.frames[-1] if self.frames else {}
            if inner.get("function") not in (None, self.function, "<module>"):
                # A finished function calling an unfinished one: name the one to finish.
                return (f"{self.function} calls {inner['function']}, which is not implemented "
                        f"yet (it raises NotImplementedError at {inner['file']}, line "
                        f"{inner['line']}).")
            earlier = [n for n in self.cells.get("cells", []) if isinstance(n, int)
                       and n != self.cells.get("graded")]
            if inner.get("function") == self.function and inner.get("line") and earlier \
                    and str(inner.get("file", "")).endswith(f", cell {self.cells.get('graded')}"):
                # The starter's definition in a cell after the student's own: what runs last is
                # the starter's whole def, not a line left in the student's.
                graded = self.cells.get("graded")
                return (f"{self.function} is not implemented yet (it raises NotImplementedError "
                        f"at {inner['file']}, line {inner['line']}). Cell {graded} defines "
                        f"{self.function} again after cell {earlier[-1]}, and, run top to bottom, "
                        f"its definition is the one that stays: if your code is the one in cell "
                        f"{earlier[-1]}, delete the definition in cell {graded}.")
            if inner.get("function") == self.function and inner.get("line"):
                # A body written above the starter's `raise NotImplementedError` that was left
                # in still raises: the line is what such a student needs.
                return (f"{self.function} is not implemented yet (it raises NotImplementedError "
                        f"at {inner['file']}, line {inner['line']}). If your code for it is "
                        "already written, delete that line: the starter's placeholder left in "
                        "runs after your code.")
            return f"{self.function} is not implemented yet (it raises NotImplementedError)."
        if self.type_name == "ResultTooLarge":  # not raised: the worker refused the answer
            return f"{self.function} {self.text}."
        # The advice stays on the first line: the summary of a report shows that line alone.
        # The exception's own further lines are marked as the student's, as printed output is:
        # unmarked, a message could pass for the report's own lines ("total 100 / 100").
        text = "\n  | ".join(self.text.splitlines()) if "\n" in self.text else self.text
        first = python2_habits.with_advice(
            f"{self.function} raised {self.type_name}: {text}".rstrip(": "),
            self.type_name, self.text, str(self.frames[-1].get("code", "")) if self.frames else "")
        note = ((f" {self.advice}" if self.advice else "") or self._starter_code_note()
                or self._star_import_note() or self._missing_axis_note())
        lines = [f"{first.rstrip('.')}.{note}" if note else first]
        for frame in self.frames[-3:]:
            lines.append(f"  at {frame['file']}, line {frame['line']}, in {frame['function']}: "
                         f"{frame['code']}")
        return "\n".join(lines)


# An array by its number of axes: what it is called, and its shape by axes (the lengths vary
# from call to call).
_ARRAY_KINDS = {0: ("a 0-d array (one number, no axes)", "()"), 1: ("a vector (1-D)", "(N,)"),
                2: ("a matrix (2-D)", "(M, N)")}


def _axis_name(index: int) -> str:
    ordinals = {0: "its first axis", 1: "its second axis", 2: "its third axis"}
    return ordinals.get(index, f"its axis {index}")


def _row_advice(name: str, ndim: int, index: int, parameter: bool) -> str:
    """A vector read as a row: how to have the row, or the length, whatever was passed."""
    if ndim != 1 or index != 1:
        return ""
    passed = (f"The grader passes {name} as the assignment describes it; if "
              if parameter else "If ")
    return (f" {passed}your code needs a (1, N) row, make one with {name}.reshape(1, -1), and "
            f"read its length with {name}.shape[-1].")


class StudentUnavailable(BaseException):
    """The function could not answer at all. A BaseException on purpose: hypothesis must not
    retry or shrink (each retry would cost another deadline), it must stop the check."""

    status = "error"

    def __init__(self, message: str, call: tuple | None = None) -> None:
        self.message = message
        self.call = call  # the arguments of the call that did not answer, when there was one
        super().__init__(message)


class StudentNotImplemented(StudentUnavailable):
    """Raised NotImplementedError: every input would, so there is nothing to shrink."""

    status = "error"


class StudentTimeout(StudentUnavailable):
    status = "timeout"
    budget = False  # True: the check's (or submission's) time budget ran out, not one call


class StudentCrash(StudentUnavailable):
    status = "error"


class StudentMissing(StudentUnavailable):
    status = "failed"


class ReplayDiverged(BaseException):
    """A replayed check asked for something its recipe did not hold: run it live instead.
    A BaseException so that no check's `except Exception` can swallow it."""


# What worker/reseeding.py reports a call reseeded; anything else a reply says is not the worker's.
RESEEDABLE = ("random.seed", "np.random.seed")


@dataclass(frozen=True)
class Request:
    """One call request exactly as it crosses the wire; `key` compares two requests byte for byte
    (json keeps -0.0 apart from 0.0, which == does not)."""

    function: str
    node: Any
    blobs: tuple[bytes, ...]
    echo_args: bool
    count_lines: bool = False  # worker/lines_run.py: how many lines of the submission ran
    _key: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _entry: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> tuple:
        # Made when first compared: only a replay compares requests, and a live grade's
        # requests (some 500 a grade, 11 ms of its CPU to serialise) mostly never are.
        if self._key is None:
            object.__setattr__(self, "_key", (self.function, json.dumps(self.node, sort_keys=True),
                                              self.blobs, self.echo_args, self.count_lines))
        return self._key  # type: ignore[return-value]

    @property
    def entry_json(self) -> str:
        """This request as a "run" frame lists it, up to its blob range: `{..."echo_args":x`."""
        if self._entry is None:
            whole = wire.header_json({"function": self.function, "calls": self.node,
                                      "echo_args": self.echo_args,
                                      **({"count_lines": True} if self.count_lines else {})})
            object.__setattr__(self, "_entry", whole[:-1])
        return self._entry  # type: ignore[return-value]


def run_frame(check_id: str, requests: Sequence[Request]) -> bytes:
    """The "run" frame of a check (worker/main.py): every request, each with its blobs' range.
    Each request's part of the header is serialised once (Request.entry_json): a warm grader
    sends the same recipes' requests to every submission (about 7 ms of its CPU a grade)."""
    entries, blobs = [], []
    for request in requests:
        entries.append(f'{request.entry_json},"blob_range":[{len(blobs)},{len(request.blobs)}]}}')
        blobs.extend(request.blobs)
    head = f'{{"op":"run","check":{wire.header_json(check_id)},"requests":[{",".join(entries)}]}}'
    return wire.framed(head.encode("utf-8"), blobs)


@dataclass(frozen=True)
class LineRun:
    """A line of the submission's own code and how often one call ran it (count_lines)."""

    file: str
    line: int
    runs: int
    code: str


@dataclass
class CallResult:
    value: Any
    output: str = ""
    draws: list[int] = field(default_factory=list)
    args_after: tuple = ()
    # Asked with count_lines only (None otherwise): the lines of the submission's own code the
    # call ran, and the busiest of them, most run first.
    lines_run: int | None = None
    busiest: tuple[LineRun, ...] = ()


class _Process:
    """One worker process and the thread that reads its replies."""

    def __init__(self, bounds: dict, scratch: Path, mode: str) -> None:
        """Start a worker in `scratch` under `bounds` (the "limits" of its start request). It
        loads Python and numpy, then waits for `assign` to name its submission."""
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP")
               or k.startswith("OPENBLAS_")}
        env.update({"HOME": str(scratch), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "PYTHONIOENCODING": "utf-8"})
        self.launch = isolation.plan(mode, scratch, env)
        self.mode = mode
        self._worker_pid: int | None = None  # the worker's own process, once seen (stopped_itself)
        self.fork_pid: int | None = None  # the check's fork, by the pid it said it has ("begun")
        self.launched_at = time.monotonic()
        # When the worker said the submission's import begins, and its wait for a CPU until then
        # (_stamps; _await_ready).
        self.importing_at: float | None = None
        self.waited_before_importing = 0.0
        # When its first "ready" arrived, and its wait for a CPU by then (the report's timings).
        self.ready_at: float | None = None
        self.waited_when_ready = 0.0
        self.scratch = scratch
        # Bytes and files in the scratch folder bounded in total (each file alone is capped by
        # RLIMIT_FSIZE); the worker's stderr lands there too, bounded with the rest.
        self.scratch_bounded = scratch_fs.bound(
            scratch, self.launch.lease.uid if self.launch.lease else None)
        if not self.scratch_bounded:
            self.launch.notes.append("scratch folder bounded in bytes and files "
                                     f"({scratch_fs.problem() or 'the tmpfs mount failed'})")
        self.stderr_path = scratch / "worker-stderr.txt"
        kwargs: dict = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # its own process group, killed as one
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        # Before the worker exists: it joins its cgroup between fork and exec, so nothing it
        # starts is ever outside it.
        self.containment = containment.Containment(memory=bounds.get("address_space"),
                                                   processes=bounds.get("processes"))
        for note in self.containment.notes:
            self.launch.notes.append(note)
        try:
            argv, preexec = self.containment.launch(self.launch.argv, self.launch.preexec)
            with open(self.stderr_path, "wb") as err:
                self.popen = subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                    cwd=scratch, env=env, preexec_fn=preexec,
                    pass_fds=self.launch.pass_fds, **kwargs)
        except BaseException:
            self.containment.release()
            self.launch.cleanup()
            if self.scratch_bounded:
                scratch_fs.release(self.scratch)
            raise
        self.launch.started()
        self.containment.started(self.popen.pid)
        self.exited = False  # ended by itself when asked to quit (and already collected)
        self.replies: queue.Queue = queue.Queue()
        self._held = 0  # blob bytes in `replies` (READ_AHEAD_BYTES)
        self._room = threading.Condition()
        self._stopped = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # Requests are written by a thread of their own, in the order sent: the grader can send
        # the runs of checks still to come (Submission.send_ahead) and go on with its own work
        # while the worker reads them. It writes to a copy of the pipe's descriptor that only it
        # closes, so a kill never has it write to a descriptor number reused meanwhile.
        self._outbox: queue.Queue = queue.Queue()
        self._writer = threading.Thread(target=self._write, args=(os.dup(self.popen.stdin.fileno()),),
                                        daemon=True)
        self._writer.start()

    def assign(self, config: dict) -> None:
        """Send the start request: the submission (already in the scratch folder) to import."""
        seen = config["submission"].replace(str(self.scratch), self.launch.scratch_as_seen, 1)
        # Also as the bytes of the name: the worker decodes names as UTF-8 (-X utf8), this
        # process as its locale does, and under a Latin-1 locale `é.py` decoded here and encoded
        # there named no file (the upload got 0).
        self.send({**config, "submission": seen, "submission_fs": os.fsencode(seen).hex()})

    def _read(self) -> None:
        stream = self.popen.stdout
        try:
            while True:
                header, blobs = wire.read_frame(stream)
                if self.importing_at is None and header.get("event") == "importing":
                    self.importing_at, self.waited_before_importing = self._stamps(header)
                elif self.ready_at is None and header.get("event") == "ready":
                    self.ready_at, self.waited_when_ready = self._stamps(header)
                size = sum(len(b) for b in blobs)
                with self._room:
                    while self._held and self._held + size > READ_AHEAD_BYTES:
                        if self._stopped:
                            return  # nobody will take it: the worker was killed
                        self._room.wait(0.1)
                    self._held += size
                self.replies.put(("frame", header, blobs))
        except EOFError:
            self.replies.put(("eof", None, None))
        except (wire.WireError, OSError, ValueError) as exc:
            self.replies.put(("garbled", str(exc), None))

    def _stamps(self, header: dict) -> tuple[float, float]:
        """When the worker wrote this frame and how long it had waited for a CPU by then, by its
        own clocks. Taken when the grader's reader thread read the frame instead, a reader that
        ran late on a loaded machine moved the import's start later (an import of 0.3 CPU-s
        measured 0.25 s, and its deadline gained as much), and a wait read late counted the
        import's own waits as the worker's start. Each is bounded by what the grader saw (a
        frame forged by the submission, a clock not shared: wall time since the launch), and
        where the worker gave none, read now."""
        now = time.monotonic()
        at, waited = header.get("at"), header.get("waited")
        if type(at) is not float or not math.isfinite(at):
            at = now
        at = min(max(at, self.launched_at), now)
        if type(waited) is not float or not math.isfinite(waited):
            waited = cpu_wait.waited(self.popen.pid, self.launched_at)
        return at, min(max(waited, 0.0), at - self.launched_at)

    def _write(self, fd: int) -> None:
        try:
            while True:
                data = self._outbox.get()
                if data is None:
                    return
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
        except OSError:
            pass  # the reply reader reports the death
        finally:
            os.close(fd)

    def send(self, header: dict, blobs: list[bytes] | None = None) -> None:
        """Queue a request for the worker; requests reach it in the order sent."""
        self._outbox.put(wire.message(header, blobs))

    def send_framed(self, frame: bytes) -> None:
        """Queue a frame made already (wire.framed)."""
        self._outbox.put(frame)

    def receive(self, timeout: float, *, started: float | None = None,
                counted_from: float | None = None,
                waited_before: float = 0.0,
                no_later_than: float = math.inf) -> tuple[str, Any, Any]:
        """The next reply, ("eof", ...) once the worker is dead and said all it had to say,
        ("stopped", ...) as soon as it or its check's fork is seen stopped by a signal, or
        ("timeout", ...) `timeout` seconds after `started` (default: now). The worker's death
        counts, not the pipe's end of file: a process the submission detached may hold the pipe
        open for as long as it lives. A deadline that passes is stretched by the time the
        worker's processes started since `counted_from` (default: `started`) spent waiting for a
        CPU (grader/cpu_wait.py), less `waited_before` (their wait before `started`), to at most
        STARVED_STRETCH times its length: the machine's load is not the submission's time.
        Never past `no_later_than` (the submission's deadline), stretched or not."""
        now = time.monotonic()
        started = now if started is None else started
        counted_from = started if counted_from is None else counted_from
        timeout = max(timeout, 0.001)
        deadline = min(started + timeout, no_later_than)
        longest = min(started + STARVED_STRETCH * timeout, no_later_than)
        dead_since: float | None = None
        look_at = now + stopped_worker.POLL_SECONDS  # whether it stopped itself (SIGSTOP)
        while True:
            try:
                reply = self.replies.get(timeout=min(0.05, max(deadline - time.monotonic(), 0.001)))
            except queue.Empty:
                pass
            else:
                if reply[0] == "frame":
                    with self._room:
                        self._held -= sum(len(b) for b in reply[2])
                        self._room.notify()
                return reply
            now = time.monotonic()
            if self.popen.poll() is not None:
                # Bytes the worker wrote before it died are already in the pipe: a moment to read.
                dead_since = dead_since or now
                if now - dead_since > 0.2:
                    return ("eof", None, None)
            elif now >= look_at:
                look_at = now + stopped_worker.POLL_SECONDS
                if self.stopped_itself():
                    return ("stopped", None, None)
            if now >= deadline:
                waited = cpu_wait.waited(self.popen.pid, counted_from) - waited_before
                stretched = min(started + timeout + max(waited, 0.0), longest)
                if stretched <= now + 0.01:
                    return ("timeout", None, None)
                deadline = stretched

    def stopped_itself(self, fork_too: bool = True) -> bool:
        """Whether the worker, or (`fork_too`) its check's fork while a check runs, is stopped
        by a signal (grader/stopped_worker.py)."""
        if self._worker_pid is None:  # found once it runs its script (in the sandbox, below bwrap)
            argv = self.launch.argv  # [bwrap ... --] [setpriv ... --] python FLAGS main.py
            start = len(argv) - 1 - argv[::-1].index(sys.executable) \
                if sys.executable in argv else 0
            self._worker_pid = stopped_worker.worker_pid(self.popen.pid, argv[start:])
        return self._worker_pid is not None and stopped_worker.stopped(
            self._worker_pid, self.fork_pid if fork_too else None)

    def quit(self, seconds: float) -> None:
        """Ask the worker to end and give it `seconds` to do so. One that ends by itself has
        nothing left for `kill` to wait out, and is collected by its parent, so its CPU time
        counts where it belongs (a killed sandbox's processes are never waited for)."""
        self.send({"op": "quit"})
        try:
            self.popen.wait(timeout=seconds)
            self.exited = True
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, wherever that went. Never blocks on a
        pipe some surviving process holds."""
        if os.name == "posix":
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
            self.containment.kill(exited=self.exited)
        elif self.popen.poll() is None:
            self.popen.kill()
        self._outbox.put(None)  # the writer ends once what it is writing is taken or refused
        with self._room:
            self._stopped = True  # and the reader, waiting for room no one will make
            self._room.notify()
        # Whatever escaped all of the above (a daemon with no cgroup to find it) runs as the
        # leased uid: killed by uid before anything waits.
        self.launch.cleanup()
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.containment.release()
        if self.scratch_bounded:
            scratch_fs.release(self.scratch, keep=(self.stderr_path.name,))
            self.scratch_bounded = False
        try:
            self.popen.stdin.close()
        except OSError:
            pass
        # Closing the reply pipe while the reader blocks in it would wait for the reader's lock;
        # the reader ends by itself once the last process holding the pipe is dead.
        self._reader.join(timeout=1)
        if not self._reader.is_alive():
            try:
                self.popen.stdout.close()
            except OSError:
                pass

    def death_note(self) -> str:
        try:
            code = self.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code < 0:
            return _describe_exit(-code, None)
        if self.mode == "sandbox" and code > 128 and _is_signal(code - 128):
            # bubblewrap, like a shell, reports a child killed by signal N as status 128 + N.
            return _describe_exit(code - 128, None)
        if code == 1 and _worker_traceback_in(self.stderr_path):
            # Python's own exit status for an exception nothing caught, raised in the worker's
            # code: the worker broke (`builtins.isinstance` replaced), nobody called exit.
            return _describe_exit(None, code, worker_broke=True)
        return _describe_exit(None, code)


# What a worker (or its check's fork) stopped by a signal is told: it was the code's own doing,
# since the worker runs in a session of its own that no terminal's Ctrl-Z reaches.
STOPPED = ("stopped its own process (SIGSTOP, with os.kill on the worker, its parent, or every "
           "process at once): the grader ended it at once and went on with a fresh worker")


# A frame from the worker that is not one (a header that is not JSON): the worker writes its
# headers with json.dumps, which a submission's replacement at import reached (probe s61).
GARBLED = ("sent a malformed reply (does your code replace a function of a module the grader's "
           "worker uses too, such as json.dumps, json.loads, struct.pack or os.write, or write "
           "to file descriptors it did not open itself?)")


PRINTED_A_LOT = 100_000  # characters a check's calls print before a timeout blames printing


def _budget(message: str) -> StudentTimeout:
    exc = StudentTimeout(message)
    exc.budget = True
    return exc


def _is_signal(number: int) -> bool:
    try:
        signal.Signals(number)
    except ValueError:
        return False
    return True


def _describe_exit(sig: int | None, code: int | None, worker_broke: bool = False) -> str:
    if sig:
        if sig in SIGNAL_NAMES:
            return SIGNAL_NAMES[sig]
        name = signal.Signals(sig).name if _is_signal(sig) else "a signal"
        return f"was killed by {name} (signal {sig})"
    if code == wire.LOST_PIPES_STATUS:
        return (f"could no longer reach the grader (exit status {code}: does your code close or "
                "replace file descriptors it did not open, with os.close, os.closerange or "
                "os.dup2?)")
    if code == wire.WORKER_FAILED_STATUS or worker_broke:
        return (f"broke the grader's worker (exit status {code}: does your code replace "
                "functions of Python or numpy that the worker uses too, such as random.seed or "
                "json.dumps, or use up the memory? If not, please tell your instructor)")
    return f"ended the process with exit status {code} (a call to os._exit or exit?)"


class Submission:
    """A submission behind the trust boundary, as checks see it.

    One check at a time: `begin_check` gives the check a fresh copy of the imported submission
    (a fork where the OS has one, otherwise a fresh worker per graded function).
    """

    def __init__(self, path: Path, functions: dict[str, str], *, limits: Limits = Limits(),
                 shim_xrange: bool = True, shim_numpy: bool = True,
                 use_fork: bool | None = None, isolation_mode: str = "auto",
                 layout: tuple[str, ...] = (),
                 support: Path | None = None,
                 composed: dict[str, tuple[str, ...]] | None = None,
                 provided_functions: dict[str, str] | None = None,
                 signatures: dict[str, str] | None = None) -> None:
        self.path = Path(path).resolve()
        self.provided_functions = dict(provided_functions or {})
        # The pack's statement of each graded function (`forward_prop(x, W1, W2, b1, b2) -> (z1,
        # h, z2)`): a function not found is asked for as it is called, not by its name only.
        self.signatures = dict(signatures or {})
        # Graded compositions (a training loop): no function of the submission's own, callable
        # when every function it uses is.
        self.composed = dict(composed or {})
        self.support = Path(support).resolve() if support is not None else None
        # A module the course supplies is imported from the support files, not stood in for
        # when the submission lacks it (grader/worker/loader.py).
        supplied = {p.stem for p in self.support.glob("*.py")} if self.support else set()
        self.layout = tuple(m for m in layout if m not in supplied)
        self.mode, self.why_not_sandbox = isolation.resolve_mode(isolation_mode)
        self.functions = functions
        self.limits = limits
        self.shim_xrange = shim_xrange
        self.shim_numpy = shim_numpy
        self.use_fork = hasattr(os, "fork") if use_fork is None else use_fork
        self.started_at = time.monotonic()
        self._proc: _Process | None = None
        self._scratch: scratch_dirs.Scratch | None = None
        self._proc_function: str | None = None
        self.load: dict | None = None
        self.load_failure: str | None = None
        # The .py files whose top level an import deadline stopped ({"file", "line", "code",
        # "seconds"}): every later worker leaves them out (worker/loader.py DidNotFinish).
        self.hung: list[dict] = []
        # What copying the upload could not read (its relative path, why): left out, and named.
        self.unreadable: list[tuple[str, str]] = []
        # What it left out of an upload over MAX_UPLOAD_BYTES (relative path, size): named.
        self.too_large: list[tuple[str, int]] = []
        self.worker_info: dict = {}
        self._check_active = False
        self._check_spent = 0.0
        self._check_began = time.monotonic()
        self._run_sent: dict[int, float] = {}
        self._check_function: str | None = None
        # What else the running check may call: the functions a composition uses, or those a
        # check names in @pytest.mark.uses (a derivative's check asks the cost's convention).
        self._check_also: frozenset[str] = frozenset()
        self.check_output: list[str] = []
        # The parts of check_output the worker cut (by index): said apart from the text, so a
        # line the student printed can never read as the cut (recheck probe s58).
        self.check_output_cut: set[int] = set()
        # Characters the running check's calls printed, cut or not: a timeout after a lot of
        # printing says so (printing is slow), not only "an endless loop?".
        self.check_printed = 0
        # Where the running check's last example began in check_output: a failing check shows
        # what the calls of the example it reports printed, not every example's (start_example).
        self.example_output_start: int | None = None
        # Index ranges of check_output that calls made aside printed (begin_aside).
        self.asides: list[tuple[int, int]] = []
        # The functions that answered the running check with a numpy matrix (always 2-D, and *
        # multiplies matrices): a failing check says so (grader/plugin.py).
        self.check_matrices: set[str] = set()
        # The global random generators each graded function reseeded inside a call
        # (worker/reseeding.py), by function: said once in the report, whichever checks saw it.
        self.reseeded: dict[str, list[str]] = {}
        self.starts = 0
        # The first import's wall time and, of that, its wait for a CPU (the report's timings).
        self.import_timing: dict[str, float] = {}
        self.isolation_notes: list[str] = []
        # What the running check sent (grader/replay.py keeps it when the check passes), and the
        # replies of a replayed check, answered in advance in one round trip.
        self.transcript: list[Request] = []
        self._replayed: list[tuple[Request, dict, list[bytes]]] | None = None
        self._no_replay: set[str] = set()  # functions that answered a replay too slowly
        self._launched: tuple[_Process, float] | None = None  # a worker not yet awaited
        # Runs of checks still to come, sent ahead to the worker (send_ahead) and not yet read,
        # in the order sent; and the outcomes of those read early, by check.
        self._ahead: collections.deque[tuple[str, str, list[Request]]] = collections.deque()
        self._early: dict[str, tuple[list[Request], Any]] = {}

    # ---- worker lifecycle -------------------------------------------------------------------
    def _start(self) -> None:
        self._launch()
        self._await_ready()

    def _launch(self) -> None:
        """Start a worker on the submission; `_await_ready` waits for its import."""
        self._stop()
        leftovers.sweep_once()
        # A worker started ahead of time, waiting for a submission (grader/spare_worker.py).
        spare = spare_worker.take(self._worker_kind())
        proc, self._scratch = spare if spare is not None else (None, scratch_dirs.claim())
        self.unreadable, self.too_large = [], []
        try:
            upload = copy_upload(self.path, self._scratch.path / "upload", self.unreadable,
                                 self.too_large)
        except (UploadTooLarge, OSError) as exc:
            self.load_failure = (str(exc) if isinstance(exc, UploadTooLarge) else
                                 f"your upload could not be read ({exc.strerror or exc}). "
                                 "Nothing could be graded.")
            if proc is not None:
                proc.kill()
            return
        support_names: list[str] | None = None
        if self.support is not None:
            support_names = _copy_support(self.support, self._scratch.path)
        config = {"op": "start", "submission": str(upload), "functions": self.functions,
                  # The names of the support files copied beside the upload (None: no support).
                  "layout": list(self.layout), "support": support_names,
                  "shim_xrange": self.shim_xrange, "shim_numpy": self.shim_numpy,
                  "fork": self.use_fork,
                  "output_limit": self.limits.output_chars,
                  # A notebook's cells are stopped before this deadline, not the whole import.
                  "import_seconds": self.limits.import_seconds,
                  "hung": list(self.hung),
                  "limits": self._bounds()}
        self.starts += 1
        if proc is None:
            proc = _Process(config["limits"], self._scratch.path, self.mode)
        proc.assign(config)
        self._launched = (proc, time.monotonic())

    def _bounds(self) -> dict:
        """The resource limits a worker applies to itself (its start request's "limits"); its
        cgroups are made with them before it starts."""
        return {"cpu_seconds": self.limits.cpu_seconds,
                "address_space": self.limits.address_space,
                "file_size": self.limits.file_size,
                "processes": self.limits.processes,
                "open_files": self.limits.open_files}

    def _worker_kind(self) -> tuple:
        """What a worker is started with before it knows its submission: a spare of another
        kind cannot serve this one."""
        return (self.mode, tuple(sorted(self._bounds().items())))

    def _start_spare(self) -> tuple[_Process, scratch_dirs.Scratch]:
        scratch = scratch_dirs.claim()
        try:
            return _Process(self._bounds(), scratch.path, self.mode), scratch
        except BaseException:
            scratch.remove()
            raise

    def _await_ready(self) -> None:
        """Wait for the launched worker to have imported the submission (or not)."""
        if self._launched is None:
            return
        (proc, launched), self._launched = self._launched, None
        # The import deadline counts from the worker's word that the submission's import begins:
        # its own start (the interpreter, numpy, laying out the upload) took 0.15 to over 1 s by
        # the machine and its disk cache, and counted as the student's, the same upload timed
        # out on one machine and not on another. That start has a deadline of its own, and the
        # wait for a CPU it gathered is not the import's to stretch by. Only the first such
        # word counts: the submission's code runs after it, and may write frames of its own.
        began, timeout, waited_before = launched, WORKER_START_SECONDS, 0.0
        importing = False
        # A notebook's worker announces each cell before running it: the last one heard is the
        # one that was running if the deadline passes. The deadline is for the whole import.
        cell: dict | None = None
        # A fresh worker's import, for a later check, ends with the submission's time; the
        # first import has its own deadline only (a submission's time is not less than that).
        last = self._deadline() if self.load is not None else math.inf
        try:
            while True:
                kind, header, _ = proc.receive(timeout, started=began,
                                               counted_from=proc.launched_at,
                                               waited_before=waited_before,
                                               no_later_than=last)
                if kind == "frame" and header.get("event") == "importing" and not importing:
                    importing, timeout = True, self.limits.import_seconds
                    began = proc.importing_at or time.monotonic()
                    waited_before = proc.waited_before_importing
                    continue
                if kind != "frame" or header.get("event") != "cell" or not importing:
                    break
                cell = header
        except BaseException as exc:
            # Ctrl-C, or the check's backstop (pytest-timeout), while it imports: the worker is
            # held by no one else, so it is killed here, and later checks do not wait for an
            # import that did not finish all over again.
            proc.kill()
            if not isinstance(exc, KeyboardInterrupt):
                self.load_failure = (
                    "Importing your submission had not finished when the grader stopped waiting, "
                    f"after {time.monotonic() - launched:.0f} s"
                    + (f", while {_running_cell(cell)} was running" if _running_cell(cell) else "")
                    + (". The checks still to run could not be." if self.load is not None
                       else ". Nothing could be graded."))
            raise
        if kind == "timeout" and time.monotonic() >= last:
            proc.kill()  # the check that waits for it says the submission's time is up
            return
        if kind == "timeout" and not importing:
            proc.kill()
            self.load_failure = (
                f"The grader's worker did not start within {WORKER_START_SECONDS:g} s, before "
                "your code ran (the machine is overloaded, or the grader is broken: tell your "
                "instructor). "
                + ("The checks still to run could not be." if self.load is not None
                   else "Nothing could be graded."))
            return
        if kind == "timeout" and cell is None:
            cell = _statement_heard_late(proc, self.limits.import_seconds)
        elif kind == "timeout" and not cell.get("interrupted"):
            # The worker may have told of its stop just as the deadline passed, the frame still
            # in the pipe (on a loaded machine the reader had not run yet): the message must not
            # depend on which came first.
            late = _statement_heard_late(proc, self.limits.import_seconds)
            if late is not None and late.get("interrupted") and \
                    (late.get("notebook"), late.get("cell")) == (cell.get("notebook"), cell.get("cell")):
                cell = late
        running = _running_cell(cell)
        if kind == "timeout":
            proc.kill()
            if self._leave_out(cell):
                self._launch()
                self._await_ready()
                return
            self.load_failure = (
                ("Importing your submission again, for a fresh worker, did not finish within "
                 if self.load is not None else "Importing your submission did not finish within ")
                + f"{self.limits.import_seconds:g} s"
                + (f": {running} was still running{_why_still_running(cell)}" if running else
                   " (is there an endless loop at module level, outside any function?)")
                + _left_out_before(self.hung)
                + (". The checks still to run could not be." if self.load is not None
                   else ". Nothing could be graded."))
            return
        if kind == "frame" and header.get("event") == "ready" and self.load is None \
                and reply_shapes.load_report(header.get("load", {})) is None:
            kind = "malformed"  # a frame written by the submission, or a worker out of step
        if kind != "frame" or header.get("event") != "ready":
            note = (proc.death_note() if kind == "eof" else STOPPED if kind == "stopped" else
                    "sent a malformed report (does your code write to files or descriptors it "
                    "did not open itself?)" if kind == "malformed" else GARBLED)
            proc.kill()
            detail = _tail(proc.stderr_path)
            again = self.load is not None  # a fresh worker for a later check, not the first
            self.load_failure = (f"Importing your submission {'again, for a fresh worker, ' if again else ''}"
                                 f"{note}"
                                 + (f" while {running} was running" if running else "")
                                 + ("; the checks still to run could not be." if again
                                    else "; nothing could be graded.")
                                 # labelled: it is the submission's own text (it may look
                                 # like a grader's traceback, or a verdict), not the grader's
                                 + (f"\nWhat the process wrote on stderr before it ended (your "
                                    f"code's output, or Python's own error):\n{detail}"
                                    if detail else ""))
            return
        self._proc = proc
        # This one's import is done: the next grade's worker starts now, while the checks run.
        spare_worker.prepare(self._worker_kind(), self._start_spare)
        for note in proc.launch.notes:
            if note not in self.isolation_notes:
                self.isolation_notes.append(note)
        if self.load is None:
            self.load = _names_on_one_line(header.get("load", {}))
            if self.load.get("fatal"):
                # A zip or a web page under a notebook's name is said for what it is.
                self.load["fatal"] = notebook_kind.reworded(str(self.load["fatal"]), self.path)
            self.worker_info = {k: header.get(k) for k in ("python", "numpy", "fork", "limits")}
            if importing and proc.ready_at is not None:
                self.import_timing = {
                    "import_seconds": round(proc.ready_at - began, 3),
                    "import_waited_seconds": round(max(proc.waited_when_ready - waited_before,
                                                       0.0), 3)}

    def _leave_out(self, cell: dict | None) -> bool:
        """Whether the import deadline stopped the first import in the top level of a .py file
        of an upload that holds other .py files, and that file is now left out (`hung`) for a
        new worker: as a file whose top level raises, it costs its own functions and those of
        the files importing it, not the upload (probe s59). Not a notebook's cell (cells have
        their own budget), nor a single file, which is the whole upload; at most
        MAX_HUNG_FILES files, and only while one more import deadline fits in the submission's
        time, so a grade's total stays what it was."""
        if self.load is not None or not cell or "notebook" in cell \
                or len(self.hung) >= MAX_HUNG_FILES:
            return False
        file, line, others = cell.get("file"), cell.get("line"), cell.get("others")
        if not isinstance(file, str) or not file.endswith(".py") or "/" in file \
                or not isinstance(others, int) or others < 1 \
                or any(entry["file"] == file for entry in self.hung):
            return False
        if time.monotonic() - self.started_at + self.limits.import_seconds \
                > self.limits.submission_seconds:
            return False
        self.hung.append({"file": file[:255], "line": line if isinstance(line, int) else None,
                          "code": str(cell.get("code", ""))[:80],
                          "seconds": self.limits.import_seconds})
        return True

    def _stop(self) -> None:
        # What was sent ahead dies with the worker; its checks are sent again to the next one.
        self._ahead.clear()
        self._early.clear()
        self._run_sent.clear()
        if self._launched is not None:
            self._launched[0].kill()
            self._launched = None
        if self._proc is not None:
            self._proc.kill()
            self._proc = None
        if self._scratch is not None:
            self._scratch.remove()
            self._scratch = None

    def start_early(self) -> None:
        """Launch the worker now, while the grader still has work of its own to do (pytest
        collecting the checks); the first check waits for its import, which ran meanwhile.
        (Launched from this thread: a sandbox dies with the thread that started it.)"""
        if self._proc is None and self._launched is None and self.load is None \
                and self.load_failure is None:
            self._launch()

    def close(self, *, abandon: bool = False) -> None:
        """End the worker and remove its scratch folder. `abandon`: the grade was cut short
        (Ctrl-C, `kill`), and a worker still importing is killed at once: awaited, it held the
        grader for up to the import deadline after the interrupt."""
        if not abandon:
            self._await_ready()
            if self._proc is not None:
                self._proc.quit(QUIT_SECONDS)
        self._stop()

    def ensure_loaded(self) -> dict:
        self._await_ready()
        if self.load is None and self.load_failure is None:
            self._start()
        return self.load or {}

    # ---- checks ------------------------------------------------------------------------------
    def availability(self, function: str) -> str | None:
        """Why `function` cannot be called at all, or None if it can."""
        if function in self.composed:
            problems = (self.availability(part) for part in self.composed[function])
            return next((p for p in problems if p), None)
        self.ensure_loaded()
        if self.load_failure:
            return self.load_failure
        load = self.load or {}
        if load.get("fatal"):
            return f"Your submission could not be read: {load['fatal']}"
        info = load.get("functions", {}).get(function, {})
        if info.get("found"):
            return None
        home = self.functions.get(function, "")
        errors = load.get("errors", [])
        if info.get("problem") == "not a function":
            what = f" but a {info['is']}" if info.get("is") else ""
            if info.get("set_at"):
                return (f"{function} is not a function{what}: {info['set_at']} assigns to the "
                        f"name {function}, so it no longer holds your function. Give that value "
                        "another name.")
            return f"{function} in {info.get('file')} is not a function{what}."
        # Blame the file the function lives in when it failed to import; otherwise say the function
        # is missing and mention any file that could not be imported.
        # A single file that failed is the function's home too when the upload has no file of
        # the layout's name (one file called anything).
        files = load.get("files", [])
        own = [e for e in errors if e.get("module") == f"{home}.py"] or (
            errors if len(errors) == 1 and f"{home}.py" not in files and not errors[0].get("cell")
            else []) or [e for e in errors if function in e.get("defines", ())]
        if own:
            return f"{function} could not be loaded: " + _describe_import_error(own[0])
        empty = load.get("empty_files", [])
        if files and set(files) <= set(empty):
            return (f"{function} was not found: your submission is empty ({', '.join(empty)} "
                    "holds nothing). Was the file saved before it was uploaded?")
        in_text = [c for c in load.get("text_cells", []) if function in c.get("defines", ())]
        if in_text:
            cell = in_text[-1]
            return (f"{function} was not found in your submission: {cell['notebook']}, cell "
                    f"{cell['cell']} defines it, but that cell is a {cell['kind'].capitalize()} "
                    "cell, not a code cell, so it never runs. Change the cell's type to Code "
                    "(in Jupyter: select it and press Y).")
        signature = self.signatures.get(function, "")
        wanted = (f"a function {signature}" if signature.startswith(f"{function}(")
                  else f"a function named {function}")
        missing = (f"{function} was not found in your submission (expected {wanted}, normally in "
                   f"{home}.py).")
        near = str(info.get("near") or "")[:100]
        near = near if near.isidentifier() else ""  # the worker's word: a name, or nothing
        also = [str(n)[:100] for n in info.get("near_also") or [] if str(n).isidentifier()]
        count = info.get("near_count")
        missing += near_name_text(function, [near, *also] if near else [],
                                  count if isinstance(count, int) else 0)
        if near and not near.isascii():
            # sіgmoid (a Cyrillic і) reads as sigmoid: say which letters only look alike.
            import unicodedata
            odd = [f"{c} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}) at position {i + 1}"
                   for i, c in enumerate(near) if not c.isascii()][:3]
            missing += (f" {near} holds {'a letter' if len(odd) == 1 else 'letters'} outside "
                        f"ASCII, which {function} has none of: {', '.join(odd)}.")
        owner = str(info.get("method_of") or "")[:100]
        if owner.isidentifier():  # the worker's word: a name, or nothing
            missing += (f" Your submission defines {function} as a method of class {owner}: the "
                        f"grader calls a function {function} defined at the top level of the "
                        "file, not a method. Move it out of the class as a function of its own "
                        "(without self).")
        # Not the cause: none of these would have defined it. A file's error is said here; a
        # notebook cell's is left to the warnings, for a cell that defined the function would
        # have been blamed above (a lecture notebook's nltk cells were repeated under every
        # missing function).
        files_failed = [e for e in errors if not e.get("cell")]
        if files_failed:
            missing += (" Separately, something else in your submission failed to run: "
                        + "; ".join(_describe_import_error(e) for e in files_failed[:3]))
        return missing

    def start_example(self) -> None:
        """A property check's next example begins: what its calls print is that example's."""
        self.example_output_start = len(self.check_output)

    def begin_aside(self) -> Callable[[], None]:
        """Calls that judge a failure again begin (checks_api.aside): what they print, up to the
        returned function's call, is left out of what the check shows."""
        start = len(self.check_output)
        return lambda: self.asides.append((start, len(self.check_output)))

    def shown_parts(self, last_example: bool) -> list[int]:
        """Which parts of check_output a failure of the running check shows: its asides left
        out; with `last_example`, from where its last example began."""
        start = self.example_output_start if last_example and self.example_output_start else 0
        return [index for index in range(start, len(self.check_output))
                if not any(begin <= index < end for begin, end in self.asides)]

    def _prepare_check(self, function: str, ahead_of: str | None = None) -> None:
        self.check_output = []
        self.check_output_cut = set()
        self.check_printed = 0
        self.example_output_start = None
        self.asides = []
        self.check_matrices = set()
        self.transcript = []
        self._replayed = None
        self._check_spent = 0.0
        self._check_function = function
        problem = self.availability(function)
        if problem:
            raise StudentMissing(problem)
        self._refuse_past_deadline()
        # The worker answers in the order it was asked: read what was sent ahead of this check
        # (everything, for a check run live), keeping each outcome for its own check.
        self._read_ahead(until=ahead_of)
        if self._proc is None or (not self.use_fork and self._proc_function != function):
            self._start()
            if self._proc is None:
                self._refuse_past_deadline()
                raise StudentMissing(self.load_failure or "the worker did not start")
        self._proc_function = function

    def _deadline(self) -> float:
        """When the submission's time is up (time.monotonic()): no wait for its worker lasts
        past it."""
        return self.started_at + self.limits.submission_seconds

    def _out_of_time(self) -> StudentTimeout:
        return _budget(f"stopped: the submission used up its {self.limits.submission_seconds:g} s "
                       "in total; the remaining checks were not run")

    def _refuse_past_deadline(self) -> None:
        """No check begins past the submission's deadline: a worker that never answered the end
        of a check cost each later check a fresh worker and a deadline of its own, and a grade
        ran on for 400 s against a deadline of 300 (probe s61)."""
        if time.monotonic() >= self._deadline():
            self._stop()
            raise self._out_of_time()

    def send_ahead(self, runs: list[tuple[str, str, list[Request]]]) -> None:
        """Send the worker the runs of checks still to come (check id, function, a recipe's
        requests), in the order they will begin: it answers them, each in a fork of its own,
        while the grader runs the checks before them. Nothing changes for any check: a run is
        what `begin_replay` would send, read and judged as it would, only sooner."""
        if self._proc is None or not self.use_fork or self._check_active:
            return
        sent = {check for check, _, _ in self._ahead} | set(self._early)
        for check_id, function, requests in runs:
            if not requests or check_id in sent or function in self._no_replay \
                    or self.availability(function):
                continue
            self._send_run(check_id, requests)
            self._ahead.append((check_id, function, requests))

    def _read_ahead(self, until: str | None) -> None:
        while self._ahead and self._ahead[0][0] != until:
            check_id, function, requests = self._ahead.popleft()
            outcome = self._collect(function, requests)
            if self._proc is not None:  # else the worker was stopped, and what it had with it
                self._early[check_id] = (requests, outcome)

    def _send_run(self, check_id: str, requests: list[Request]) -> None:
        assert self._proc is not None
        self._proc.send_framed(run_frame(check_id, requests))
        self._run_sent[id(requests)] = time.monotonic()  # its fork's wait for a CPU counts from here

    def begin_replay(self, check_id: str, function: str, requests: list[Request]) -> bool:
        """Have a fresh fork answer all of `requests` (a recipe's, see grader/replay.py) at once.
        True when every answer came back in good time; False, with nothing changed that a live
        `begin_check` would notice, when the check must run live (a crash, a slow or oversized
        answer, no fork)."""
        self._prepare_check(function, ahead_of=check_id)
        if not self.use_fork or function in self._no_replay:
            return False
        if not requests:  # the check asks nothing (it reads what an earlier check measured)
            self._replayed = []
            return True
        early = self._early.pop(check_id, None)
        if early is None and self._ahead and self._ahead[0][0] == check_id:
            _, _, sent = self._ahead.popleft()
            early = (sent, self._collect(function, sent))
        if early is not None and len(early[0]) == len(requests) and all(
                a is b or a.key == b.key for a, b in zip(early[0], requests)):
            outcome = early[1]
        else:
            self._read_ahead(until=None)  # (nothing is left ahead of a run sent now)
            if self._proc is None:
                return False
            self._send_run(check_id, requests)
            outcome = self._collect(function, requests)
        if outcome is None:
            return False
        self._replayed, self._check_spent = outcome
        return True

    def _collect(self, function: str, requests: list[Request]) -> tuple[list, float] | None:
        """Read the answers to a run of `requests` (sent by _send_run): (the answers, the
        seconds the worker took), or None when the check must run live."""
        # Each answer is held to the deadline its request has live, and a replay is used only
        # when all stayed well inside those and the check's budget: the live run could not have
        # timed out. A function that did not answer in time is run live for the rest of the
        # submission, so a hang costs one deadline more than live, not one per check.
        assert self._proc is not None
        budget, total = self.limits.check_seconds, 0.0
        answered: list[tuple[Request, dict, list[bytes]]] = []
        sent = self._run_sent.pop(id(requests), time.monotonic())
        for index, request in enumerate(requests):
            deadline = self._call_deadline(len(self._calls_of(request)))
            kind, reply, reply_blobs = self._proc.receive(deadline, counted_from=sent,
                                                          no_later_than=self._deadline())
            if kind == "frame" and reply.get("event") == "ended":
                return None  # the check's fork died; the worker itself is fine
            if kind != "frame" or reply.get("event") != "answer" or reply.get("index") != index:
                if kind == "timeout":
                    self._no_replay.add(function)
                self._stop()
                return None
            seconds = reply.get("seconds")
            total += seconds if isinstance(seconds, (int, float)) else budget
            if not isinstance(seconds, (int, float)) or seconds > deadline / 2 or total > budget / 2:
                self._no_replay.add(function)
                self._stop()
                return None
            answered.append((request, reply, reply_blobs))
        for expected in ("ran", "ended"):
            kind, reply, _ = self._proc.receive(self.limits.import_seconds,
                                                no_later_than=self._deadline())
            if kind != "frame" or reply.get("event") != expected or reply.get("crashed") \
                    or reply.get("refused"):
                self._stop()
                return None
        return answered, total

    @staticmethod
    def _calls_of(request: Request) -> list:
        return request.node.get("items", []) if isinstance(request.node, dict) else []

    def allow_also(self, functions: tuple[str, ...] | frozenset[str]) -> None:
        """Let the next check call these functions too, besides the one it grades."""
        self._check_also = frozenset(functions)

    def begin_check(self, check_id: str, function: str) -> None:
        self._prepare_check(function)
        self._check_began = time.monotonic()  # its fork's wait for a CPU counts from here
        assert self._proc is not None
        self._proc.fork_pid = None  # the last check's, gone
        reply = self._request({"op": "begin", "check": check_id}, None, self.limits.import_seconds)
        pid = reply[1].get("pid")
        self._proc.fork_pid = pid if type(pid) is int else None
        if reply[1].get("event") != "begun":
            self._stop()
            raise StudentCrash("could not be checked: its worker answered out of step "
                               "(does your code, when imported, fork a process that goes on "
                               "running, or write to file descriptors it did not open itself?)")
        self._check_active = True

    def end_check(self) -> None:
        self._replayed = None
        if self._proc is not None and self._check_active:
            kind, header, _ = self._exchange({"op": "end"}, None, self.limits.import_seconds)
            if self._proc is not None:
                self._proc.fork_pid = None  # ended: what the worker stops next is its leftovers
            if kind != "frame" or header.get("event") != "ended":
                self._stop()
        self._check_active = False

    def _exchange(self, header: dict, blobs, timeout: float) -> tuple[str, Any, Any]:
        assert self._proc is not None
        self._proc.send(header, blobs)
        return self._proc.receive(timeout, counted_from=self._check_began,
                                  no_later_than=self._deadline())

    def _request(self, header: dict, blobs, timeout: float,
                 timeout_said: str | None = None) -> tuple[str, dict, list]:
        kind, reply, reply_blobs = self._exchange(header, blobs, timeout)
        if kind == "frame" and reply.get("event") == "ended" and reply.get("crashed"):
            # The forked child died in the middle of the check; the parent survived.
            self._check_active = False
            raise StudentCrash(_describe_exit(reply.get("signal"), reply.get("exit_code")))
        # Answered, and the worker stopped meanwhile (the check's fork stopped its parent): the
        # check's own doing, said as its failure now rather than a deadline at its end.
        if kind == "frame" and not self._proc.stopped_itself(fork_too=False):  # one read
            return kind, reply, reply_blobs
        kind = "stopped" if kind == "frame" else kind
        proc = self._proc
        self._check_active = False
        if kind == "timeout":
            self._stop()
            if time.monotonic() >= self._deadline():
                raise self._out_of_time()
            raise StudentTimeout(timeout_said or f"did not return within {timeout:.3g} s (an "
                                                 "endless loop?)")
        note = proc.death_note() if kind == "eof" else STOPPED if kind == "stopped" else GARBLED
        self._stop()
        raise StudentCrash(note)

    def call_many(self, function: str, calls: list[tuple], *, echo_args: bool = False,
                  within: float | None = None, count_lines: bool = False) -> list[CallResult]:
        """Call `function` once per argument tuple in `calls`, in one round trip; `within`: a
        deadline shorter than the call deadline, for a check that times the answer (a gradient
        by backpropagation answers a large input in milliseconds); `count_lines`: each result
        also says how many lines of the submission's own code its call ran (a check of how a
        function is computed: worker/lines_run.py)."""
        if self._check_function is not None and function != self._check_function \
                and function not in self._check_also:
            # Said to the pack's author (the check's own error): what to add for it to call.
            raise RuntimeError(f"a check of {self._check_function} may not call {function}: "
                               f"mark the check @pytest.mark.uses({function!r}) to let it")
        if time.monotonic() >= self._deadline():
            raise self._out_of_time()
        if self._check_spent > self.limits.check_seconds and (self._proc is None or (
                self._check_spent - cpu_wait.waited(self._proc.popen.pid, self._check_began)
                > self.limits.check_seconds)):  # the machine's load is not the check's time
            raise self._note_printing(_budget(f"used up this check's "
                                              f"{self.limits.check_seconds:g} s"))
        node, blobs = wire.encode_value([tuple(c) for c in calls])
        request = Request(function, node, tuple(blobs), echo_args, count_lines)
        if self._replayed is not None:
            reply, reply_blobs = self._replayed_reply(request)
            return self._results(function, calls, reply, reply_blobs, echo_args)
        self.transcript.append(request)
        # What is left of the check's budget, the time its worker waited for a CPU given back
        # as the budget check above gives it (read only when it is what limits the call): a
        # check slowed by the machine got "did not return within -0.987 s".
        left = self.limits.check_seconds - self._check_spent + self.limits.call_seconds
        if left < self._call_deadline(len(calls)) and self._proc is not None:
            left += cpu_wait.waited(self._proc.popen.pid, self._check_began)
        own = min(self._call_deadline(len(calls)), within if within is not None else float("inf"))
        deadline = min(own, max(left, MIN_CALL_SECONDS))
        # Said as the deadline set, never as what was left of the check's time, which the
        # machine's speed decides: the same upload's report read 5.36 s, 5.42 s, 5.45 s (s59).
        said = (f"did not return within {own:.3g} s (an endless loop?)" if deadline >= own else
                f"did not return before this check's {self.limits.check_seconds:g} s ran out "
                "(an endless loop?)")
        t0 = time.monotonic()
        try:
            _, reply, reply_blobs = self._request(
                {"op": "call", "function": function, "calls": node, "echo_args": echo_args,
                 **({"count_lines": True} if count_lines else {})}, blobs, deadline, said)
        except StudentUnavailable as exc:
            exc.call = tuple(calls[0]) if len(calls) == 1 else None
            if isinstance(exc, StudentTimeout) and len(calls) > 1 and not exc.budget:
                exc.message += f" for a batch of {len(calls)} calls"
            if isinstance(exc, StudentTimeout):
                self._note_printing(exc)
            raise
        finally:
            self._check_spent += time.monotonic() - t0
        return self._results(function, calls, reply, reply_blobs, echo_args)

    def _cells_of(self, function: str) -> dict | None:
        """The notebook cells that define `function`, when more than one does (load report)."""
        entry = ((self.load or {}).get("functions") or {}).get(function)
        return entry.get("cells") if isinstance(entry, dict) else None

    def _note_printing(self, exc: StudentTimeout) -> StudentTimeout:
        """A timeout after the check's calls printed a lot says so: a correct network printing
        200 lines a call lost 14 points to "an endless loop?" (probe s59), the time spent
        printing."""
        if self.check_printed > PRINTED_A_LOT:
            exc.message += (f"; its calls had printed over {PRINTED_A_LOT // 1000} kB in this "
                            "check before it, and printing that much takes time: remove the "
                            "debugging prints")
        return exc

    def _call_deadline(self, n_calls: int) -> float:
        return self.limits.call_seconds * (1 + n_calls / 50)

    def _replayed_reply(self, request: Request) -> tuple[dict, list[bytes]]:
        """The answer given in advance to the request a live run would send now."""
        assert self._replayed is not None
        index = len(self.transcript)
        if index >= len(self._replayed) or self._replayed[index][0].key != request.key:
            raise ReplayDiverged(f"request {index} differs from the recipe's")
        self.transcript.append(request)
        return self._replayed[index][1], self._replayed[index][2]

    def _results(self, function: str, calls: list[tuple], reply: dict, reply_blobs: list[bytes],
                 echo_args: bool) -> list[CallResult]:
        results = []
        if reply.get("event") == "ended" and "results" not in reply:
            # The process that ran the call ended without answering: os._exit() or a fork of
            # the student's that left the call in its place.
            how = (f"signal {reply['signal']}" if reply.get("signal") is not None
                   else f"exit status {reply.get('exit_code', 0)}")
            problem = (f"ended the process it ran in ({how}) without returning: a graded "
                       "function must return its result, never call exit(), sys.exit() or "
                       "os._exit()")
            if self._replayed is not None:
                raise ReplayDiverged(problem)
            self._stop()
            raise StudentCrash(problem)
        try:
            entries = reply_shapes.call_results(reply["results"])
            if entries is None:
                raise wire.WireError("results the grader's worker did not write: does your "
                                     "code write to files or descriptors it did not open itself?")
            for index, entry in enumerate(entries):
                output = str(entry.get("output", ""))
                self.check_printed += len(output) + int(entry.get("output_dropped") or 0)
                if entry.get("output_dropped"):
                    output += f"\n... ({int(entry['output_dropped'])} more characters not shown)"
                    self.check_output_cut.add(len(self.check_output))
                if output:
                    self.check_output.append(output)
                if not entry.get("ok"):
                    error = StudentError(function, entry.get("error", {}), calls[index],
                                         self.provided_functions, self._cells_of(function),
                                         (self.load or {}).get("star_imports_of_absent"))
                    if error.not_implemented:
                        raise StudentNotImplemented(error.describe())
                    observed.record(error)
                    raise error
                value = wire.decode_value(entry["value"], reply_blobs)
                if entry.get("matrix"):
                    self.check_matrices.add(function)
                after = wire.decode_value(entry["args_after"], reply_blobs) if echo_args else ()
                draws = [int(d) for d in entry.get("draws", [])]
                for label in entry.get("seeded", []):
                    if label in RESEEDABLE and label not in self.reseeded.setdefault(function, []):
                        self.reseeded[function].append(label)
                results.append(CallResult(value, output, draws, after, *_lines_of(entry)))
        except (KeyError, TypeError, wire.WireError):
            problem = ("could not be checked: its worker sent a malformed reply (does your "
                       "code fork a process that goes on running, or write to file descriptors "
                       "it did not open itself?)")
        else:
            if len(results) == len(calls):
                return results
            problem = "answered a different number of calls than were asked"
        if self._replayed is not None:
            raise ReplayDiverged(problem)  # the live run meets it call by call, and says so
        self._stop()
        raise StudentCrash(problem)

    def call(self, function: str, *args: Any, echo_args: bool = False,
             within: float | None = None) -> CallResult:
        return self.call_many(function, [args], echo_args=echo_args, within=within)[0]


def _lines_of(entry: dict) -> tuple[int | None, tuple[LineRun, ...]]:
    """A call result's count of the submission's lines run, and its busiest lines (reply_shapes
    has held both to their types); (None, ()) where the call was not asked to count."""
    if "lines_run" not in entry:
        return None, ()
    return entry["lines_run"], tuple(LineRun(b["file"], b["line"], b["runs"], b["code"])
                                     for b in entry.get("busiest", []))


MAX_UPLOAD_BYTES = 50 * 2**20
# An upload over MAX_UPLOAD_BYTES that holds notebooks (one .ipynb, or .ipynb files in a folder
# or a .zip) is read here to drop their saved outputs (plots, a training loop's printout: nothing
# the grader runs), up to this size on disk (a .zip: also unpacked); what is left is then held to
# MAX_UPLOAD_BYTES like any upload.
MAX_NOTEBOOK_BYTES = 200 * 2**20
# A tar upload is copied as it is for the worker to unpack (worker/unpack_tar.py), up to this
# size: with what it unpacks (at most MAX_UPLOAD_BYTES), within the scratch folder's 256 MiB.
MAX_TAR_BYTES = 128 * 2**20
# A .zip with more members is passed on as it is, for the worker to refuse (worker/loader.py has
# the same number): reading it here would cost the grader's time for nothing.
MAX_ARCHIVE_MEMBERS = 2000


class UploadTooLarge(Exception):
    pass


def _is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _too_large(total: int, notebooks: bool, single: bool = False,
               source: Path | None = None) -> UploadTooLarge:
    over = notebooks and total > MAX_NOTEBOOK_BYTES
    limit = (f"{MAX_NOTEBOOK_BYTES // 2**20} MiB for "
             + ("a notebook with its" if single else "a submission with its notebooks'")
             + f" saved outputs, {MAX_UPLOAD_BYTES // 2**20} MiB without them"
             if over else f"{MAX_UPLOAD_BYTES // 2**20} MiB")
    largest = "" if notebooks else _largest_files(source)  # else: the outputs, said above
    return UploadTooLarge(f"the submission holds {total // 2**20} MiB; the limit is {limit}."
                          f"{largest} Nothing could be graded.")


def _code_too_large(total: int, single: bool) -> UploadTooLarge:
    what = ("the notebook holds {} MiB without its saved outputs" if single else
            "the submission holds {} MiB without its notebooks' saved outputs")
    return UploadTooLarge(f"{what.format(total // 2**20)}; the limit is "
                          f"{MAX_UPLOAD_BYTES // 2**20} MiB. Nothing could be graded.")


def size_text(size: int) -> str:
    """A file's size as a report gives it: 19 KiB, 2.5 MiB, 165 MiB."""
    if size < 2**20:
        return f"{size // 1024} KiB"
    return f"{size / 2**20:.1f} MiB" if size < 10 * 2**20 else f"{size // 2**20} MiB"


def _largest_files(source: Path | None, count: int = 3) -> str:
    """" Its largest files: ...", for a folder or a zip: the 2017 assignment's folder carries
    datasets and saved parameters, and a student told only "57 MiB" does not know which file
    to leave out. ("" for a single file, or a zip that cannot be read.)"""
    sizes: list[tuple[str, int]] = []
    try:
        if source is not None and source.is_dir():
            sizes = [(p.relative_to(source).as_posix(), p.stat().st_size)
                     for p in _files_copied(source)]
        elif source is not None and source.suffix.lower() == ".zip" and source.is_file():
            with zipfile.ZipFile(source) as zf:
                sizes = [(m.filename, m.file_size) for m in zf.infolist() if not m.is_dir()]
    except (OSError, zipfile.BadZipFile, ValueError):
        return ""
    largest = sorted(sizes, key=lambda item: (-item[1], item[0]))[:count]
    if not largest:
        return ""


    code = (".py", ".ipynb")
    advice = ("" if all(name.lower().endswith(code) for name, _ in largest) else
              " Only your code is graded (.py files, notebooks): leave data and saved parameters "
              "out of the upload.")
    return (" Its largest files: " + ", ".join(f"{name} ({size_text(size)})" for name, size in largest)
            + "." + advice)


def _is_code(name: str) -> bool:
    return name.lower().endswith((".py", ".ipynb"))


def _folder_plan(source: Path) -> tuple[dict[Path, bytes], dict[Path, int]]:
    """For a folder upload over MAX_UPLOAD_BYTES: its notebooks without their saved outputs,
    then, while it is still over, the files that are not code, largest first, to leave out
    (path -> size): the 2017 assignment's folder carries a 165 MiB GloVe file, and refused
    whole, its code got 0. ({}, {} when the folder is within the limit.) Raises UploadTooLarge
    when its code alone is over."""
    files = [p for p in _files_copied(source) if p.suffix != ".pyc"]
    sizes = {p: p.stat().st_size for p in files}
    total = original = sum(sizes.values())
    if total <= MAX_UPLOAD_BYTES:
        return {}, _over_count(files, {}, sizes, source)
    notebooks = [p for p in files if _is_notebook(p.name)]
    if notebooks and sum(sizes[p] for p in files if _is_code(p.name)) > MAX_NOTEBOOK_BYTES:
        raise _too_large(total, True, source=source)
    stripped = {}
    for notebook in notebooks:
        data = notebook_outputs.without_outputs(notebook.read_bytes())
        if data is not None:
            stripped[notebook] = data
            total -= sizes[notebook] - len(data)
    left: dict[Path, int] = {}
    for path in sorted((p for p in files if not _is_code(p.name)), key=lambda p: (-sizes[p], p)):
        if total <= MAX_UPLOAD_BYTES:
            break
        left[path] = sizes[path]
        total -= sizes[path]
    if total > MAX_UPLOAD_BYTES:
        raise (_code_too_large(total, single=False) if notebooks
               else _too_large(original, False, source=source))
    return stripped, {**left, **_over_count(files, left, sizes, source)}


def _over_count(files: list[Path], left: dict[Path, int], sizes: dict[Path, int],
                source: Path) -> dict[Path, int]:
    """The files that are not code to leave out, largest first, of a folder that holds more
    files than a zip may (MAX_ARCHIVE_MEMBERS) besides those `left` already: the worker's scratch
    space holds a copy or two of the upload, and a folder of 5,001 files (a dataset's) filled it
    and showed the student the grader's traceback (probe s53). Raises UploadTooLarge when its
    code alone is over."""
    kept = [p for p in files if p not in left]
    if len(kept) <= MAX_ARCHIVE_MEMBERS:
        return {}
    code = [p.relative_to(source).as_posix() for p in kept if _is_code(p.name)]
    if len(code) > MAX_ARCHIVE_MEMBERS:
        where = archive_names.crowded_text(code)
        raise UploadTooLarge(f"the submission holds {len(code)} files of code (.py, notebooks); "
                             f"the limit is {MAX_ARCHIVE_MEMBERS} files."
                             + (f" {where[0].upper()}{where[1:]}." if where else ""))
    extra = len(kept) - MAX_ARCHIVE_MEMBERS
    data = sorted((p for p in kept if not _is_code(p.name)), key=lambda p: (-sizes[p], str(p)))
    return {p: sizes[p] for p in data[:extra]}


def _files_copied(source: Path) -> list[Path]:
    """The regular files of a folder upload that its copy holds (no links, nothing under
    __pycache__ or a folder that is no code: uploads.not_code), in name order."""
    found = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__"
                         and not uploads.not_code(Path(folder, d), source))
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _zip_within_limit(source: Path, target: Path,
                      left_out: list[tuple[str, int]] | None = None) -> bool:
    """Write `source`, a .zip over MAX_UPLOAD_BYTES (on disk or unpacked), to `target` within it:
    its notebooks without their saved outputs, then, while still over, without the members that
    are not code, largest first (listed in `left_out`: name, size), members kept as they were
    (names and modes; the worker unpacks it by its own rules). False when `source` is not a zip
    this can read, has more members than the worker takes, or has nothing to drop: the caller
    then judges it by its size. Raises UploadTooLarge."""
    on_disk = source.stat().st_size
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        return False
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            return False
        # Declared sizes bound what is read: zipfile stops a member at its declared size.
        unpacked = sum(m.file_size for m in members)
        notebooks = [m for m in members if _is_notebook(m.filename)]
        if notebooks and sum(m.file_size for m in members
                             if _is_code(m.filename)) > MAX_NOTEBOOK_BYTES:
            raise _too_large(max(on_disk, unpacked), True, source=source)
        try:
            stripped = {}
            for member in notebooks:
                data = zf.read(member)
                stripped[id(member)] = notebook_outputs.without_outputs(data) or data
            total = unpacked - sum(m.file_size - len(stripped[id(m)]) for m in notebooks)
            leave: set[int] = set()
            for member in sorted((m for m in members if not m.is_dir() and not _is_code(m.filename)),
                                 key=lambda m: (-m.file_size, m.filename)):
                if total <= MAX_UPLOAD_BYTES:
                    break
                leave.add(id(member))
                total -= member.file_size
            if total > MAX_UPLOAD_BYTES:
                if notebooks:
                    raise _code_too_large(total, single=False)
                return False  # its code alone is over: judged by its size
            if not notebooks and not leave:
                return False
            _copy_members(zf, [m for m in members if id(m) not in leave], target, stripped)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
                zlib.error):
            # Unreadable inside (a bad CRC, an encrypted member): judged by its size, and the
            # worker says what is wrong with it.
            target.unlink(missing_ok=True)
            return False
    if left_out is not None:
        left_out += [(m.filename.replace("\\", "/"), m.file_size) for m in members
                     if id(m) in leave]
    return True


def copy_upload(source: Path, dest: Path,
                unreadable: list[tuple[str, str]] | None = None,
                too_large: list[tuple[str, int]] | None = None) -> Path:
    """Copy the submission, as plain data, into the worker's scratch folder: the worker never
    needs to see where the upload came from (other students' uploads sit beside it). Links and
    special files are left out, never followed (uploads.is_left_out; the report names them), and
    every copy is readable by the worker's own uid.
    Notebooks lose their saved outputs when the upload is too large with them (one .ipynb, or
    .ipynb files in a folder or a .zip alike).
    A file or folder inside a folder upload that cannot be read (a root-owned .ipynb_checkpoints
    a `sudo jupyter` left, a file at mode 000) is left out and listed in `unreadable` (its
    relative path, why); without the list, it raises OSError, as the upload itself does.
    A folder or .zip over MAX_UPLOAD_BYTES once its notebooks' outputs are dropped leaves out the
    files that are not code, largest first, until it is within: listed in `too_large` (relative
    path, size)."""
    dest.mkdir(mode=0o755)
    target = dest / source.name
    if source.is_dir():
        try:
            return _copy_folder(source, target, too_large)
        except shutil.Error as exc:
            if unreadable is None:
                raise OSError(str(exc)) from None
            for entry in exc.args[0]:
                src, why = (entry[0], entry[2]) if len(entry) == 3 else (str(entry), "")
                try:
                    relative = Path(src).relative_to(source).as_posix()
                except ValueError:
                    relative = str(src)
                unreadable.append((relative, _why_unreadable(str(why))))
            return target
    return _copy_file(source, target, too_large)


def _why_unreadable(why: str) -> str:
    """copytree's reason ("[Errno 13] Permission denied: '/home/...'") without the grading
    machine's path."""
    return re.sub(r"^\[Errno \d+\] ([^:]*).*$", r"\1", why.strip()) or "it could not be read"


def _copy_folder(source: Path, target: Path,
                 left_out: list[tuple[str, int]] | None = None) -> Path:
    stripped, left = _folder_plan(source)
    if left_out is not None:
        left_out += [(p.relative_to(source).as_posix(), size) for p, size in left.items()]

    def copy(src: str, dst: str) -> None:
        data = stripped.get(Path(src))
        if data is None:
            shutil.copyfile(src, dst)
        else:
            Path(dst).write_bytes(data)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {name for name in names if name == "__pycache__" or name.endswith(".pyc")
                or Path(folder, name) in left or uploads.is_left_out(Path(folder, name))
                or uploads.not_code(Path(folder, name), source)}
    try:
        shutil.copytree(source, target, symlinks=True, copy_function=copy, ignore=ignore)
    finally:  # what was copied is readable by the worker's uid, whatever was not
        for folder in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
            folder.chmod(0o755)
    return target


def _copy_members(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], target: Path,
                  data: dict[int, bytes] | None = None) -> None:
    """Write `members` of `zf` to a new zip at `target`, each under its name as the worker reads
    it (archive.member_name, a backslash a folder separator: written as read, a name in UTF-8
    not marked so came back as cp437's mojibake) and with its mode; `data` holds the bytes to
    write instead of a member's own, by id (a notebook without its saved outputs)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a name twice (a zip updated by adding to
        # it) stays twice: the worker grades the later copy and says so; no "Duplicate name" here
        for member in members:
            info = zipfile.ZipInfo(archive.member_name(member)[0].replace("\\", "/"),
                                   member.date_time)
            info.external_attr = member.external_attr
            info.compress_type = zipfile.ZIP_DEFLATED
            body = (data or {}).get(id(member))
            if body is None:
                body = b"" if member.is_dir() else zf.read(member)
            out.writestr(info, body)


def _without_not_code(source: Path, target: Path) -> bool:
    """Write `source`, a zip that holds folders of no one's code (a virtual environment, version
    control's history, __pycache__: uploads.zip_not_code), to `target` without them, the other
    members as the worker reads them (names, modes); False when it holds none, or cannot be read
    or is too large to rewrite (it is then judged as it is). Their files counted towards the
    zip's limits before the worker left them out: a .venv zipped with correct code scored 0."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        return False
    with zf:
        members = zf.infolist()
        names = [archive.member_name(m)[0].replace("\\", "/") for m in members]
        not_code = uploads.zip_not_code(names)
        keep = [(m, n) for m, n in zip(members, names) if not uploads.zip_left_out(n, not_code)]
        if len(keep) == len(members) or sum(m.file_size for m, _ in keep) > 2 * MAX_UPLOAD_BYTES:
            return False
        try:
            _copy_members(zf, [m for m, _ in keep], target)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
                zlib.error):
            target.unlink(missing_ok=True)
            return False
    return True


def _copy_file(source: Path, target: Path,
               too_large: list[tuple[str, int]] | None = None) -> Path:
    if source.suffix.lower() == ".zip" and source.is_file():
        fd, slim = tempfile.mkstemp(prefix="autograde-upload-", suffix=".zip")
        os.close(fd)
        try:
            if _without_not_code(source, Path(slim)):
                return _copy_file_as_it_is(Path(slim), target, too_large)
        finally:
            os.unlink(slim)
    return _copy_file_as_it_is(source, target, too_large)


def _copy_file_as_it_is(source: Path, target: Path,
                        too_large: list[tuple[str, int]] | None) -> Path:
    total = source.stat().st_size if source.exists() else 0
    if source.suffix.lower() == ".zip" and source.is_file():
        if _zip_holds_more_than(source, MAX_UPLOAD_BYTES) or total > MAX_UPLOAD_BYTES:
            if _zip_within_limit(source, target, too_large):
                return target
    if _is_notebook(source.name) and MAX_UPLOAD_BYTES < total <= MAX_NOTEBOOK_BYTES \
            and source.is_file():
        stripped = notebook_outputs.without_outputs(source.read_bytes())
        if stripped is not None:
            if len(stripped) > MAX_UPLOAD_BYTES:
                raise _code_too_large(len(stripped), single=True)
            target.write_bytes(stripped)
            return target
    if archive_names.tar_suffix(source.name) and source.is_file():
        # Unpacked by the worker (worker/unpack_tar.py), which leaves out the files that are not
        # code, largest first, to be within MAX_UPLOAD_BYTES, as this leaves out a zip's.
        if total > MAX_TAR_BYTES:
            raise UploadTooLarge(f"the submission is {total // 2**20} MiB as saved; the limit "
                                 f"for a tar archive is {MAX_TAR_BYTES // 2**20} MiB as "
                                 f"saved, then {MAX_UPLOAD_BYTES // 2**20} MiB unpacked without "
                                 "the files that are not code. Only your code is graded (.py "
                                 "files, notebooks): leave data and saved parameters out of the "
                                 "upload. Nothing could be graded.")
    elif total > MAX_UPLOAD_BYTES:
        raise _too_large(total, _is_notebook(source.name), single=True, source=source)
    shutil.copyfile(source, target)
    return target


def _zip_holds_more_than(source: Path, limit: int) -> bool:
    """Whether the zip's members, as declared, add up to more than `limit` (False for a file
    that is not a readable zip: the worker says what it is)."""
    try:
        with zipfile.ZipFile(source) as zf:
            return sum(m.file_size for m in zf.infolist()) > limit
    except (zipfile.BadZipFile, OSError):
        return False


def _copy_support(source: Path, scratch: Path) -> list[str]:
    """Copy the pack's support files (never its reference or checks) into the worker's working
    folder, read-only: `open("data.txt")` and `import utils2` then work from the submission as
    they did on the student's machine, and no submission can change them for the next check.
    Returns the names copied."""
    copied = []
    for item in sorted(source.iterdir()):
        if item.is_symlink() or item.name.startswith(".") or item.name == "__pycache__":
            continue
        copied.append(item.name)
        target = scratch / item.name
        if item.is_dir():
            shutil.copytree(item, target, copy_function=shutil.copyfile,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
            for path in sorted(target.rglob("*"), reverse=True):
                path.chmod(0o555 if path.is_dir() else 0o444)
            target.chmod(0o555)
        else:
            shutil.copyfile(item, target)
            target.chmod(0o444)
    return copied


def _statement_heard_late(proc: "_Process", import_seconds: float) -> dict | None:
    """The worker names the top-level statement a .py import is running at 90% of the import
    deadline, counted from the import's start (and a notebook's cell that caught its stop says
    so); on a loaded machine that moment comes late, and the deadline could pass before that frame,
    making the message depend on the machine's load ("line 20 (`while True:`) was still
    running" or a guess at an endless loop). A moment's grace to hear it (the import has failed
    all the same): only the statement is taken."""
    grace = min(max(1.0, 0.2 * import_seconds), 2.0)
    kind, header, _ = proc.receive(grace)
    return header if kind == "frame" and header.get("event") == "cell" else None


def _left_out_before(hung: list[dict]) -> str:
    """"; q2_sigmoid.py (line 23) had been left out already, its import stopped the same way":
    an import that gives up after leaving files out (Submission._leave_out) names them too."""
    if not hung:
        return ""
    files = [f"{entry['file']} (line {entry['line']})" if entry.get("line") else entry["file"]
             for entry in hung]
    if len(files) == 1:
        return f"; {files[0]} had been left out already, its import stopped the same way"
    return (f"; {', '.join(files[:-1])} and {files[-1]} had been left out already, their "
            "imports stopped the same way")


def _running_cell(cell: dict | None) -> str:
    """"hw.ipynb, cell 7 (of 9: `for epoch in ...`)" from a worker's last cell frame, or
    "train.py, line 40 (`for epoch in ...`)" when it names the top-level statement of a .py
    file (worker/loader.py)."""
    if not cell:
        return ""
    if "notebook" not in cell and cell.get("file"):
        code = str(cell.get("code", ""))[:80]
        return (f"{str(cell['file'])[:100]}, line {cell.get('line')}"
                + (f" (`{code}`)" if code else ""))
    first = str(cell.get("first_line", ""))[:80]
    return (f"{str(cell.get('notebook', 'the notebook'))[:100]}, cell {cell.get('cell')} "
            f"(of {cell.get('of')}" + (f": `{first}`)" if first else ")"))


def _why_still_running(cell: dict) -> str:
    """The advice after "... was still running" when the import deadline passed."""
    if "notebook" not in cell:
        return (" (a long training loop at the top level of the file? Nothing at module level "
                "may take that long: train in a function the grader does not call, or under "
                "`if __name__ == '__main__':`, which the grader does not run)")
    if cell.get("interrupted"):
        # Most often a handler that swallows the interruption; a recursion millions of calls
        # deep (its limit raised) is still unwinding too, and had no handler to blame.
        return (": the grader interrupted it before the deadline, but it ran on. A bare "
                "`except:` or `except BaseException:` catches the interruption (in the cell or "
                "in a function it calls); write `except Exception:`, which lets the grader stop "
                "the cell and grade the rest (a recursion millions of calls deep, its limit "
                "raised with sys.setrecursionlimit, also takes long to stop)")
    return (" (a long training loop at the top level of the notebook? Nothing in it may take "
            "that long: train in a function the grader does not call, or with fewer iterations)")


def _describe_import_error(error: dict) -> str:
    where = f"{error['file']}, line {error['line']}" if error.get("line") else error["file"]
    code = f"\n    {error['code']}" if error.get("code") else ""
    via = (f"{'running' if error.get('cell') else 'importing'} {error['module']} failed: "
           if error.get("module") and error["module"] != error["file"] else "")
    kind = _one_line_name(error["type"])
    said = python2_habits.with_advice(f"{kind} in {where}: {error['message']}", kind,
                                      str(error["message"]), str(error.get("code", "")))
    run = error.get("run_at")
    if isinstance(run, dict) and run.get("line"):
        said = (f"{said if said.endswith(('.', '!', '?')) else said + '.'} It was raised inside a call that line {run['line']} makes "
                f"when the file is imported (`{run.get('code', '')}`): calls that try out your "
                "functions belong under `if __name__ == \"__main__\":`, which importing skips.")
    return f"{via}{said}{code}"


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    data = _without_marked_tracebacks(data)
    if len(data) > limit:
        # From the first whole line on: a line cut in two ("occurred:", the end of Python's
        # "During handling of the above exception, ...") is neither the student's nor readable.
        data = data[-limit:].partition(b"\n")[2]
    return _without_worker_tracebacks(data.decode("utf-8", errors="replace")).strip()


def _without_marked_tracebacks(data: bytes) -> bytes:
    """`data` less each traceback the worker marked as its own (wire.WORKER_TRACEBACK_MARK up to
    its end mark, or to the end where a process died before writing one)."""
    start, end = wire.WORKER_TRACEBACK_MARK.strip(), wire.WORKER_TRACEBACK_END.strip()
    kept, at = [], 0
    while (found := data.find(start, at)) >= 0:
        kept.append(data[at:found])
        stop = data.find(end, found)
        if stop < 0:
            return b"".join(kept)
        at = stop + len(end)
    return b"".join(kept) + data[at:]


def _worker_traceback_in(path: Path, limit: int = 8000) -> bool:
    """Whether the end of what the worker wrote on stderr holds a traceback through the worker's
    own code (never shown: see _without_worker_tracebacks)."""
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return False
    if wire.WORKER_TRACEBACK_MARK.strip() in data:
        return True
    text = data.decode("utf-8", errors="replace")
    own = (isolation.SANDBOX_WORKER_DIR + "/", str(isolation.WORKER_DIR) + os.sep)
    return any(f'File "{where}' in text for where in own)


_CHAINED = ("During handling of the above exception, another exception occurred:",
            "The above exception was the direct cause of the following exception:")


def _without_worker_tracebacks(text: str) -> str:
    """What the worker wrote on stderr (the submission's C-level output, a fatal error), less
    every Python traceback that runs through the worker's own code: that one is the grader's,
    never shown to a student; the message beside it says what the submission did."""
    own = (isolation.SANDBOX_WORKER_DIR + "/", str(isolation.WORKER_DIR) + os.sep)
    kept: list[str] = []
    block: list[str] | None = None
    for line in text.splitlines():
        if block is None:
            if line.startswith("Traceback (most recent call last):"):
                block = [line]
            elif line.strip() not in _CHAINED:
                kept.append(line)
            continue
        block.append(line)
        if line and not line[0].isspace():  # the exception's own line ends the traceback
            if not any(f'File "{path}' in entry for entry in block for path in own):
                kept.extend(block)
            block = None
    if block is not None and not any(f'File "{path}' in entry for entry in block for path in own):
        kept.extend(block)
    # A traceback of the worker's with no "Traceback" line left to find it by (cut by the
    # quoted tail, garbled by a replaced builtin, its mark's write replaced too: recheck probe)
    # ends the output, as the worker dies printing it: dropped from its first frame of the
    # worker's own on.
    first_own = next((i for i, line in enumerate(kept)
                      if any(f'File "{path}' in line for path in own)), None)
    if first_own is not None:
        kept = kept[:first_own]
    return "\n".join(kept)
