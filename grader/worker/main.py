"""Worker entry point: run by file path in a fresh interpreter, never imported by the grader.

Protocol (strict request/reply over the inherited pipes, see wire.py):
  grader -> {"op": "start", ...config}      worker -> {"event": "importing", "at": t, "waited": w}
                                                      as the submission's import begins (its
                                                      deadline starts then; t: time.monotonic(),
                                                      w: its own wait for a CPU so far),
                                                      {"event": "cell", ...} per notebook cell,
                                                      {"event": "ready", "load": report, "at": t,
                                                       "waited": w}
  grader -> {"op": "begin", "check": id}    worker -> {"event": "begun", "pid": n}
  grader -> {"op": "call", ...}             worker -> {"event": "result", "results": [...]}
  grader -> {"op": "end"}                   worker -> {"event": "ended", "status": ...}
A call with "count_lines": true also says, per call, how many lines of the submission's own code
it ran ("lines_run") and which lines ran most ("busiest"): see lines_run.py.
Where fork exists, "begin" forks a child that serves the check's calls and exits at "end", so
whatever a check's calls do to the interpreter (monkeypatching numpy, global state) dies with it.
If the child dies mid-check, the parent reports {"event": "ended", "crashed": true, ...} in place
of the reply the grader is waiting for.
  grader -> {"op": "run", "check": id, "requests": [call, ...]}
                          worker -> {"event": "answer", ...} per request, {"event": "ran"}, "ended"
"run" is a whole check in one request: a forked child answers every request of a check the grader
has seen pass before (grader/replay.py), in order, exactly as it would answer them one by one,
through the same fork and serving loop: the frames above a call are the same in both.
"""
from __future__ import annotations

import sys as _sys
# What an interpreter holds before any import of the worker's: a student's file of one of those
# names is hidden on the student's machine too (stdlib_shadows.py).
_AT_START = frozenset(_sys.modules)

import collections
import contextlib
import errno
import gc
import importlib
import os
import random
import re
import signal
import stat
import sys
import time
import traceback
import types
from pathlib import Path

# -P leaves the script's own folder off sys.path (grader/isolation.py WORKER_FLAGS; 3.10 has no
# -P and puts it first); the worker's modules live there.
WORKER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, WORKER_DIR)
# The collector stays off while the worker loads numpy and its own modules: it walked numpy's new
# objects again and again as they were made, about 4% of the CPU a worker's start costs (perf,
# 10 starts). It is on again, below, before anything of the submission runs.
gc.disable()
import numpy as np  # noqa: E402
# numpy loads these on first use; loaded here, once, rather than again in every check's fork.
import numpy.linalg  # noqa: E402,F401
import numpy.random  # noqa: E402,F401

import between_checks  # noqa: E402
import capture  # noqa: E402
import import_gate  # noqa: E402
import kept  # noqa: E402
import limits  # noqa: E402
import lines_run  # noqa: E402
import loader  # noqa: E402
import missing_axes  # noqa: E402
import missing_imports  # noqa: E402
import notebook_cells  # noqa: E402
import own_clock  # noqa: E402
import reaches  # noqa: E402
import reseeding  # noqa: E402
import stdlib_shadows  # noqa: E402
import wire  # noqa: E402

# What the worker loaded lives as long as it does: kept out of every later collection's walks.
gc.freeze()
gc.enable()
# From here on, os, sys and time are the worker's own copies (kept.py): a submission that replaces
# os._exit, os.fork or os.waitpid changes what its own code calls, not what the worker calls.
os = kept.copy_of(os)  # noqa: F811
sys = kept.copy_of(sys)  # noqa: F811
time = kept.copy_of(time)  # noqa: F811

CALL_SEED = 1234
# Where numpy and the standard library are installed, as printed in their warnings' locations.
LIBRARY_HOMES = (os.path.dirname(os.path.dirname(os.path.abspath(np.__file__))) + os.sep,
                 os.path.dirname(os.path.abspath(os.__file__)) + os.sep)


# A warning raised inside numpy, as Python prints it: where in numpy, then that line of numpy.
_INSIDE_NUMPY = re.compile(r"^numpy/[^\n:]*\.py:\d+: (?P<warning>\w+: [^\n]*)\n(?:[ \t]+[^\n]*\n)?",
                           re.MULTILINE)


class DatasetExhausted(RuntimeError):
    """The student drew more indices than the grader's stream holds."""


