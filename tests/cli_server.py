"""Start `python -m grader` for the tests without paying for its imports every time.

The suite runs the command line about 560 times, and each run spends about 0.45 CPU-s importing
numpy, pytest, hypothesis and the grader before it grades anything: about 15% of the suite's CPU
time. A server process imports them once; each run is then a child forked from it,
which does what a fresh `python -m grader` does from there on (its own process, environment,
working folder, standard streams and exit status; its workers are started as always).

What a fork cannot give a run is a fresh interpreter: a run whose environment changes how Python
or numpy start (PYTHON*, locale, thread counts) is an ordinary subprocess instead. The runs
alternate between two servers, each with a hash seed of its own, so that two runs a test compares
do not share one either. Anything that goes wrong with a server sends its runs to subprocesses.
"""
from __future__ import annotations

import io
import json
import locale
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SERVERS = 2
MAX_STARTUPS = 3  # start-up environments given servers of their own
# Read while the interpreter or numpy starts, so a forked run could not honour a change of them.
STARTUP_PREFIXES = ("PYTHON", "LANG", "LC_", "OMP_", "OPENBLAS_", "MKL_", "HYPOTHESIS")
# What `autograde grade` and `autograde batch` import before they grade.
PRELOAD = ("numpy", "pytest", "hypothesis", "jinja2", "grader.cli", "grader.session",
           "grader.grading", "grader.batch", "grader.server", "grader.render.html")


class _Server:
    def __init__(self, folder: Path, index: int, env: dict[str, str]) -> None:
        self.path = str(folder / f"cli-{index}.sock")
        code = (f"import sys; sys.path.insert(1, {str(TESTS)!r}); import cli_server; "
                f"cli_server.serve({self.path!r})")
        self.env = dict(env)
        with open(folder / f"cli-{index}.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=self.env,
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=log)

    def ready(self, wait: float = 30.0) -> bool:
        deadline = time.monotonic() + wait
        while not os.path.exists(self.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # the server ends at the end of its input
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Runner:
    """Runs `python -m grader ARGS` as subprocess.run(..., capture_output=True, text=True) does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[tuple, list[_Server]] = {}
        self._seen: set[tuple] = set()
        self._turn = 0
        self._folder = Path(tempfile.mkdtemp(prefix="autograde-cli-"))

    def _server_for(self, env: dict[str, str], cwd: Path) -> _Server | None:
        """A server whose interpreter started as this run's would, or None: a run in a folder
        of its own `grader` would import that one, and a start-up environment seen only once is
        not worth a server."""
        if os.name != "posix" or (cwd.resolve() != ROOT and (cwd / "grader").exists()):
            return None
        signature = tuple(sorted((k, v) for k, v in env.items() if k.startswith(STARTUP_PREFIXES)))
        with self._lock:
            if signature not in self._servers:
                if signature not in self._seen or len(self._servers) >= MAX_STARTUPS:
                    self._seen.add(signature)
                    return None
                self._servers[signature] = [
                    _Server(self._folder, len(self._servers) * SERVERS + i, env)
                    for i in range(SERVERS)]
            self._turn += 1
            pair = self._servers[signature]
            server = pair[self._turn % len(pair)]
        return server if server.ready() else None

    def run(self, args: list[str], env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess:
        """One run: through a server where one fits (see _server_for), else a subprocess."""
        command = [sys.executable, "-m", "grader", *args]
        server = self._server_for(env, Path(cwd))
        if server is None:
            return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env,
                                  timeout=timeout)
        with tempfile.TemporaryDirectory(dir=self._folder) as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"args": list(args), "env": env, "cwd": str(cwd), "stdout": str(out),
                       "stderr": str(err)}
            try:
                status = _ask(server.path, request, timeout)
            except _Timeout as late:
                raise subprocess.TimeoutExpired(command, timeout, _text(out), _text(err)) from late
            except OSError:  # the server is gone: the run as it would be without one
                return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env,
                                      timeout=timeout)
            return subprocess.CompletedProcess(command, status, _text(out), _text(err))

    def close(self) -> None:
        for pair in self._servers.values():
            for server in pair:
                server.close()
        shutil.rmtree(self._folder, ignore_errors=True)


class _Timeout(Exception):
    pass


def _ask(path: str, request: dict, timeout: float) -> int:
    """Send one run to a server; its exit status (negative: the signal that ended it)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn, \
            conn.makefile("rb") as reader:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        pid = None
        try:
            pid = json.loads(reader.readline())["pid"]
            conn.settimeout(max(0.0, deadline - time.monotonic()))
            line = reader.readline()
        except TimeoutError:  # an OSError too: caught here, not taken for a server gone
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
            raise _Timeout(pid) from None
        if not line:
            raise ConnectionError("the server ended before the run did")
        return int(json.loads(line)["status"])


def _text(path: Path) -> str:
    """A captured stream as text=True reads it: the locale's encoding, universal newlines."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


# The server side.

def serve(path: str) -> None:
    import importlib

    import gc
    gc.disable()  # as `python -m grader` does while it imports (grader/__main__.py)
    from grader.blas_threads import one_thread
    one_thread()  # as it does too, before numpy loads
    for name in PRELOAD:
        importlib.import_module(name)
    gc.enable()
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(64)
    os.rename(path + ".new", path)  # the client waits for the name: it appears ready
    waiting: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "reap")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    return
            elif key.data == "reap":
                try:
                    while wake_r.recv(4096):
                        pass
                except BlockingIOError:
                    pass
                _reap(waiting)
            else:
                conn, _ = listener.accept()
                request = json.loads(conn.makefile("rb").readline())
                pid = os.fork()
                if pid == 0:
                    for sock in (listener, wake_r, wake_w, conn, *waiting.values()):
                        sock.close()
                    _child(request)  # never returns
                waiting[pid] = conn
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _reap(waiting)


def _reap(waiting: dict[int, socket.socket]) -> None:
    while waiting:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = waiting.pop(pid, None)
        if conn is not None:
            code = os.waitstatus_to_exitcode(status)
            try:
                conn.sendall(json.dumps({"status": code}).encode() + b"\n")
            except OSError:
                pass
            conn.close()


def _child(request: dict) -> None:
    """In the forked child: become `python -m grader ARGS` run in the request's folder, with its
    environment and streams, then exit as the interpreter would."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # chosen again from this environment's TMPDIR
        sys.path[:] = [p for p in sys.path if p != str(TESTS)]
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.close(null)
        import grader
        sys.argv = [str(Path(grader.__file__).with_name("__main__.py")), *request["args"]]
        from grader.__main__ import run
        try:
            run()  # exits itself when nothing is left running
            code = 0
        except SystemExit as stop:
            code = _exit_code(stop)
        except BaseException:  # what an uncaught exception does to a real interpreter
            import traceback
            traceback.print_exc()
            code = 1
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        import atexit
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _exit_code(stop: SystemExit) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1
