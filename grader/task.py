"""The per-submission task: the one unit of work a batch hands out, on this machine or on a cluster.

A GradeTask is plain, picklable data that carries everything needed to grade one upload: the
upload itself, the reference solution and a pack that is not built in travel inside it as
in-memory zips, so the process that runs it (a thread of `autograde batch`, or a Dask worker on another machine) needs no shared
filesystem. `run_task` turns a task into a TaskOutcome: the report's JSON and HTML text, which the
batch writes into OUT/reports itself, so resuming, --force and the gradebook work the same whoever
graded it.

How a task is graded lives in `_grade` alone: by the thread's warm grader (grader/server.py), a
process that grades one submission after another exactly as `autograde grade` does, each in a
fresh worker, keeping between them only what does not depend on any submission.
"""
from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import signal
import stat
import tempfile
import threading
import typing
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader import archive, release, scratch_dirs, uploads
from grader.model import FunctionResult, SubmissionResult
from grader.packs import Pack, load_pack
from grader.render import html, json_report
from grader.server import GraderServer
from grader.uploads import Upload


# What one packed upload may hold (archive.UPLOAD_BYTES).
MAX_PAYLOAD_BYTES = archive.UPLOAD_BYTES
MAX_PAYLOAD_MEMBERS = 20_000
_SKIPPED_DIRS = ("__pycache__",)  # the grader would not copy them into the worker either
REFERENCE_NAME = "reference"
PACK_NAME = "pack"


@dataclass(frozen=True)
class GradeTask:
    student: str        # the identifier: names the reports
    upload_name: str    # the upload's own file or folder name (its suffix says how to load it)
    payload: bytes      # the upload as a zip: `upload_name` (a file) or `upload_name/...` (a folder)
    display_path: str   # the report's `submission`: where the upload was found on the batch's machine
    reference: bytes | None  # pack_reference's zip of the reference; None grades without one
    grade_args: tuple[str, ...]  # further `autograde grade` options (deadlines, isolation, ...)
    pack: str
    wall_seconds: float  # the whole grading of this task is stopped after this long
    secret: bytes | None = None  # the course secret the inputs are drawn from; None: public
    # A pack that is not built in, as pack_pack zips it: it travels as the reference does, so a
    # worker machine needs no copy of the batch machine's folders. None: `pack` is a built-in name.
    pack_files: bytes | None = None
    # The course config (file name, content), written beside the upload and given as --config.
    config: tuple[str, bytes] | None = None
    # What the upload's folder held that is not packed (uploads.left_out: relative path, what it
    # is): put back as harmless stand-ins before grading, so its report warns of each as
    # `autograde grade` of the folder does, instead of a function "not in your submission".
    left_out: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TaskOutcome:
    student: str
    report_json: str
    report_html: str
    graded: bool  # False: the grader gave no report; these are a score-0 row with the reason
    # Of one not graded: whether the next run of the batch tries again (the grader failed), or
    # not (the upload itself cannot be graded: too large, damaged; a new upload is graded anew).
    retry: bool = True


class UploadError(Exception):
    """An upload that cannot be packed into a task (unreadable, too large)."""


class Stopped(Exception):
    """The batch is stopping (Ctrl-C): the task was not graded and is left for the next run."""