class Dataset:
    """The word2vec dataset student code receives: replays the grader's index stream."""

    def __init__(self, stream: tuple[int, ...]) -> None:
        self._stream = stream
        self.draws = 0

    def sampleTokenIdx(self) -> int:  # noqa: N802 (the assignment's name)
        if self.draws >= len(self._stream):
            raise DatasetExhausted(
                f"dataset.sampleTokenIdx() was called more than {len(self._stream)} times in one call")
        value = self._stream[self.draws]
        self.draws += 1
        return value

    def __repr__(self) -> str:
        return "dataset"


def _describe_exception(exc: BaseException, root: Path) -> dict:
    try:
        text = str(exc)
    except BaseException:
        text = "<the exception's message could not be printed>"
    if not isinstance(text, str):
        text = "<the exception's message is not text>"
    frames = []
    try:
        for frame in traceback.extract_tb(exc.__traceback__):
            path = Path(frame.filename)
            if path.is_absolute() and path.resolve().is_relative_to(root):
                frames.append({"file": str(path.resolve().relative_to(root)), "line": frame.lineno,
                               "function": frame.name, "code": (frame.line or "")[:200]})
    except BaseException:
        frames = []
    # Read through type's own descriptor (wire.class_name): a metaclass whose __getattribute__
    # raised on __name__ ended the worker, and its student was told to tell the instructor.
    name = wire.class_name(type(exc), qualified=False)
    if name == wire.UNNAMED_CLASS:
        name = "an exception whose class cannot be named"
    if isinstance(exc, SystemExit):
        text = f"sys.exit({exc.code!r})"[:200]
    if isinstance(exc, ModuleNotFoundError):
        text += _did_you_mean(exc, text)
    described = {"type": name[:100], "message": text[:2000], "traceback": frames[-8:]}
    try:
        axes = missing_axes.missing_axes(exc, root)
    except BaseException:  # noqa: BLE001 (a lying frame: no finding)
        axes = []
    if axes:
        described["axes"] = axes
    if isinstance(exc, NameError):
        # `softmx` beside softmax is the student's typo, not a star import's missing name: the
        # grader names the import only for a name nothing near it was (recheck probe s57).
        try:
            described["near_spelling"] = loader.a_typo(exc)
        except BaseException:  # noqa: BLE001 (a lying frame: no finding)
            pass
    return described


def _did_you_mean(exc: ModuleNotFoundError, text: str) -> str:
    """" (did you mean numpy?)" for an import inside a graded function of a module that is not
    installed, one edit from a module the submission has or uses (missing_imports.near_module):
    `import nunpy` in sigmoid said only "No module named 'nunpy'" (probe s61). Not for a
    stand-in's error (its message says it already), nor for a module the gate refuses."""
    if isinstance(exc, missing_imports.StandInError) or import_gate.WHY in text:
        return ""
    try:
        near = missing_imports.near_module(str(exc.name or ""))
    except BaseException:  # noqa: BLE001 (a lying exception: no guess)
        return ""
    return f" (did you mean {near}?)" if near else ""


def _drain(generator: types.GeneratorType) -> wire.Iterated:
    """A generator's items, run here, within the call (its prints captured, its time the call's):
    a check that grades a generator sees what it yielded, in order, and whether it raised."""
    items: list = []
    try:
        for item in generator:
            items.append(item)
            if len(items) >= wire.MAX_YIELDED:
                return wire.Iterated(tuple(items), complete=False)
    except BaseException as exc:  # SystemExit inside the generator too: the call's error
        described = _describe_exception(exc, Path.cwd())
        return wire.Iterated(tuple(items), error=f"{described['type']}: {described['message']}")
    return wire.Iterated(tuple(items))


def _own_output() -> set[str]:
    """The file this worker's stderr (and C-level stdout) goes to, which the grader reads: never
    put back between checks."""
    try:
        return {os.readlink("/proc/self/fd/2")}
    except OSError:
        return set()


def _step_aside() -> None:
    """Free the names of the worker's own modules (loader, capture, wire, ...) for the
    submission: a student's helper file `loader.py` that q2_sigmoid.py imports must be the
    student's, not the worker's (a correct upload scored 15 of 100). The worker's modules keep
    one another as they were bound at import time; nothing imports them by name again."""
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None)
        if name != "__main__" and isinstance(where, str) \
                and os.path.dirname(os.path.abspath(where)) == WORKER_DIR:
            del sys.modules[name]
    # Every entry naming it: on 3.10 the interpreter put the script's folder there too.
    sys.path[:] = [entry for entry in sys.path
                   if not isinstance(entry, str) or os.path.abspath(entry) != WORKER_DIR]


