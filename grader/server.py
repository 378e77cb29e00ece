"""A warm grader: one process that grades many submissions in turn, for `autograde batch`.

Starting a grader costs more than grading: Python, numpy, pytest and hypothesis load, the checks
are collected, and hypothesis searches for examples. A server pays that once and then grades
submission after submission, each exactly as `autograde grade` would (the same arguments, the
same grading call), each in a fresh worker process of its own. What it keeps between submissions is
only what does not depend on any of them: loaded modules, and the recipes of checks
(grader/replay.py), which make later submissions cheaper without changing any verdict.

Protocol, one JSON document a line: the client sends the argument list of `autograde grade`
(`["UPLOAD", "--json", "R.json", ...]`); the server parses it as the command line does
(grader/grade_command.py), grades through the same call (grader/grading.py), writes the reports
the arguments ask for, and answers `{"status": N}`, N being the exit status `autograde grade`
would have had. It never calls the command line itself.
Student code never runs in this process (grader/proxy.py), so nothing a submission does can stay
behind in it; a grader that fails anyway is stopped and replaced by the client.
"""
from __future__ import annotations

import gc
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import IO, Any

# Submissions a server grades before a fresh one replaces it: a backstop only (its memory stayed
# flat, 68 MiB after the first submission and 77 MiB from the 40th to the 120th).
RECYCLE_AFTER = 250


def serve(requests: IO[str], replies: IO[str]) -> int:
    """Grade each request line read from `requests`; answer each on `replies`."""
    # Imported here: a client (grader/task.py, in a batch) needs GraderServer, not the grader.
    from grader.replay import RecipeBook

    books: dict[tuple, RecipeBook] = {}
    for line in requests:
        try:
            argv = json.loads(line)
            if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
                raise ValueError("expected a list of strings")
        except ValueError as exc:
            replies.write(json.dumps({"status": 2, "error": f"bad request: {exc}"}) + "\n")
            replies.flush()
            continue
        before = _counts(books)
        crashed = ""
        try:
            status = _grade(argv, books)
        except Exception as exc:  # noqa: BLE001 (a bug of the grader's: said, and served on)
            # Left to end the server, it read as a kill: "the grader exited with status -9;
            # regrade with --force", which fails the same way. The submission's worker is gone
            # (the grade's own cleanup ran as the exception passed); the next grade is fresh.
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
            from grader import crash
            status, crashed = 70, crash.describe(exc)  # 70: `autograde grade`'s (grader/cli.py)
        replayed, live = (now - then for now, then in zip(_counts(books), before))
        # The counts say how the verdicts were reached (tests hold the replay to account by them).
        reply: dict[str, Any] = {"status": status, "replayed": replayed, "live": live}
        if crashed:
            reply["crashed"] = crashed
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


def _grade(argv: list[str], books: dict) -> int:
    """Grade as `autograde grade ARGV` would, through the same call (grader/grading.py); return
    the exit status it would have had. What it would print on stderr goes to stderr, which the
    client shows when the status is not 0."""
    from grader import grade_command, grading

    try:
        args = grade_command.parser().parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors, already printed on stderr
        return exc.code if isinstance(exc.code, int) else 2
    try:
        result = grading.grade_to_files(**grade_command.keywords(args), recipe_books=books)
    except (grading.UsageError, grading.ChecksBroken) as exc:
        print(f"autograde grade: {exc}", file=sys.stderr, flush=True)
        return 2
    return 1 if grade_command.below(args, result) else 0


def _counts(books: dict) -> tuple[int, int]:
    return (sum(b.replayed for b in books.values()), sum(b.live for b in books.values()))


def _end_with_the_client(every: float = 0.5) -> None:
    """End this server, and what runs in its session, once the process that started it is
    gone. A batch killed outright (a cancelled CI job, the OOM killer) cannot stop its servers,
    which run in sessions of their own: one went on to its deadline and then wrote its reports
    into the task folder the next grader had swept away as the dead batch's, making it again
    for good. Nobody reads them now; stopping at once leaves only dead owners' folders."""
    client = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != client:
                if hasattr(os, "killpg"):
                    os.killpg(0, signal.SIGKILL)
                os._exit(1)  # where there are no process groups to kill

    threading.Thread(target=watch, name="end-with-the-client", daemon=True).start()


