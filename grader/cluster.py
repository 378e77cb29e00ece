"""`autograde batch --dask ADDRESS`: a batch's tasks graded on an existing Dask distributed cluster.

Each submission is one Dask task that calls grader.task.run_task on a worker. A task carries its
upload and the reference as bytes, so workers need no shared folder with this machine (and the
reference reaches every worker: they must be machines the instructor trusts). Outcomes come back
as report text that the batch writes here, exactly as it does for a local run.

`distributed` is imported only here, and only when a cluster is asked for: the grader itself does
not depend on it.
"""
from __future__ import annotations

import asyncio
import socket
import uuid
import warnings
from typing import Any, Callable, Sequence

from grader import __version__
from grader.task import GradeTask, TaskOutcome, failed_outcome, run_task

CONNECT_SECONDS = 10.0  # to reach the scheduler, and to wait for a first worker
INSTALL_HINT = "--dask needs the dask extra: python -m pip install 'autograde-numpy-nn[dask]'"


class ClusterError(Exception):
    """The cluster cannot be used at all: not installed, not reachable, no usable workers."""


def _grader_version() -> str:
    """Runs on each worker: the grader version it would grade with."""
    from grader import __version__ as installed
    return installed


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return distributed


async def _identity(address: str, timeout: float) -> dict:
    from distributed.comm import connect
    from distributed.security import Security
    # TLS settings come from the Dask configuration, as a Client's would.
    comm = await connect(address, timeout=timeout, **Security().get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await asyncio.wait_for(comm.read(), timeout)
    finally:
        comm.abort()


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _probe(address: str, timeout: float) -> None:
    """Raise ClusterError unless a Dask scheduler answers at `address`. Done before Client():
    a Client that fails to connect prints tracebacks as it is garbage collected, and waits on a
    refused port until its timeout, where a plain socket knows at once."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location) if scheme == "tcp" else (None, None)
    except (ValueError, TypeError) as exc:
        raise ClusterError(f"--dask {address}: not a scheduler address such as "
                           f"tcp://10.0.0.5:8786 ({exc})") from None
    if host is not None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: "
                               f"{_why(exc)}") from None
    try:
        reply = asyncio.run(_identity(address, timeout))
    except Exception as exc:  # timed out, TLS not configured, or something else answered
        raise ClusterError(f"no Dask scheduler answered at {address}: {_why(exc)}") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ClusterError(f"{address} answered, but it is not a Dask scheduler")


class DaskExecutor:
    """Connects to the scheduler at `address` on creation (raising ClusterError when it cannot be
    used); `run` submits one task per submission and delivers outcomes as they complete."""

    def __init__(self, address: str, *, fn: Callable[[GradeTask], TaskOutcome] = run_task,
                 connect_seconds: float = CONNECT_SECONDS) -> None:
        distributed = _distributed()
        _probe(address, connect_seconds)
        self.address, self.fn, self._as_completed = address, fn, distributed.as_completed
        try:
            self.client = distributed.Client(address, timeout=connect_seconds,
                                             set_as_default=False)
        except Exception as exc:
            raise ClusterError(f"cannot connect to the Dask scheduler at {address}: "
                               f"{_why(exc)}") from None
        try:
            self._check_workers(connect_seconds)
        except BaseException:
            self.client.close()
            raise

    def _check_workers(self, timeout: float) -> None:
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except Exception:
            raise ClusterError(f"the Dask scheduler at {self.address} has no workers; start some "
                               f"with: dask worker {self.address} --nthreads 1") from None
        # Every worker must grade as this machine would: the same grader, importable there.
        fix = f"install autograde-numpy-nn {__version__}, as on this machine, on every worker"
        try:
            versions = self.client.run(_grader_version)
        except Exception as exc:
            raise ClusterError(f"a worker of {self.address} cannot run the grader "
                               f"({type(exc).__name__}: {exc}); {fix}") from None
        wrong = sorted((w, v) for w, v in versions.items() if v != __version__)
        if wrong:
            raise ClusterError(f"worker {wrong[0][0]} has grader {wrong[0][1]} ({len(wrong)} of "
                               f"{len(versions)} workers differ); {fix}")

    def _window(self) -> int:
        # Enough tasks queued to keep every worker thread busy, but not the whole class: each
        # task holds an upload in the scheduler's memory until it is done.
        return max(8, 2 * sum(self.client.nthreads().values()))

    def run(self, uploads: Sequence[Any], prepare: Callable[[Any], GradeTask | TaskOutcome],
            deliver: Callable[[TaskOutcome], None]) -> None:
        waiting = iter(uploads)
        in_flight: dict[Any, GradeTask] = {}
        # Our client's loop: as_completed would look for a default client, and there is none.
        finished = self._as_completed(loop=self.client.loop)
        batch_id = uuid.uuid4().hex[:8]  # keys stay distinct when two batches share a cluster

        def top_up() -> None:
            window = self._window()
            while len(in_flight) < window:
                upload = next(waiting, None)
                if upload is None:
                    return
                prepared = prepare(upload)
                if isinstance(prepared, TaskOutcome):
                    deliver(prepared)
                    continue
                with warnings.catch_warnings():
                    # An upload of a few MiB is expected to travel in its task.
                    warnings.filterwarnings("ignore", message="Sending large graph")
                    future = self.client.submit(self.fn, prepared, pure=False,
                                                key=f"autograde-{batch_id}-{prepared.student}")
                in_flight[future] = prepared
                finished.add(future)

        try:
            top_up()
            for future in finished:
                deliver(self._outcome(future, in_flight.pop(future)))
                future.release()
                top_up()
        except KeyboardInterrupt:
            # Queued tasks are dropped; a task already running finishes on its worker unseen.
            self.client.cancel(list(in_flight))
            raise

    @staticmethod
    def _outcome(future: Any, task: GradeTask) -> TaskOutcome:
        """The task's outcome; a not-graded row when it failed on the cluster (a worker died,
        the grader is broken there) or came back as something else."""
        try:
            outcome = future.result()
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
        else:
            if isinstance(outcome, TaskOutcome) and outcome.student == task.student:
                return outcome
            why = f"it returned {type(outcome).__name__}, not this submission's outcome"
        return failed_outcome(task.student, task.display_path, task.pack,
                              f"the grading task failed on the Dask cluster ({why}); "
                              "the next run of the batch grades it again.")

    def close(self) -> None:
        self.client.close()


__all__ = ["CONNECT_SECONDS", "ClusterError", "DaskExecutor"]