# ---- building a task (on the batch's machine) -----------------------------------------------
def portable(name: str) -> str:
    """A file name as a task carries it: bytes that are not UTF-8 (a Latin-1 `m\xfcller.py`,
    held as surrogates) written as `%FC`, which a zip and JSON can hold; `batch` stopped with a
    UnicodeEncodeError at such a name. Character by character, so a path's parts and the whole
    path agree."""
    return "".join(f"%{ord(c) - 0xDC00:02X}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in name)


def top_name(name: str) -> str:
    """An upload's own name as its task carries it (`portable`), with `:` and `\\` written as
    `%3A` and `%5C`: a zip member whose first part holds them reads as a drive (`a:b.py`) or a
    folder (`a\\b.py`), and the unpacking refused it, so such an upload got 0 in a batch and 100
    alone. Its files inside keep their names; the report names the upload as it is."""
    return portable(name).replace(":", "%3A").replace("\\", "%5C")


def _zip_entry(name: str, *, folder: bool = False) -> zipfile.ZipInfo:
    # A fixed date and mode: the same upload always packs to the same bytes.
    info = zipfile.ZipInfo(portable(name) + ("/" if folder else ""),
                           date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = ((0o40755 << 16) | 0x10) if folder else (0o100644 << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class PayloadTooLarge(UploadError):
    """The upload, as it is, is over what a task carries."""


def pack_path(path: Path, name: str | None = None, *, limit: int = MAX_PAYLOAD_BYTES) -> bytes:
    """`path` (a file, or a folder with everything in it) as a zip whose top entry is `name`.
    Symbolic links and special files are left out, never followed: a link in a student's folder
    could otherwise ship any file of this machine to the grader. Raises UploadError
    (PayloadTooLarge when it holds more than `limit` bytes)."""
    path = Path(path)
    name = name or path.name
    buffer = io.BytesIO()
    try:
        with zipfile.ZipFile(buffer, "w") as zf:
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                raise UploadError("the upload is neither a regular file nor a folder")
            if path.is_file():
                if path.stat().st_size > limit:
                    raise PayloadTooLarge(f"the upload holds more than {limit // 2**20} MiB")
                zf.writestr(_zip_entry(name), path.read_bytes())
            else:
                _pack_folder(zf, path, name, limit)
    except OSError as exc:
        raise UploadError(f"the upload could not be read ({exc.strerror or exc})") from None
    return buffer.getvalue()


def _pack_folder(zf: zipfile.ZipFile, path: Path, name: str, limit: int) -> None:
    budget, members = limit, 0

    def unreadable(exc: OSError) -> None:  # os.walk would skip the folder and grade the rest
        raise exc

    for folder, dirs, files in os.walk(path, followlinks=False, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS
                         and not os.path.islink(os.path.join(folder, d))
                         and not uploads.not_code(Path(folder, d), path))
        prefix = PurePosixPath(name, *Path(folder).relative_to(path).parts)
        entries = [(str(prefix), None)]  # the folder itself: empty folders survive too
        for file in sorted(files):
            full = Path(folder, file)
            st = full.lstat()
            if stat.S_ISREG(st.st_mode) and not file.endswith(".pyc"):
                entries.append((str(prefix / file), full))
                budget -= st.st_size
        members += len(entries)
        if budget < 0:
            raise PayloadTooLarge(f"the upload holds more than {limit // 2**20} MiB")
        if members > MAX_PAYLOAD_MEMBERS:
            raise UploadError(f"the upload holds more than {MAX_PAYLOAD_MEMBERS} files and folders")
        for arcname, full in entries:
            if full is None:
                zf.writestr(_zip_entry(arcname, folder=True), b"")
            else:
                zf.writestr(_zip_entry(arcname), full.read_bytes())


def pack_reference(path: Path) -> bytes:
    """The reference folder at `path` as a task carries it (top entry `reference/`)."""
    return pack_path(path, REFERENCE_NAME)


def pack_pack(pack: Pack) -> bytes | None:
    """The pack as a task carries it (top entry `pack/`): what grader/release.py ships of a pack
    (manifest, checks, its modules, support files, known answers; never its reference), or None
    for a built-in pack, which every worker's grader package holds."""
    if release.is_builtin(pack):
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in release.pack_members(pack).items():
            zf.writestr(_zip_entry(f"{PACK_NAME}/{name}"), data)
    return buffer.getvalue()


def pack_upload(upload: Upload, *, reference: bytes | None, grade_args: typing.Sequence[str] = (),
                pack: str, wall_seconds: float, secret: bytes | None = None,
                pack_files: bytes | None = None,
                config: tuple[str, bytes] | None = None, display: str | None = None) -> GradeTask:
    """The task that grades `upload`. `reference` is the reference folder already packed (once
    per batch, with pack_reference), `pack_files` the pack (pack_pack). `display`: what its
    report calls the upload (default: its path). Raises UploadError when the upload cannot be
    packed."""
    try:
        left_out = tuple(uploads.left_out(upload.path))
    except OSError:
        left_out = ()  # unreadable: packing it says why
    return GradeTask(student=upload.student, upload_name=top_name(upload.path.name),
                     payload=_payload(upload.path), display_path=display or str(upload.path),
                     reference=reference, grade_args=tuple(grade_args), pack=pack,
                     wall_seconds=float(wall_seconds), secret=secret, pack_files=pack_files,
                     config=config, left_out=left_out)


def _payload(path: Path) -> bytes:
    """The upload as its task carries it. One over the task's bound is packed as the worker would
    be given it (grader/proxy.py copy_upload): notebooks without their saved outputs, which
    `autograde grade` does not count either, so a notebook holding 60 MiB of training log is
    graded in a batch as it is alone; anything else too large is refused with grade's words."""
    try:
        return pack_path(path, top_name(path.name))
    except PayloadTooLarge:
        pass
    from grader import proxy  # the worker's side of the grader: loaded for this rare upload only

    with tempfile.TemporaryDirectory(prefix="autograde-payload-") as tmp:
        try:
            light = proxy.copy_upload(path, Path(tmp) / "upload")
        except proxy.UploadTooLarge as exc:
            raise UploadError(str(exc).removesuffix(" Nothing could be graded.")) from None
        except OSError as exc:
            raise UploadError(f"the upload could not be read ({exc.strerror or exc})") from None
        return pack_path(light, top_name(path.name))


def _grader_ended(status: int) -> str:
    """How the grader of an upload ended, for its row. Killed by a signal while it graded (not
    by the batch, which stops its graders only when it is stopped itself): the upload's own code
    can do that outside the sandbox, where it may signal the grader (probe s56: "exited with
    status -15" for an upload that sent SIGTERM to its grader)."""
    if status >= 0:
        return f"the grader exited with status {status}"
    try:
        name = signal.Signals(-status).name
    except ValueError:
        name = "a signal"
    memory = "by the kernel when the machine ran out of memory, or " if name == "SIGKILL" else ""
    return (f"the grader was killed by {name} (signal {-status}) while it graded this upload: "
            f"{memory}by the upload's own code, which outside the sandbox may signal its grader "
            "(under process isolation as the grader's own user, or as root); in the sandbox it "
            "cannot")


# ---- rows for what could not be graded --------------------------------------------------------
def not_graded(display_path: str, why: str, pack_name: str) -> SubmissionResult:
    """The row of an upload the grader could not grade at all: score 0, the reason in `error`."""
    pack = load_pack(pack_name)
    functions = tuple(FunctionResult(f.name, 0.0, f.points, summary="not graded")
                      for f in pack.functions)
    return SubmissionResult(submission=display_path, score=0.0, max_score=pack.max_score,
                            checks=(), functions=functions, error=why)


def failed_outcome(student: str, display_path: str, pack: str, why: str,
                   retry: bool = True) -> TaskOutcome:
    """A TaskOutcome that records `why` a submission has no report from the grader; `retry`:
    whether the next run of the batch grades it again (False for an upload that itself cannot
    be graded)."""
    result = not_graded(display_path, why, pack)
    return TaskOutcome(student, json_report.dumps(result) + "\n", html.render(result),
                       graded=False, retry=retry)


# ---- grader processes -------------------------------------------------------------------------
class Launcher:
    """The warm graders (grader/server.py) of the threads that run tasks, one per thread, and the
    way to stop them all at once. A batch on this machine shares one across its threads, so
    Ctrl-C stops every grader; tasks on a cluster worker share the worker process's own."""

    def __init__(self) -> None:
        self.servers: set[GraderServer] = set()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._mine = threading.local()

    def server(self) -> GraderServer | None:
        """The calling thread's grader; None once stopping."""
        with self.lock:
            if self.stopping.is_set():
                return None
            server = getattr(self._mine, "server", None)
            if server is None:
                server = self._mine.server = GraderServer()
                self.servers.add(server)
            return server

    def stop(self) -> None:
        with self.lock:
            self.stopping.set()
            for server in self.servers:
                server.stop()


_WORKER_LAUNCHER = Launcher()  # tasks run without a batch's launcher (on a Dask worker) share it


_REFERENCES: dict[bytes, Path] = {}
_REFERENCES_LOCK = threading.Lock()


def _reference_dir(packed: bytes, name: str = REFERENCE_NAME) -> Path:
    """The reference (or pack) a task carries, unpacked once per process into a folder only this
    user can read. One path per reference, so a warm grader keeps its recipes (grader/replay.py)
    for it."""
    digest = hashlib.sha256(packed).digest()
    with _REFERENCES_LOCK:
        folder = _REFERENCES.get(digest)
        if folder is None or not folder.is_dir():
            # Mode 0700, claimed while this process lives: killed, the next grader removes it.
            claimed = scratch_dirs.claim(scratch_dirs.REFERENCE_PREFIX if name == REFERENCE_NAME
                                         else scratch_dirs.PACK_PREFIX)
            atexit.register(claimed.remove)
            holder = claimed.path
            _unpack(packed, holder)
            folder = _REFERENCES[digest] = holder / name
            if not folder.is_dir():
                raise UploadError(f"the task's {name} zip holds no {name}/ folder")
        return folder


def _pack_arg(task: GradeTask) -> str:
    """What `--pack` names for this task here: the built-in pack's name, or the folder its
    carried pack was unpacked into."""
    if task.pack_files is None:
        return task.pack
    return str(_reference_dir(task.pack_files, PACK_NAME))


# ---- running a task (wherever it runs) --------------------------------------------------------
def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")


def _unpack(data: bytes, dest: Path) -> None:
    """Unpack a task's zip into `dest`, as carefully as an untrusted archive. Raises UploadError."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UploadError(f"the task's data is not a zip ({exc})") from None
    with zf:
        try:
            archive.extract(zf, dest, max_members=MAX_PAYLOAD_MEMBERS, max_bytes=MAX_PAYLOAD_BYTES)
        except archive.ArchiveError as exc:
            raise UploadError(f"the task's zip {exc}") from None


def run_task(task: GradeTask, launcher: Launcher | None = None) -> TaskOutcome:
    """Grade `task` in a fresh temporary folder and return its reports as text. Never raises for
    a bad upload or a failing grader: those give a not-graded outcome. Raises Stopped only when
    `launcher` (the batch's, on this machine) is stopping; on a cluster it is None."""
    pack = task.pack
    try:
        pack = _pack_arg(task)
        # Claimed while this process lives (a batch killed outright leaves it to the next
        # grader's sweep); a folder that cannot be deleted never fails a graded task.
        claimed = scratch_dirs.claim(scratch_dirs.TASK_PREFIX)
        try:
            work = claimed.path  # mode 0700: only this user reads the upload and the reference
            if not _plain_name(task.upload_name):
                raise UploadError(f"the upload name {task.upload_name!r} is not a file or folder name")
            _unpack(task.payload, work / "upload")
            submission = work / "upload" / task.upload_name
            if not submission.exists():
                raise UploadError("the task's zip does not hold the upload")
            _stand_ins(submission, task.left_out)
            reference = None if task.reference is None else _reference_dir(task.reference)
            return _grade(task, submission, reference, work, launcher or _WORKER_LAUNCHER, pack)
        finally:
            claimed.remove()
    except Stopped:
        raise
    except UploadError as exc:
        why = f"the upload could not be graded: {exc}; the next run of the batch grades it again."
    except Exception as exc:  # never let one submission take the batch (or a worker) down
        why = (f"grading failed ({type(exc).__name__}: {exc}); the next run of the batch grades "
               "it again.")
    return failed_outcome(task.student, task.display_path, pack, why)


def _stand_ins(submission: Path, left_out: typing.Sequence[tuple[str, str]]) -> None:
    """Put back what packing left out of a folder upload as what grading leaves out again: a link
    to nowhere for a link, a named pipe for a special file. The grade then names each one as
    `autograde grade` of the original folder does; nothing of the original is in them."""
    if not submission.is_dir():
        return
    for relative, what in left_out:
        member = archive.safe_member(relative)
        if member is None or not member.parts:
            continue
        place = submission.joinpath(*member.parts)
        if not place.parent.is_dir() or place.parent.is_symlink() or os.path.lexists(place):
            continue
        try:
            if what == "a symbolic link" or not hasattr(os, "mkfifo"):
                os.symlink("left-out-by-the-batch", place)
            else:
                os.mkfifo(place)
        except OSError:
            continue  # a system without links: the report lacks that one warning, nothing else


def _secret_args(task: GradeTask, work: Path) -> list[str]:
    """The secret as `autograde grade` reads it: from a file only this user can read (never on a
    command line, which other users of the machine can see)."""
    if task.secret is None:
        return []
    path = work / "secret"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(task.secret)
    return ["--secret-file", str(path)]


def _config_args(task: GradeTask, work: Path) -> list[str]:
    """The course config as `autograde grade --config` reads it, written under its own name (the
    report names the config by file name and digest)."""
    if task.config is None:
        return []
    name, data = task.config
    if not _plain_name(name):
        raise UploadError(f"the course config name {name!r} is not a file name")
    (work / "config").mkdir()
    path = work / "config" / name
    path.write_bytes(data)
    return ["--config", str(path)]


def _grade(task: GradeTask, submission: Path, reference: Path | None, work: Path,
           launcher: Launcher, pack: str) -> TaskOutcome:
    """Grade the unpacked upload with the thread's warm grader, exactly as `autograde grade`
    with the same arguments would, under the task's wall-clock limit; read its reports back."""
    page, report = work / "report.html", work / "report.json"
    argv = [str(submission), "--pack", pack, "--html", str(page), "--json", str(report),
            f"--submission-label={task.display_path}",
            *(["--reference", str(reference)] if reference is not None else ["--no-reference"]),
            *_secret_args(task, work), *_config_args(task, work), *task.grade_args]
    server = launcher.server()
    if server is None:
        raise Stopped
    status, why = server.grade(argv, task.wall_seconds)
    why, _, tail = why.partition("\n")
    if launcher.stopping.is_set() and not report.is_file():
        raise Stopped  # stopped by the batch: graded by the next run
    if report.is_file():
        try:
            text = report.read_text(encoding="utf-8")
            SubmissionResult.from_dict(json.loads(text))  # a report the batch can load, or none
            return TaskOutcome(task.student, text, page.read_text(encoding="utf-8"), graded=True)
        except (OSError, ValueError, KeyError, TypeError):
            why = "the grader wrote an unreadable report"
    elif status is not None and server.last_reply.get("crashed"):
        return failed_outcome(
            task.student, task.display_path, pack,
            f"the grader failed on this upload ({server.last_reply['crashed']}): a bug in the "
            "grader, not a problem of the upload; regrading gives the same until the grader is "
            "fixed (the traceback below is for its maintainers)."
            + "".join(f"\n{part}" for part in (why, tail) if part))
    elif status is not None:
        why, tail = _grader_ended(status), "\n".join(filter(None, (why, tail)))
    return failed_outcome(task.student, task.display_path, pack,
                          f"{why}; the next run of the batch grades it again."
                          + (f"\n{tail}" if tail else ""))


__all__ = ["GradeTask", "Launcher", "Stopped", "TaskOutcome", "UploadError", "failed_outcome",
           "not_graded", "pack_pack", "pack_path", "pack_reference", "pack_upload", "run_task"]
