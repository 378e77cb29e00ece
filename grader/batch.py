"""Grade a whole class: a folder or .zip of uploads, one grader process per submission.

This process never imports or runs student code: it finds the uploads, names them, copies an
outer .zip out (safely), and starts `python -m grader grade UPLOAD --json --html` for each one,
under a wall-clock limit of its own. A report JSON that exists means the submission is done, so an
interrupted batch resumes where it stopped. The gradebook and the class overview are rebuilt from
every report in OUT/reports at the end of every run.

Naming conventions (the student identifier comes from the file or folder name):
- a plain name: `alice.py`, `alice.zip`, `alice.ipynb`, or a folder `alice/`: `alice`;
- Canvas bulk downloads: `alice_12345_67890_q1_softmax.py` (also `alice_LATE_12345_...`): `alice`;
- Moodle bulk downloads: a folder `Alice Smith_123456_assignsubmission_file_`: `Alice_Smith`.
Identifiers keep letters, digits, `.`, `_` and `-` only. Two uploads with one identifier get
`id`, `id-2`, ... in the order of their paths, and the batch reports it.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
import typing
from typing import Sequence, TextIO

from grader.model import FunctionResult, SubmissionResult
from grader.packs import DEFAULT_PACK, load_pack
from grader.render import gradebook, html, json_report, overview

SUBMISSION_SUFFIXES = (".py", ".zip", ".ipynb")
IGNORED_NAMES = ("__MACOSX", "__pycache__")
# An outer .zip is copied out into OUT/.uploads within these limits (nested .zip files are
# unpacked later by the worker, with limits of its own).
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_UPLOAD_MEMBERS = 20_000
WALL_SLACK_SECONDS = 30.0  # what a grader process may take beyond its own deadlines
ERROR_TAIL = 2000          # characters of a failed grader's stderr kept in its row

_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_LATE)?_\d+_\d+_.+$", re.IGNORECASE)
_MOODLE = re.compile(r"^(?P<name>.+?)_\d+_assignsubmission_[a-z]+_?$", re.IGNORECASE)


class BatchError(Exception):
    """The input cannot be used at all (missing, not a zip, unsafe or too large an archive)."""


@dataclass(frozen=True)
class Upload:
    student: str  # the identifier: file names of its reports, the gradebook's `submission`
    path: Path


@dataclass
class Discovery:
    uploads: list[Upload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # collisions and ignored files, for the instructor


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already had a report
    failed: list[str] = field(default_factory=list)    # the grader itself gave no report
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    interrupted: bool = False


# ---- naming ---------------------------------------------------------------------------------
def student_id(name: str) -> str:
    """The identifier of the upload called `name` (a file or folder name, not a path)."""
    stem = name
    for suffix in SUBMISSION_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(stem)
        if match:
            stem = match["name"]
            break
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    # Leading punctuation would make a hidden file or a spreadsheet formula ("-1+2").
    clean = re.sub(r"^[^A-Za-z0-9]+", "", clean).rstrip("._-")
    return clean[:100] or "submission"


def _is_candidate(path: Path) -> bool:
    if path.name.startswith(".") or path.name in IGNORED_NAMES:
        return False
    return path.is_dir() or path.suffix.lower() in SUBMISSION_SUFFIXES


def discover(folder: Path, *, exclude: Path | None = None) -> Discovery:
    """Every upload in `folder`: each .py, .zip or .ipynb file and each folder at its top. A folder
    that holds only one folder (a zip of a folder of uploads) is looked into."""
    found = Discovery()
    entries = [p for p in sorted(folder.iterdir()) if not p.is_symlink()
               and (exclude is None or p.resolve() != exclude.resolve())]
    visible = [p for p in entries if not p.name.startswith(".") and p.name not in IGNORED_NAMES]
    if len(visible) == 1 and visible[0].is_dir() and not any(
            q.suffix == ".py" for q in visible[0].iterdir()):
        return discover(visible[0], exclude=exclude)
    taken: dict[str, Path] = {}
    for path in entries:
        if not _is_candidate(path):
            if path in visible:
                found.notes.append(f"ignored {path.name}: not a .py, .zip, .ipynb or folder")
            continue
        base = student_id(path.name)
        ident, n = base, 1
        while ident.lower() in taken:
            n += 1
            ident = f"{base}-{n}"
        if ident != base:
            found.notes.append(f"{path.name} and {taken[base.lower()].name} both name student "
                               f"{base!r}: graded as {ident!r}")
        taken[ident.lower()] = path
        found.uploads.append(Upload(ident, path))
    return found


# ---- an outer .zip --------------------------------------------------------------------------
def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def extract(archive: Path, dest: Path) -> Path:
    """Copy the files out of `archive` into `dest` (reused when it holds this very archive).
    Refuses path traversal and symbolic links; caps the members and the bytes actually written."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    marker = dest / ".complete"
    if marker.is_file() and marker.read_text() == digest:
        return dest
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BatchError(f"{archive}: not a readable zip file ({exc})") from None
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with zf:
        members = zf.infolist()
        if len(members) > MAX_UPLOAD_MEMBERS:
            raise BatchError(f"{archive}: {len(members)} files; the limit is {MAX_UPLOAD_MEMBERS}")
        budget = MAX_UPLOAD_BYTES
        for info in members:
            target = _safe_member(info.filename)
            if target is None:
                raise BatchError(f"{archive}: unsafe path {info.filename!r} (absolute or with ..)")
            if stat.S_ISLNK(info.external_attr >> 16):
                continue  # a link could point anywhere: never followed
            out = tmp.joinpath(*target.parts)
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    budget -= len(chunk)
                    if budget < 0:
                        raise BatchError(f"{archive}: unpacks to more than "
                                         f"{MAX_UPLOAD_BYTES // 2**20} MiB")
                    dst.write(chunk)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    (dest / ".complete").write_text(digest)
    return dest