def main() -> int:
    gc.disable()  # while the grader loads; settle_heap() turns it back on (see there)
    from grader.blas_threads import one_thread
    one_thread()  # before anything imports numpy
    _end_with_the_client()
    # The protocol gets the real stdout; anything else printed (a report on the terminal, a
    # stray print) goes to stderr, which the client keeps in a file.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", encoding="utf-8", buffering=1)
    from grader import grade_command, grading, replay  # noqa: F401 (loaded before settling)
    from grader import spare_worker
    from grader.session import settle_heap
    settle_heap()
    # Each grade's worker is started while the grade before it runs (grader/spare_worker.py).
    spare_worker.enable()
    return serve(sys.stdin, replies)


class GraderServer:
    """The client's handle on one server process: started on first use, replaced when it fails,
    hangs past a job's wall-clock limit, or has graded RECYCLE_AFTER submissions."""

    def __init__(self, recycle_after: int = RECYCLE_AFTER) -> None:
        self.recycle_after = recycle_after
        self._proc: subprocess.Popen | None = None
        self._replies: queue.Queue = queue.Queue()
        self._log: IO[bytes] | None = None
        self._jobs = 0
        self._lock = threading.Lock()
        self.stopped = False
        self.last_reply: dict[str, Any] = {}

    def grade(self, argv: list[str], wall_seconds: float) -> tuple[int | None, str]:
        """Run `autograde grade ARGV` in the server: (its exit status, what it wrote on stderr
        when that is not 0) or, when the server gave no answer, (None, why, with the end of what
        it wrote on stderr). `last_reply` keeps the server's whole answer."""
        with self._lock:
            if self.stopped:
                return None, "stopped"
            if self._proc is None or self._proc.poll() is not None or self._jobs >= self.recycle_after:
                self._restart()
            proc, log = self._proc, self._log
            assert proc is not None and log is not None
            mark = log.seek(0, os.SEEK_END)
            self._jobs += 1
        try:
            proc.stdin.write((json.dumps(argv) + "\n").encode("utf-8"))
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reader sees the end
        try:
            kind, reply = self._replies.get(timeout=wall_seconds)
        except queue.Empty:
            kind, reply = "timeout", None
        if kind == "reply" and isinstance(reply, dict) and isinstance(reply.get("status"), int):
            self.last_reply = reply
            return reply["status"], ("" if reply["status"] == 0 else self._tail(log, mark))
        self.kill()
        if self.stopped:
            return None, "stopped"
        if kind == "timeout":
            why = f"the grader did not finish within {wall_seconds:g} s and was stopped"
        else:
            why = f"the grader exited with status {proc.wait()}"
        return None, why + self._tail(log, mark)

    def _restart(self) -> None:
        self.kill()
        if self._log is not None:
            self._log.close()
        self._log = tempfile.TemporaryFile()  # a file: however much is written, memory stays flat
        self._replies = queue.Queue()
        self._jobs = 0
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "grader.server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, start_new_session=True)
        threading.Thread(target=_read_replies, args=(self._proc.stdout, self._replies),
                         daemon=True).start()

    def kill(self) -> None:
        """Stop the server and everything in its session (its workers)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        # Killed outright, it cleaned up nothing: what its workers left running (a process
        # isolated worker is a session of its own), its scratch folders and cgroups go now.
        from grader import containment, leftovers
        containment.kill_left_by(proc.pid)
        leftovers.sweep()

    def stop(self) -> None:
        """At the end of a batch, or when it is interrupted: stop now, refuse further jobs."""
        self.stopped = True
        self.kill()
        if self._log is not None:
            self._log.close()

    def close(self) -> None:
        with self._lock:
            self.kill()
            if self._log is not None:
                self._log.close()
                self._log = None

    @staticmethod
    def _tail(log: IO[bytes], mark: int, limit: int = 2000) -> str:
        """What the server wrote on stderr since `mark`, at most `limit` characters of its end."""
        try:
            log.seek(max(mark, log.seek(0, os.SEEK_END) - 4 * limit))
            text = log.read().decode("utf-8", "replace")[-limit:].strip()
        except ValueError:  # closed by stop() meanwhile
            return ""
        return f"\n{text}" if text else ""


def _read_replies(stream: IO[bytes], replies: queue.Queue) -> None:
    for raw in stream:
        try:
            replies.put(("reply", json.loads(raw)))
        except ValueError:
            replies.put(("garbled", None))
            return
    replies.put(("eof", None))


if __name__ == "__main__":
    sys.exit(main())