# numpy loads numpy.ma on the first use of np.ma, and of np.unique (which asks np.ma.is_masked):
# in every check's fork that calls one, some 12 ms of CPU, 0.2 CPU-s of a grade (cProfile of the
# forks, s61). Loaded once, before the submission runs, where the upload's code names either;
# never for the others, whose start it would slow by as much.
_NAMES_NUMPY_MA = re.compile(rb"\bunique\b|\bma\b|masked")
MA_SCAN_BYTES = 4 << 20


def _load_numpy_ma_if_named(root: Path) -> None:
    budget = MA_SCAN_BYTES
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if not (name.endswith((".py", ".ipynb"))
                        and stat.S_ISREG(os.lstat(path).st_mode)):  # (a named pipe would block)
                    continue
                with open(path, "rb") as f:
                    text = f.read(budget)
            except OSError:
                continue
            if _NAMES_NUMPY_MA.search(text):
                importlib.import_module("numpy.ma")
                return
            budget -= len(text)
            if budget <= 0:
                return


class Server:
    def __init__(self, rfile, wfile, config: dict) -> None:
        self.rfile, self.wfile, self.config = rfile, wfile, config
        self.functions: dict = {}
        self.folders: between_checks.Folders | None = None
        self.root = Path(".").resolve()
        self.output_limit = int(config.get("output_limit", 64 * 1024))
        # The calls of the check being replayed ("run"), still to answer; None for a live check
        # (its calls come from the pipe), and how many of the run's answers were sent.
        self._queued: collections.deque[tuple[dict, list[bytes]]] | None = None
        self._replies = 0

    def relative(self, text: str) -> str:
        """Paths as the student knows them: the scratch folder's name changes on every run; and
        numpy's warnings ("numpy/_core/fromnumeric.py:83: RuntimeWarning: overflow") without
        where the grader's machine installed it, which is no path of the student's, nor the
        file, line and code inside numpy, which change with numpy's version (fromnumeric.py:83
        on 2.4, :86 on 2.2, numpy/core/ on 1.x): "numpy: RuntimeWarning: overflow"."""
        if not text:  # what almost every call printed
            return text
        text = text.replace(str(self.root) + os.sep, "")
        for home in LIBRARY_HOMES:
            text = text.replace(home, "")
        return _INSIDE_NUMPY.sub(r"numpy: \g<warning>\n", text)

    def send(self, header: dict, blobs: list[bytes] | None = None) -> None:
        self.wfile.write(wire.message(header, blobs))
        self.wfile.flush()

    def start(self) -> None:
        cfg = self.config
        info = {"event": "ready", "pid": os.getpid(), "python": sys.version.split()[0],
                "numpy": np.__version__, "fork": hasattr(os, "fork") and cfg.get("fork", True)}
        info["limits"] = limits.apply(cfg.get("limits", {}))
        between_checks.become_subreaper()
        scratch_root = os.getcwd()
        try:
            named = (os.fsdecode(bytes.fromhex(cfg["submission_fs"])) if "submission_fs" in cfg
                     else cfg["submission"])
            self.root = loader.lay_out(Path(named), Path.cwd(), tuple(cfg.get("layout", ())),
                                       tuple(cfg.get("functions", ()))).resolve()
            if cfg.get("support"):
                # The course's support files sit in the working folder (grader/proxy.py):
                # importable after the submission's own files, which keep precedence.
                sys.path.append(str(Path.cwd()))
                if isinstance(cfg["support"], list):
                    loader.support_beside(self.root, Path.cwd(), cfg["support"])
            _load_numpy_ma_if_named(self.root)
            _step_aside()
            stdlib_shadows.free(self.root, _AT_START)
            # The generators a draw at import reads, seeded as before every call: with the hash
            # seed fixed (grader/isolation.py WORKER_FLAGS), an import runs the same every time.
            random.seed(CALL_SEED)
            np.random.seed(CALL_SEED)
            reseeding.install()
            if cfg.get("import_gate", True):
                import_gate.install(WORKER_DIR)
            with capture.captured(self.output_limit) as out:
                # Each notebook cell is announced before it runs: when the import deadline
                # kills the worker, the grader has already read which cell was running. (A file
                # in the scratch folder would do too, but the grader unmounts that folder when
                # it kills the worker; a frame on the pipe needs nothing but the pipe.)
                seconds = cfg.get("import_seconds")
                # The submission's import deadline starts here, on both sides of the pipe: the
                # worker's own start (the interpreter, numpy: a second on a cold disk) is the
                # grader's time, not the student's (grader/proxy.py's _await_ready).
                began = own_clock.now()
                # Stamped here: the grader may read the frame late (grader/proxy.py _stamps).
                self.send({"event": "importing", "at": time.monotonic(),
                           "waited": own_clock.waited()})
                self.functions, report = loader.import_submission(
                    self.root, cfg["functions"], cfg.get("shim_xrange", True),
                    cfg.get("layout", ()), shim_numpy=cfg.get("shim_numpy", True),
                    on_cell=lambda info: self.send({"event": "cell", **info}),
                    budget=notebook_cells.Budget(float(seconds), began) if seconds else None,
                    output=out, hung=cfg.get("hung", ()))
            report["output"] = self.relative(out.text)
            report["output_dropped"] = out.dropped
            try:
                report["reaches"] = reaches.graded_callees(self.functions, self.root,
                                                           tuple(cfg["functions"]))
                report["globals_like_parameters"] = reaches.globals_like_parameters(
                    self.functions)
            except Exception:  # noqa: BLE001 (then the pack's manifest says who calls whom)
                pass
        except loader.LoadError as exc:
            report = {"fatal": str(exc), "functions": {}, "errors": [], "files": []}
        info["load"] = report
        # What each check finds, as the import left it (and no process the import started).
        between_checks.end_leftover_processes()
        # The scratch folder is the only place a worker may write (in the sandbox; elsewhere
        # /tmp and the like are shared with the machine, and the README says so).
        self.folders = between_checks.Folders([scratch_root], skip=_own_output())
        # Every check forks from here: objects frozen now are never walked by the children's
        # collector, so their pages stay shared instead of being copied on every fork.
        gc.freeze()
        self.send({**info, "at": time.monotonic(), "waited": own_clock.waited()})

    def serve(self) -> None:
        while True:
            try:
                header, blobs = wire.read_frame(self.rfile)
            except EOFError:
                return
            op = header.get("op")
            if op in ("begin", "run"):
                # What the check's fork is to serve is kept on the server, and nothing left in
                # this frame says which: its locals are on the stack of every call the check
                # makes, and a function that read "run" there answered a replayed check rightly
                # and a live one wrongly (probe s61).
                self._queue(header, blobs)
                header = blobs = op = None
                self.check()
            elif op == "call":  # a check without fork
                self.call(header, blobs)
            elif op == "end":
                self.send({"event": "ended", "status": 0, "crashed": False})
            elif op == "quit":
                return
            else:
                self.send({"event": "error", "message": f"unknown op {op!r}"})

    def _queue(self, header: dict, blobs: list[bytes]) -> None:
        """Keep the calls of a "run" (None for "begin": they come one by one), each as a live
        check's "call" request would be, with its own blobs."""
        self._replies = 0
        if header.get("op") != "run":
            self._queued = None
            return
        self._queued = collections.deque(
            ({"op": "call", **{k: v for k, v in request.items() if k != "blob_range"}},
             _slice(blobs, request)) for request in header.get("requests", []))

    def check(self) -> None:
        """One check, live ("begin") or replayed ("run"), in a forked child that serves its calls
        and exits; whatever its calls did to the interpreter dies with it. Without fork a live
        check's calls come to `serve` (and a run is refused: the grader then runs the check
        live, call by call)."""
        if not (hasattr(os, "fork") and self.config.get("fork", True)):
            if self._queued is not None:
                self._queued = None
                self.send({"event": "ran", "refused": "no fork"})
                self.send({"event": "ended", "status": 0, "crashed": False})
            else:
                self.send({"event": "begun", "pid": os.getpid()})
            return
        pid = os.fork()
        if pid == 0:
            try:
                self.serve_check()
            except BaseException as exc:
                _exit_for(exc)
            os._exit(0)
        self._report_end(pid)
        self._tidy()

    def _tidy(self) -> None:
        """After a check (its "ended" already sent: the grader is not kept waiting), take away
        what it left for the next (between_checks.py)."""
        between_checks.end_leftover_processes()
        if self.folders is not None:
            self.folders.restore()
            try:  # the working folder, if the check removed it and it was made again
                os.chdir(self.root)
            except OSError:
                pass

    def _report_end(self, pid: int) -> None:
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            self.send({"event": "ended", "crashed": True, "signal": os.WTERMSIG(status)})
        else:
            code = os.WEXITSTATUS(status)
            self.send({"event": "ended", "crashed": code != 0, "exit_code": code})

    def serve_check(self) -> None:
        """In the forked child: serve the check's calls until it ends. A live check's come from
        the pipe one by one until "end"; a replayed check's are all here already, each answer
        sent as soon as it is ready (the grader holds each to its own deadline), then "ran"."""
        if self._queued is None:
            self.send({"event": "begun", "pid": os.getpid()})
        while True:
            request = self._next_request()
            if request is None:
                break
            self.call(*request)
        sys.stdout.flush()
        os._exit(0)

    def _next_request(self) -> tuple[dict, list[bytes]] | None:
        """The check's next call request, or None when the check is over."""
        if self._queued is None:
            try:
                header, blobs = wire.read_frame(self.rfile)
            except EOFError:
                return None
            # "end" (anything else ends the check too: the parent answers)
            return (header, blobs) if header.get("op") == "call" else None
        if self._queued:
            return self._queued.popleft()
        if self._replies >= 0:
            self.send({"event": "ran"})
        return None

    def call(self, header: dict, blobs: list[bytes]) -> None:
        started = time.monotonic()
        reply, reply_blobs = self.answer(header, blobs)
        if self._queued is not None:
            self._answer_of_run(reply, reply_blobs, time.monotonic() - started)
            return
        try:
            self.send(reply, reply_blobs)
        except wire.WireError:  # answers that pass the bound alone, but not together
            self.send({"event": "result", "results": [{"ok": False, "error": _too_large(
                f"returned more than the {_mib(wire.MAX_FRAME_BYTES)} MiB the grader takes from "
                "one request (its answers to the request's calls, together)")}]})

    def _answer_of_run(self, reply: dict, reply_blobs: list[bytes], seconds: float) -> None:
        """One answer of a replayed check, numbered; one too large ends the run (the grader then
        runs the check live)."""
        reply.update(event="answer", index=self._replies, seconds=seconds)
        self._replies += 1
        try:
            self.send(reply, reply_blobs)
        except wire.WireError:
            self.send({"event": "ran", "refused": "an answer too large"})
            self._queued.clear()
            self._replies = -1  # "ran" is said

    def answer(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """The reply to one call request: each argument tuple in turn, up to the first error."""
        name = header.get("function")
        fn = self.functions.get(name)
        if fn is None:
            return {"event": "result", "results": [
                {"ok": False, "error": {"type": "LookupError", "message": f"{name} is not available",
                                        "traceback": []}}]}, []
        batch = wire.decode_value(header["calls"], blobs)
        me = os.getpid()
        echo = bool(header.get("echo_args"))
        count_lines = bool(header.get("count_lines"))
        out_blobs: list[bytes] = []
        room = wire.MAX_FRAME_BYTES  # for the arrays of this request's answers, all together
        results = []
        for args in batch:
            datasets = []
            live = []
            for arg in args:
                if isinstance(arg, wire.ReplayDataset):
                    ds = Dataset(arg.stream)
                    datasets.append(ds)
                    live.append(ds)
                else:
                    live.append(arg)
            random.seed(CALL_SEED)
            np.random.seed(CALL_SEED)
            counter = lines_run.LineCounter(str(self.root)) if count_lines else None
            with capture.captured(self.output_limit) as out:
                reseeding.begin()
                try:
                    with counter if counter is not None else contextlib.nullcontext():
                        value = fn(*live)
                        if isinstance(value, types.GeneratorType):
                            value = _drain(value)
                    entry = {"ok": True}
                except BaseException as exc:
                    entry = {"ok": False, "error": _describe_exception(exc, self.root)}
                seeded = reseeding.end()
            _leave_if_forked(me)
            if counter is not None:
                entry.update(counter.report())
            entry["output"] = self.relative(out.text)
            entry["output_dropped"] = out.dropped
            entry["draws"] = [ds.draws for ds in datasets]
            if seeded:
                entry["seeded"] = seeded
            if entry["ok"]:
                try:
                    node, extra = wire.encode_value(value, limit=room)
                except wire.TooLarge as exc:
                    entry = {"ok": False, "error": _too_large("returned " + _arrays_over(exc))}
                except BaseException as exc:
                    entry = {"ok": False, "error": _describe_exception(exc, self.root)}
                else:
                    entry["value"] = _rebase(node, extra, out_blobs)
                    room -= extra.total
                    if extra.matrices:  # always 2-D: the grader says so if the check fails
                        entry["matrix"] = True
            if echo:
                kept = tuple(a for a in live if not isinstance(a, Dataset))
                try:
                    node, extra = wire.encode_value(kept, limit=room)
                except wire.TooLarge as exc:  # a list argument grown in place, say
                    entry = {"ok": False, "error": _too_large(
                        "left its arguments holding " + _arrays_over(exc))}
                else:
                    entry["args_after"] = _rebase(node, extra, out_blobs)
                    room -= extra.total
            _leave_if_forked(me)
            results.append(entry)
            if not entry["ok"]:
                break
        return {"event": "result", "results": results}, out_blobs


def _mib(size: int) -> str:
    return f"{size / 2**20:g}"


def _arrays_over(exc: wire.TooLarge) -> str:
    shape = "(" + ", ".join(str(n) for n in exc.shape) + ("," if len(exc.shape) == 1 else "") + ")"
    which = (f"a {exc.dtype} array of shape {shape}" if exc.arrays == 1 else
             f"{exc.arrays} arrays, the last of dtype {exc.dtype} and shape {shape}")
    return (f"{exc.total:,} bytes ({which}), more than the {_mib(exc.limit)} MiB the grader takes "
            "from one request")


def _too_large(text: str) -> dict:
    """An answer the grader cannot take, as the call's error: `text` follows the function's name
    (grader/proxy.py StudentError.describe)."""
    return {"type": "ResultTooLarge", "message": text, "traceback": []}


def _leave_if_forked(me: int) -> None:
    """A process the student's code forked, back from the call in this process's place: it ends
    here, silently. Were it to answer too, two answers would reach the grader for one call, and
    the next call's reply would be the wrong one."""
    if os.getpid() != me:
        os._exit(0)


def _slice(blobs: list[bytes], request: dict) -> list[bytes]:
    """The blobs of one request of a "run" (each names its range in the frame's blobs)."""
    first, count = (int(n) for n in request.get("blob_range", (0, 0)))
    return blobs[first:first + count]


def _rebase(node, extra: list[bytes], into: list[bytes]):
    """Renumber the blob references of `node` so that its blobs can join `into`."""
    offset = len(into)
    into.extend(extra)
    return _shift_node(node, offset)


def _shift_node(node, offset: int):
    if isinstance(node, dict):
        if node.get("t") == "nd":
            return {**node, "blob": node["blob"] + offset}
        if node.get("t") == "dict":  # its items are a mapping: a returned dict of gradients
            return {**node, "items": {k: _shift_node(v, offset) for k, v in node["items"].items()}}
        if "items" in node:
            return {**node, "items": [_shift_node(x, offset) for x in node["items"]]}
    return node


def main() -> None:
    # The pipes to the grader move to private descriptors; student code sees /dev/null for stdin,
    # and C-level writes to stdout land in the file the grader gave as stderr (bounded by the
    # file-size limit). Python-level prints are captured per call by capture.captured.
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    rfile = os.fdopen(rfd, "rb")
    wfile = os.fdopen(wfd, "wb")
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        header, _ = wire.read_frame(rfile)
        server = Server(rfile, wfile, header)
        server.start()
        server.serve()
        wfile.flush()
    except BaseException as exc:
        _exit_for(exc)
    # Told to quit (or the grader is gone): end now. No interpreter teardown for the grader to
    # wait out, and no exit handler a submission registered gets to run.
    os._exit(0)


def _exit_for(exc: BaseException) -> None:
    """End this process for an exception the worker's own code raised (student code's are caught
    where it is called). Failing pipes (EBADF, EPIPE) mean the submission closed or replaced their
    descriptors; anything else, that it replaced something of Python's or numpy's the worker uses
    too (random.seed, json.dumps), used up the memory, or that the worker has a bug. Each has a
    status of its own (wire.py) that the grader words for the student; the traceback goes to
    stderr for an instructor, and the grader never quotes it."""
    if isinstance(exc, OSError) and exc.errno in (errno.EBADF, errno.EPIPE):
        os._exit(wire.LOST_PIPES_STATUS)
    try:
        os.write(2, wire.WORKER_TRACEBACK_MARK)
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    except BaseException:
        pass
    try:
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        os.write(2, wire.WORKER_TRACEBACK_END)
    except BaseException:
        pass
    os._exit(wire.WORKER_FAILED_STATUS)


if __name__ == "__main__":
    main()