# ---- grading one upload ---------------------------------------------------------------------
def not_graded(upload: Upload, why: str, pack_name: str) -> SubmissionResult:
    """The row of an upload the grader could not grade at all: score 0, the reason in `error`."""
    pack = load_pack(pack_name)
    functions = tuple(FunctionResult(f.name, 0.0, f.points, summary="not graded")
                      for f in pack.functions)
    return SubmissionResult(submission=str(upload.path), score=0.0, max_score=pack.max_score,
                            checks=(), functions=functions, error=why)


class _Running:
    """The grader processes of a batch, so an interrupted batch can stop them all, and knows not
    to record the ones it stopped as failures."""

    def __init__(self) -> None:
        self.procs: set[subprocess.Popen] = set()
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def start(self, cmd: list[str], stderr: typing.IO[bytes]) -> subprocess.Popen | None:
        with self.lock:
            if self.stopping.is_set():
                return None
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=stderr, start_new_session=True)
            self.procs.add(proc)
            return proc

    def stop(self) -> None:
        with self.lock:
            self.stopping.set()
            for proc in self.procs:
                _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(upload: Upload, reports: Path, grade_args: Sequence[str], *, wall_seconds: float,
              pack: str, running: _Running) -> tuple[SubmissionResult, bool] | None:
    """Grade `upload` in a grader process of its own; return its result and whether the grader
    produced it (False: a row written here, score 0), or None when the batch was stopped."""
    page, report = reports / f"{upload.student}.html", reports / f"{upload.student}.json"
    cmd = [sys.executable, "-m", "grader", "grade", str(upload.path), "--pack", pack,
           "--html", str(page), "--json", str(report), *grade_args]
    report.unlink(missing_ok=True)
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: however much is written, memory stays flat
        proc = running.start(cmd, log)
        if proc is None:
            return None
        try:
            try:
                proc.wait(timeout=wall_seconds)
                why = f"the grader exited with status {proc.returncode}"
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.wait()
                why = f"the grader did not finish within {wall_seconds:g} s and was stopped"
        finally:
            _kill_group(proc)  # whatever it left behind in its session
            with running.lock:
                running.procs.discard(proc)
        log.seek(max(0, log.seek(0, os.SEEK_END) - 4 * ERROR_TAIL))
        err = log.read()
    if running.stopping.is_set() and not report.is_file():
        return None  # stopped by us: graded by the next run
    if report.is_file():
        try:
            return json_report.read(report), True
        except (ValueError, KeyError, TypeError):
            why = "the grader wrote an unreadable report"
    tail = err.decode("utf-8", "replace")[-ERROR_TAIL:].strip()
    result = not_graded(upload, f"{why}; regrade with --force." + (f"\n{tail}" if tail else ""), pack)
    html.write(result, page)
    json_report.write(result, report)
    return result, False


# ---- progress -------------------------------------------------------------------------------
class Progress:
    """On a terminal, one updating line with a bar, the rate and the ETA; otherwise one plain line
    per finished submission."""

    def __init__(self, total: int, stream: TextIO, tty: bool | None = None) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = time.monotonic()

    def finished(self, student: str, result: SubmissionResult) -> None:
        self.done += 1
        if not self.tty:
            self.stream.write(f"{self.done}/{self.total} {student}: "
                              f"{result.score:g}/{result.max_score:g}"
                              f"{' (not graded)' if result.error and not result.checks else ''}\n")
        else:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            rate = self.done / elapsed
            eta = (self.total - self.done) / rate if rate else 0
            filled = round(10 * self.done / self.total) if self.total else 10
            self.stream.write(f"\r[{'#' * filled}{'.' * (10 - filled)}] {self.done}/{self.total}"
                              f"  {rate:.1f}/s  ETA {eta:.0f}s ")
            if self.done == self.total:
                self.stream.write("\n")
        self.stream.flush()


# ---- the batch ------------------------------------------------------------------------------
def run(*, source: Path, out: Path, grade_args: Sequence[str] = (), jobs: int | None = None,
        force: bool = False, pack: str = DEFAULT_PACK, wall_seconds: float = 330.0,
        stream: TextIO | None = None, tty: bool | None = None) -> BatchSummary:
    """Grade every upload in `source` (a folder or a .zip) into `out`; see the module docstring.
    `grade_args` go to each `autograde grade` as they are; `wall_seconds` bounds each one."""
    stream = stream or sys.stderr
    started = time.monotonic()
    source, out = Path(source), Path(out)
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    if source.is_file() and source.suffix.lower() == ".zip":
        folder = extract(source, out / ".uploads")
    elif source.is_dir():
        folder = source
    else:
        raise BatchError(f"{source}: expected a folder or a .zip of submissions")
    found = discover(folder, exclude=out)
    summary = BatchSummary(notes=list(found.notes))
    for note in found.notes:
        stream.write(f"autograde batch: {note}\n")
    todo = [u for u in found.uploads if force or not (reports / f"{u.student}.json").is_file()]
    summary.skipped = [u.student for u in found.uploads if u not in todo]
    if summary.skipped:
        stream.write(f"autograde batch: {len(summary.skipped)} of {len(found.uploads)} already "
                     f"graded (--force regrades them); grading {len(todo)}\n")
    progress = Progress(len(todo), stream, tty)
    running = _Running()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1))
    try:
        futures = {pool.submit(grade_one, u, reports, grade_args, wall_seconds=wall_seconds,
                               pack=pack, running=running): u for u in todo}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                upload = futures[future]
                outcome = future.result()
                if outcome is None:
                    continue
                result, ok = outcome
                (summary.graded if ok else summary.failed).append(upload.student)
                progress.finished(upload.student, result)
    except KeyboardInterrupt:
        summary.interrupted = True
        stream.write("\nautograde batch: interrupted; run the same command again to finish\n")
    finally:
        running.stop()
        pool.shutdown(wait=True, cancel_futures=True)
    summary.rows = write_class_reports(out, notes=summary.notes)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def load_reports(reports: Path) -> dict[str, SubmissionResult]:
    """Every readable report in `reports`, by identifier (its file name)."""
    results = {}
    for path in sorted(reports.glob("*.json")):
        try:
            results[path.stem] = json_report.read(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or from an older schema: regraded by the next run
    return results


def write_class_reports(out: Path, *, notes: Sequence[str] = ()) -> int:
    """Rebuild gradebook.csv and index.html from every report in OUT/reports; return the rows."""
    results = load_reports(Path(out) / "reports")
    json_report.write_text(Path(out) / "gradebook.csv", gradebook.render(results))
    json_report.write_text(Path(out) / "index.html", overview.render(results, notes=notes))
    return len(results)


__all__ = ["BatchError", "BatchSummary", "Discovery", "Upload", "discover", "extract", "run",
           "student_id", "write_class_reports"]
