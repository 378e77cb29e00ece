"""Grade a whole class: a folder or .zip of uploads, one grader process per submission.

This process never imports or runs student code: it finds the uploads, names them, copies an
outer .zip out (safely), packs each upload into a GradeTask (grader/task.py) and hands the tasks
to an executor: threads on this machine, or a Dask cluster (grader/cluster.py). Either way a task
is graded by `python -m grader grade` under a wall-clock limit, and its reports come back as text
that this process writes into OUT/reports. A report JSON that exists means the submission is done,
so an interrupted batch resumes where it stopped. Each report records the content hash of the
upload it graded (grader/uploads.py): a later run regrades an upload whose bytes changed, and keeps
the report of an upload no longer there, marked so in the overview. The gradebook and the class
overview are rebuilt from every report in OUT/reports at the end of every run.

Which uploads a folder holds and whose each is (the naming conventions of LMS downloads, links
and files not graded, an outer .zip copied out safely): grader/class_folder.py.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from datetime import datetime, timezone
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterator, Mapping, Protocol, Sequence, TextIO

from grader import reference as reference_mod
from grader.input_set import PUBLIC, InputSet, fingerprint
from grader import grader_problems, output_paths, selection
from grader.isolation import root_workers_refusal
from grader import task as task_mod
from grader.model import SubmissionResult
from grader.packs import DEFAULT_PACK, Pack, load_pack
from grader.render import gradebook, json_report, overview
from grader.scoring import nothing_graded
from grader.task import GradeTask, TaskOutcome
from grader.class_folder import (BatchError, Discovery, discover, extract, not_opened,
                                 not_unpacked, unpacking_notes)
from grader.uploads import Upload, content_hash, parse_name

WALL_SLACK_SECONDS = 30.0  # what a grader process may take beyond its own deadlines



class OutputError(BatchError):
    """OUT cannot take this batch's reports: checked before anything is graded, so a class's
    hour of grading is not lost at the end. A usage error of OUT, not of the command line: the
    CLI prints it as one line, without the usage."""


class RootWorkersRefused(BatchError):
    """Student code would run as root on this machine (no sandbox, and a Python other users
    cannot read): refused before anything is graded, unless --allow-root-workers."""


class NoUploads(BatchError):
    """INPUT holds no upload at all: an empty download, or the wrong folder. Said before anything
    is written (an OUT graded before would otherwise mark every student as no longer present),
    with its own exit status, so an LMS pipeline stops instead of posting an empty gradebook."""


NO_UPLOADS_STATUS = 3

# What a batch writes at the top of OUT: each must be a file it can replace.
CLASS_FILES = ("gradebook.csv", "canvas.csv", "scores.csv", "index.html")
# Its working places in OUT: whether each is a folder (or a file), and what it keeps there.
WORK_PLACES = {".uploads": True, ".lms-groups": True, ".force-progress": False,
               ".batch-lock": False}
WORK_WHAT = {".uploads": "copy of the bulk zip's uploads",
             ".lms-groups": "folders of each flat-export student's files",
             ".force-progress": "record of how far a --force run got",
             ".batch-lock": "mark of the batch grading into it now"}


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already had a report of the same content
    changed: list[str] = field(default_factory=list)   # regraded: the upload's bytes changed
    removed: list[str] = field(default_factory=list)   # a report whose upload is gone (kept)
    failed: list[str] = field(default_factory=list)    # the grader itself gave no report
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    # Found but not graded by the end of the run (interrupted, a report lost): said where the
    # class is read, the gradebook's rows of them without a score.
    not_graded_yet: gradebook.NotGradedYet = field(default_factory=gradebook.NotGradedYet)


# ---- executors ------------------------------------------------------------------------------
# A task, or straight away the row of an upload that could not be packed.
Prepare = Callable[[Upload], "GradeTask | TaskOutcome"]
Deliver = Callable[[TaskOutcome], None]


class Executor(Protocol):
    """Runs `run_task` on every upload's task and passes each outcome to `deliver`, in this
    thread, as it arrives. On KeyboardInterrupt it stops what it started, then re-raises."""

    def run(self, uploads: Sequence[Upload], prepare: Prepare, deliver: Deliver) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Threads on this machine, `jobs` tasks at once; each task's grader is a process of its own."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(self, uploads: Sequence[Upload], prepare: Prepare, deliver: Deliver) -> None:
        launcher = task_mod.Launcher()  # one for all threads, so an interrupt stops every grader

        def work(upload: Upload) -> TaskOutcome:
            prepared = prepare(upload)
            if isinstance(prepared, TaskOutcome):
                return prepared
            return task_mod.run_task(prepared, launcher)

        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            pending = {pool.submit(work, u) for u in uploads}
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        outcome = future.result()
                    except task_mod.Stopped:
                        continue  # graded by the next run
                    deliver(outcome)
        finally:
            launcher.stop()
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


# ---- progress -------------------------------------------------------------------------------
class Progress:
    """On a terminal, one updating line with a bar, the rate and the ETA; otherwise one plain line
    per finished submission."""

    def __init__(self, total: int, stream: TextIO, tty: bool | None = None) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = time.monotonic()

    def finished(self, student: str, result: SubmissionResult, why: str = "") -> None:
        """`why` says why a graded submission was graded again ("regraded: changed")."""
        self.done += 1
        if not self.tty:
            unchecked = gradebook.not_checkable(result)
            # An upload with nothing to grade says so: "0/100" alone read as a wrong answer.
            empty = "" if result.error else nothing_graded(result)
            notes = [n for n in ("not graded" if result.error and not result.checks else "",
                                 empty.split(":", 1)[0] if empty else "",
                                 f"{unchecked:g} of them not checkable without the reference"
                                 if unchecked else "", why) if n]
            self.stream.write(f"{self.done}/{self.total} {student}: "
                              f"{result.score:g}/{result.max_score:g}"
                              f"{' (' + '; '.join(notes) + ')' if notes else ''}\n")
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
class OutLock:
    """One batch at a time in an OUT: a second one (a scheduled run overlapping a slow one, the
    same command typed in two terminals) would grade the same uploads twice and rewrite the
    gradebook under the first. Taken when the batch first writes into OUT, as an flock on
    OUT/.batch-lock, which the kernel lets go of however the batch ends (even kill -9), so no lock
    is ever left stale; the file's text (pid, start) only names the holder in the message. Where
    there is no flock (Windows), or the file system refuses it, batches are not kept apart."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / ".batch-lock"
        self.handle = None

    def take(self) -> None:
        if self.handle is not None:
            return
        try:
            import fcntl
        except ImportError:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError:
            return  # OUT cannot be written: said where the batch writes into it (OutputError)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = (handle.read().strip().splitlines() or [""])[-1]
            handle.close()
            raise OutputError(
                f"another autograde batch is grading into {self.path.parent} now"
                f"{f' ({holder})' if holder else ''}: two at once would grade the same uploads "
                "twice and rewrite each other's gradebook. Wait for it to end (run this command "
                "again then: it grades only what is left), or give another --out") from None
        except OSError:
            handle.close()  # a file system without locks: nothing to keep batches apart with
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started "
                     f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def run(*, source: Path, out: Path, grade_args: Sequence[str] = (), jobs: int | None = None,
        force: bool = False, pack: str = DEFAULT_PACK, wall_seconds: float = 330.0,
        stream: TextIO | None = None, tty: bool | None = None, reference: Path | None = None,
        no_reference: bool = False, dask: str | None = None,
        only: Sequence[str] | None = None, input_set: InputSet = PUBLIC,
        similar: bool = True, config: Path | None = None, mode: str = "",
        allow_root_workers: bool = False) -> BatchSummary:
    """Grade every upload in `source` (a folder or a .zip) into `out`; see the module docstring.
    `grade_args` go to each `autograde grade` as they are; `wall_seconds` bounds each one. The
    reference is found here, as `autograde grade` finds it (`reference`, `no_reference`, then
    $AUTOGRADE_REFERENCE, then the pack's own), and travels inside every task. `dask`, a
    scheduler's address, grades on that Dask cluster instead of `jobs` threads here. `only`
    grades those functions alone (`--only`); a report graded with another choice is regraded.
    `input_set`: the course secret's inputs (it travels inside every task, as the reference does);
    a report graded on other inputs is regraded.
    `similar=False` (`--no-similarity`) leaves identical wrong answers out of the overview.
    `config`, a course config, and a pack that is not built in travel inside every task too, so
    a cluster's workers need neither on their own disks.
    `mode`: the pack's grading mode the tasks grade in (their `grade_args` choose it); a report
    graded in another mode is regraded.
    `allow_root_workers` (`--allow-root-workers`): grade even where student code would run as
    root on this machine; else that is refused (RootWorkersRefused) before anything is graded."""
    stream = stream or sys.stderr
    started = time.monotonic()
    source, out = Path(source), Path(out)
    if only is not None:
        try:
            only = selection.validate(load_pack(pack), only)
        except selection.UnknownFunction as exc:
            raise BatchError(str(exc)) from None
        grade_args = [*grade_args, *(arg for name in only for arg in ("--only", name))]
    if allow_root_workers:  # each task's grade would refuse it too (grading.grade_to_files)
        grade_args = [*grade_args, "--allow-root-workers"]
    elif dask is None:  # here, where the graders run; a cluster's grades refuse on their own
        refusal = root_workers_refusal(_isolation_asked(grade_args))
        if refusal:
            # Graded on, one upload SIGKILLed every other student's worker (each scored 0) and
            # printed the reference into its own feedback; the only word came after the class.
            raise RootWorkersRefused(f"nothing graded: {refusal}")
    ref_dir = reference_mod.locate(load_pack(pack), reference, no_reference)
    named = reference_mod.missing_named(load_pack(pack))
    if ref_dir is None and not no_reference and input_set.secret is None:
        # It graded the class as students' copies: 21 of 40 for a correct upload, and no word.
        # (With a secret, the refusal below says why a reference is needed for it.)
        why = named or "no reference solution found beside the grader (an installed one has none)"
        raise BatchError(f"{why}; give --reference DIR (or set ${reference_mod.REFERENCE_ENV}), "
                         "or --no-reference to grade with the known answers")
    if ref_dir is not None and not Path(ref_dir).is_dir():
        raise BatchError(f"the reference folder {ref_dir} does not exist (--reference, "
                         f"${reference_mod.REFERENCE_ENV}); --no-reference grades without one")
    if ref_dir is not None:
        try:  # the instructor's own code, loaded once here as gradescope-zip does
            reference_mod.load(load_pack(pack), Path(ref_dir))
        except (reference_mod.ReferenceError, OSError, SyntaxError, ImportError) as exc:
            # Each grade fell back to the known answers, a secret unused, and exited 0.
            raise BatchError(f"the reference at {ref_dir} cannot be used ({exc}); "
                             "--no-reference grades without one") from None
        from grader import reference_check
        failing = reference_check.failures(load_pack(pack), Path(ref_dir), inputs=input_set,
                                           only=only)
        if failing:  # before anything is written: no gradebook of grades against it
            raise BatchError(reference_check.refusal(
                load_pack(pack), Path(ref_dir), failing,
                "; --no-reference grades with the known answers instead"))
    if ref_dir is None and input_set.secret is not None:
        # Each task's grade refuses it (exit 2), and the class got a gradebook of zeros.
        raise BatchError(
            "a course secret needs the reference solution, and "
            + ("--no-reference was given" if no_reference else
               "this grader has none beside it (an installed grader)")
            + f": pass --reference DIR (or set ${reference_mod.REFERENCE_ENV}). Without it, "
            "values are compared with the known answers, which exist for the public inputs only")
    try:  # packed once: every task carries the same bytes
        ref_zip = task_mod.pack_reference(ref_dir) if ref_dir is not None else None
    except task_mod.UploadError as exc:
        raise BatchError(f"the reference folder {ref_dir}: {exc}") from None
    pack_zip = task_mod.pack_pack(load_pack(pack))  # None for a built-in pack
    check_out(out, load_pack(pack).name)
    if not (source.is_dir() or (source.is_file() and source.suffix.lower() == ".zip")):
        raise BatchError(f"{source}: expected a folder or a .zip of submissions")
    config_file = None if config is None else (Path(config).name, Path(config).read_bytes())
    if dask is not None:
        from grader import cluster  # distributed is imported only when a cluster is asked for
        # Connected before anything is written: an unreachable cluster leaves OUT untouched.
        executor: Executor = cluster.DaskExecutor(dask)
    else:
        executor = LocalExecutor(jobs)
    lock = OutLock(out)
    try:
        return _run(executor, source=source, out=out, grade_args=grade_args, force=force,
                    pack=pack, wall_seconds=wall_seconds, stream=stream, tty=tty,
                    ref_zip=ref_zip, started=started, only=only, input_set=input_set,
                    similar=similar, pack_zip=pack_zip, config=config_file, mode=mode,
                    lock=lock)
    finally:
        executor.close()
        lock.release()


def _run(executor: Executor, *, source: Path, out: Path, grade_args: Sequence[str], force: bool,
         pack: str, wall_seconds: float, stream: TextIO, tty: bool | None, ref_zip: bytes | None,
         started: float, only: Sequence[str] | None = None,
         input_set: InputSet = PUBLIC, similar: bool = True,
         pack_zip: bytes | None = None,
         config: tuple[str, bytes] | None = None, mode: str = "",
         lock: OutLock | None = None) -> BatchSummary:
    reports = out / "reports"
    lock = lock or OutLock(out)
    # The input first: a bulk zip that cannot be read leaves no empty OUT/reports behind.
    if source.is_file() and source.suffix.lower() == ".zip":
        if out.is_dir():  # a zip that is no zip leaves a new OUT uncreated
            lock.take()  # before its uploads are copied out into OUT
        folder = extract(source, out / ".uploads")
    else:
        folder = source
    previous = load_reports(reports)
    found = discover(folder, exclude=out, grouped=out / ".lms-groups",
                     shown_as=source.name if folder != source else "",
                     layout=load_pack(pack).layout,
                     functions=[f.name for f in load_pack(pack).functions],
                     known={str(r.upload.get("name")): student for student, r in previous.items()
                            if isinstance(r.upload, dict) and r.upload.get("name")})
    if folder != source:
        found.notes[:0] = unpacking_notes(folder)
    if not found.uploads:
        said = "; ".join(found.notes)
        raise NoUploads(f"{source} holds no upload to grade (a .py, .zip, .tar.gz or .ipynb "
                        f"file, or a folder, per student){': ' + said if said else ''}. Nothing was graded, "
                        "and no report or gradebook written: is it the right folder or download?")
    if ref_zip is not None and input_set.secret is None:
        # gradescope-zip says so; a class graded here was not told (probe s54): a lookup table of
        # the public calls, read from any student's copy, scores 21.7 to 79 of 100 on them.
        note = ("graded on the public inputs: no course secret (--secret, --secret-file or "
                "$AUTOGRADE_SECRET). Every student's copy of the grader asks these same inputs "
                "and can log them, so answers memorised for them pass; under a secret they earn "
                "at most the handout's examples (README: The course secret)")
        found.notes.insert(0, note)
    hashes = {u.student: _hash_or_none(u.path) for u in found.uploads}
    stamp = fingerprint(input_set)
    graded_with = _graded_with(load_pack(pack), ref_zip)
    # How the reports name the config (course_config.describe), to regrade when it changed.
    config_label = "" if config is None else \
        f"{config[0]} (sha256 {hashlib.sha256(config[1]).hexdigest()[:12]})"
    # A forced run lists, until it ends, the uploads it has regraded: the same command run again
    # after an interruption regrades only what that run had not reached.
    forced_mark = out / ".force-progress"
    done_by_force: set[str] = set()
    if force:
        try:
            done_by_force = set(forced_mark.read_text(encoding="utf-8").split("\n")) - {""}
        except OSError:
            pass  # none yet: made below, once the lock is held
    sandbox_demanded = _isolation_asked(grade_args) == "sandbox"
    why = {u.student: _why_grade(previous.get(u.student), hashes[u.student], force, only, stamp,
                                 mode, config_label, sandbox_demanded, graded_with)
           for u in found.uploads}
    for student in done_by_force:
        if student in why and previous.get(student) is not None \
                and previous[student].upload.get("sha256") == hashes[student]:
            why[student] = None  # regraded by this forced run before it was interrupted
    if not force:
        # Before the lock is taken: a refused run writes nothing.
        _refuse_to_replace(out, previous, why, only, stamp)
    lock.take()  # before the first report or mark is written
    reports.mkdir(parents=True, exist_ok=True)
    if force and not forced_mark.exists():
        forced_mark.write_text("", encoding="utf-8")
    summary = BatchSummary(notes=list(found.notes))
    for note in found.notes:
        stream.write(f"autograde batch: {note}\n")
    todo = [u for u in found.uploads if why[u.student] is not None]
    summary.skipped = [u.student for u in found.uploads if why[u.student] is None]
    summary.changed = [s for s, w in why.items() if w == CHANGED]
    present = {u.student for u in found.uploads}
    summary.removed = sorted(s for s in previous if s not in present)
    if summary.skipped and force:
        stream.write(f"autograde batch: {len(summary.skipped)} of {len(found.uploads)} already "
                     f"regraded by this --force run before it was interrupted; grading "
                     f"{len(todo)}\n")
    elif summary.skipped:
        stream.write(f"autograde batch: {len(summary.skipped)} of {len(found.uploads)} already "
                     f"graded, unchanged since (--force regrades them); grading {len(todo)}\n")
    if summary.changed:
        stream.write(f"autograde batch: {len(summary.changed)} changed since graded, regraded: "
                     f"{', '.join(summary.changed)}\n")
    if summary.removed:
        stream.write(f"autograde batch: {len(summary.removed)} graded before but no longer among "
                     f"the uploads (their reports are kept): {', '.join(summary.removed)}\n")
    progress = Progress(len(todo), stream, tty)
    by_student = {u.student: u for u in todo}
    unsandboxed: dict[str, str] = {}  # student -> why their upload ran outside the sandbox
    as_root: set[str] = set()  # of those, the students whose upload ran as root

    def prepare(upload: Upload) -> GradeTask | TaskOutcome:
        lost = (not_unpacked(folder, upload.path) if folder != source else None) \
            or not_opened(upload.path)
        if lost:
            return task_mod.failed_outcome(upload.student, shown(upload), pack,
                                           f"the upload could not be graded: "
                                           f"{str(lost).rstrip('.')}.",
                                           retry=False)
        try:
            return task_mod.pack_upload(upload, reference=ref_zip, grade_args=grade_args,
                                        pack=pack, wall_seconds=wall_seconds,
                                        secret=input_set.secret, pack_files=pack_zip,
                                        config=config, display=shown(upload))
        except task_mod.UploadError as exc:
            return task_mod.failed_outcome(upload.student, shown(upload), pack,
                                           f"the upload could not be graded: "
                                           f"{str(exc).rstrip('.')}.",
                                           retry=False)

    def deliver(outcome: TaskOutcome) -> None:
        upload = by_student[outcome.student]
        result = SubmissionResult.from_dict(json.loads(outcome.report_json))
        stamped = dataclasses.replace(result, upload=upload_record(
            upload.path.name, hashes[upload.student], only=only, inputs=input_set.name,
            input_fingerprint=stamp, files=[Path(f).name for f in upload.files],
            graded_with=graded_with, not_graded=not outcome.graded and outcome.retry))
        # HTML first, JSON last and each atomically: a present JSON means the submission is done,
        # and its content hash is in it, so no report can claim content it was not graded from.
        with held_interrupts():  # the report and its --force record, both or neither
            try:
                json_report.write_text(reports / f"{outcome.student}.html", outcome.report_html)
                json_report.write(stamped, reports / f"{outcome.student}.json")
            except OSError as exc:  # OUT changed under the batch (checked writable before)
                raise OutputError(f"cannot write {outcome.student}'s report into {reports}: "
                                  f"{exc.strerror or exc}. The {len(summary.graded)} reports "
                                  "written before are kept: run the same command again once it "
                                  "can be written") from None
            if force:
                with open(forced_mark, "a", encoding="utf-8") as progress_file:
                    progress_file.write(outcome.student + "\n")
            (summary.graded if outcome.graded else summary.failed).append(outcome.student)
        if result.isolation.get("mode") == "process":
            unsandboxed[outcome.student] = str(result.isolation.get("why_not_sandbox", ""))
            if _as_root(result):
                as_root.add(outcome.student)
        progress.finished(outcome.student, result, why[outcome.student] or "")

    try:
        executor.run(todo, prepare, deliver)
        # A report that cannot be read now was damaged on disk while the batch ran (under
        # process isolation an upload's code can write there): its student would have no row,
        # and nothing would say so. Graded again, once.
        readable = load_reports(reports)
        damaged = [u for u in found.uploads if u.student not in readable]
        if damaged:
            names = ", ".join(u.student for u in damaged)
            stream.write(f"autograde batch: {len(damaged)} report{'s' if len(damaged) > 1 else ''}"
                         f" could not be read after grading (changed on disk while the batch "
                         f"ran): {names}; grading again\n")
            for upload in damaged:
                why[upload.student] = DAMAGED
                by_student[upload.student] = upload
                for done in (summary.graded, summary.failed):
                    if upload.student in done:
                        done.remove(upload.student)
                if upload.student in summary.skipped:
                    summary.skipped.remove(upload.student)
            progress = Progress(len(damaged), stream, tty)
            executor.run(damaged, prepare, deliver)
            lost = [u.student for u in damaged if u.student not in load_reports(reports)]
            if lost:
                note = (f"the report{'s' if len(lost) > 1 else ''} of {', '.join(lost)} could "
                        "not be read after grading twice (changed on disk while the batch ran): "
                        f"{'they have' if len(lost) > 1 else 'it has'} no row in the gradebook. "
                        "Run the batch again in the sandbox (--isolation sandbox)")
                summary.notes.append(note)
                stream.write(f"autograde batch: {note}\n")
    except KeyboardInterrupt:
        summary.interrupted = True
        stream.write("\nautograde batch: interrupted; run the same command again to finish\n")
    else:
        forced_mark.unlink(missing_ok=True)
    # A report kept from an earlier run graded without the sandbox is as exposed as one graded
    # now: said while it stands (a rerun that kept them all dropped the warning).
    kept_unsandboxed = [s for s in summary.skipped if previous.get(s) is not None
                        and previous[s].isolation.get("mode") == "process"]
    for student in kept_unsandboxed:
        unsandboxed.setdefault(student,
                               str(previous[student].isolation.get("why_not_sandbox", "")))
        if _as_root(previous[student]):
            as_root.add(student)
    if unsandboxed:
        # Said where the instructor looks, not only in each student's report: a class graded
        # this way had every upload's code able to reach the others' uploads and reports.
        reason = next((w for w in unsandboxed.values() if w), "")
        note = (f"{len(unsandboxed)} of {len(found.uploads)} uploads were graded WITHOUT a sandbox"
                + (f" ({reason})" if reason else "") + ": their code could read and write "
                "whatever the grader's user may, other students' uploads and reports included, "
                f"and use the network. {_sandbox_advice(reason)}"
                + (f" {len(as_root)} of them ran AS ROOT (--allow-root-workers): their code "
                   "could read the reference and stop other students' workers."
                   if as_root else "")
                + (f" {len(kept_unsandboxed)} of them "
                   f"{'was' if len(kept_unsandboxed) == 1 else 'were'} kept from an earlier run: "
                   "the same command with --isolation sandbox regrades them in the sandbox."
                   if kept_unsandboxed else ""))
        summary.notes.append(note)
        stream.write(f"autograde batch: {note}\n")
    results = load_reports(reports)
    summary.not_graded_yet = _not_graded_yet(found.uploads, todo, results, summary)
    if summary.not_graded_yet:
        stream.write(f"autograde batch: INCOMPLETE: {summary.not_graded_yet.banner()}\n")
    # Said where the instructor looks, as the sandbox is above: each report says it only to its
    # student, and one broken check usually breaks it for most of the class.
    broken = grader_problems.note(results)
    if broken:
        summary.notes.append(broken)
        stream.write(f"autograde batch: {broken}\n")
    for note in not_graded_notes(results):
        summary.notes.append(note)
        stream.write(f"autograde batch: {note}\n")
    try:
        summary.rows = write_class_reports(out, notes=summary.notes, present=present,
                                           similar=similar,
                                           functions=[f.name for f in load_pack(pack).functions],
                                           results=results, pending=summary.not_graded_yet)
    except OSError as exc:
        raise OutputError(f"cannot write the gradebook and overview into {out}: "
                          f"{exc.strerror or exc} ({exc.filename}). The reports in {reports} are "
                          "kept: run the same command again (it grades nothing twice) once it "
                          "can be written") from None
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _not_graded_yet(uploads: Sequence[Upload], todo: Sequence[Upload],
                    results: Mapping[str, SubmissionResult],
                    summary: BatchSummary) -> gradebook.NotGradedYet:
    """The uploads found that this run did not grade as it meant to: those without a readable
    report (no row otherwise), and, when it was interrupted, those it meant to regrade and did
    not reach (their earlier reports stand in)."""
    delivered = {*summary.graded, *summary.failed}
    missing = {u.student: upload_record(u.path.name, None, files=[Path(f).name for f in u.files])
               for u in uploads if u.student not in results}
    stale = sorted(u.student for u in todo if u.student in results
                   and u.student not in delivered) if summary.interrupted else []
    why = ("the batch was interrupted; run the same command again to finish"
           if summary.interrupted else "run the same command again to grade them")
    return gradebook.NotGradedYet(uploads=missing, stale=stale, found=len(uploads), why=why)


def not_graded_notes(results: dict[str, SubmissionResult], shown: int = 10) -> list[str]:
    """One note per reason for the uploads that could not be graded: each is a row of 0 whose
    reason was in its own report only (probe s56: 38 of 60 rows at 0, the overview silent on
    why). Those the grader failed on are graded again by the next run (upload.not_graded); an
    upload that itself cannot be graded (too large, damaged) waits for a new one."""
    by_reason: dict[tuple[str, bool], list[str]] = {}
    for student, result in sorted(results.items()):
        retried = bool(result.upload.get("not_graded"))
        if not retried and (result.checks or not result.error or not all(
                f.summary == "not graded" for f in result.functions)):
            continue  # graded (a failed outcome has no checks, and says so of every function)
        first, _, rest = (result.error or "no reason recorded").partition("\n")
        reason = first.removesuffix(" the next run of the batch grades it again.").rstrip("; .")
        reason = reason.removeprefix("the upload could not be graded: ")
        last = next((line.strip() for line in reversed(rest.splitlines()) if line.strip()), "")
        if last.startswith("autograde"):  # the grader's own one-line refusal says why
            reason += f" ({last[:200]})"
        by_reason.setdefault((reason, retried), []).append(student)
    notes = []
    for (reason, retried), students in by_reason.items():
        named = ", ".join(students[:shown]) + (f" and {len(students) - shown} more"
                                                if len(students) > shown else "")
        many = len(students) > 1
        then = (f"until the next run of the batch, which grades {'them' if many else 'it'} again"
                if retried else "until a new upload replaces it, graded by the next run")
        notes.append(f"{len(students)} upload{'s' if many else ''} could not be graded ({named}): "
                     f"{reason}. {'Each has' if many else 'It has'} a 0 in the gradebook {then}.")
    return notes


CHANGED = "regraded: changed"
UNKEYED = "regraded: its report records no content"
FORCED = "regraded: --force"
OTHER_FUNCTIONS = "regraded: other functions (--only)"
OTHER_INPUTS = "regraded: other inputs (the course secret changed)"
OTHER_MODE = "regraded: another grading mode"
OTHER_CONFIG = "regraded: the course config changed"
OUTSIDE_SANDBOX = "regraded: graded without the sandbox, which --isolation sandbox now demands"
OTHER_PACK = "regraded: the pack's checks or the reference changed"
GRADER_PROBLEM = "regraded: a check failed in the grader itself when it was graded"
NOT_GRADED = "regraded: it could not be graded last time"
DAMAGED = "regraded: its report was changed on disk while the batch ran"


@contextlib.contextmanager
def held_interrupts() -> Iterator[None]:
    """Ctrl-C or `kill` (SIGTERM) during the block is acted on as it ends. A forced run stopped
    between writing a report and recording it in .force-progress left a report the next --force
    run graded a third time. Outside the main thread signals cannot be held, nor arrive."""
    caught: list[tuple[int, object]] = []
    held = (signal.SIGINT, signal.SIGTERM)
    try:
        before = {signum: signal.signal(signum, lambda n, f: caught.append((n, f)))
                  for signum in held}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if caught:
            signum, frame = caught[0]
            handler = before[signum]
            if callable(handler):
                handler(signum, frame)  # KeyboardInterrupt, from Python's or the CLI's handler
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


class WouldReplace(BatchError):
    """This run would replace reports that hold more than it grades, or that were graded under a
    course secret it does not have: refused before anything is written, --force to go on. Both
    are what a command run from another shell or copied from another line does by mistake, and
    either leaves a gradebook that an LMS import posts without a sign of it."""


def _refuse_to_replace(out: Path, previous: dict[str, SubmissionResult],
                       why: dict[str, str | None], only: Sequence[str] | None,
                       stamp: str) -> None:
    """Raise WouldReplace when this run would regrade reports of every function (or of other
    functions) with --only, or reports graded under a course secret without one."""
    narrower, secret = [], []
    for student, reason in why.items():
        report = previous.get(student)
        if not reason or report is None:
            continue
        graded = report.upload.get("only")
        if only is not None and (graded is None or set(graded) - set(only)):
            narrower.append((student, report, graded))
        if stamp == "public" and report.upload.get("input_fingerprint", "public") != "public":
            secret.append(student)
    if narrower:
        student, report, graded = narrower[0]
        what = "every function" if graded is None else ", ".join(graded)
        score = f"{report.score:g}/{report.max_score:g}"
        count = len(narrower)
        raise WouldReplace(
            f"{out} holds {count} report{'s' if count != 1 else ''} graded on {what} (such as "
            f"{student}: {score}), and this run grades {', '.join(only or ())} alone (--only): "
            f"it would replace {'them' if count != 1 else 'it'} with reports of "
            f"{', '.join(only or ())} alone, and the gradebook and the LMS imports would hold "
            f"those scores. Give an --only run its own --out (such as "
            f"{out}-{'-'.join(only or ())}), or add --force to replace them. Nothing was graded")
    if secret:
        count = len(secret)
        raise WouldReplace(
            f"{out} holds {count} report{'s' if count != 1 else ''} graded under a course secret "
            f"(such as {secret[0]}), and this run has none ($AUTOGRADE_SECRET is not set, and "
            f"no --secret or --secret-file was given): it would regrade "
            f"{'them' if count != 1 else 'it'} on the public inputs, which every student's copy "
            f"draws. Run it where the course secret is set, or add --force to grade on the public "
            f"inputs. Nothing was graded")


def _hash_or_none(path: Path) -> str | None:
    try:
        return content_hash(path)
    except OSError:
        return None  # unreadable: graded again each run, and packing it says why


def _as_root(result: SubmissionResult) -> bool:
    """Whether the upload's code ran as root (its report's isolation says so: session.py)."""
    return str(result.isolation.get("user", "")).startswith("root")


def _isolation_asked(grade_args: Sequence[str]) -> str:
    """The --isolation the graders are given ("auto" when none)."""
    asked = "auto"
    for n, arg in enumerate(grade_args):
        if arg == "--isolation" and n + 1 < len(grade_args):
            asked = grade_args[n + 1]
        elif arg.startswith("--isolation="):
            asked = arg.split("=", 1)[1]
    return asked


def _why_grade(previous: SubmissionResult | None, digest: str | None, force: bool,
               only: Sequence[str] | None = None, inputs: str = "public",
               mode: str = "", config: str = "", sandbox: bool = False,
               graded_with: str = "") -> str | None:
    """None when the upload's report stands; "" to grade an upload that has none; otherwise why a
    graded upload is graded again. Compared by content, not by time: a re-downloaded bulk zip
    gives every file a new time, and a replaced upload may keep its name."""
    if previous is None:
        return ""
    if force:
        return FORCED
    if previous.upload.get("not_graded"):
        # The grader failed, not the upload (a worker that could not start, a grader killed):
        # a 0 that stood until --force, which regraded the whole class to retry a few.
        return NOT_GRADED
    recorded = previous.upload.get("sha256")
    if not recorded or digest is None:
        return UNKEYED  # written before reports recorded content, or unreadable now: be sure
    if recorded != digest:
        return CHANGED
    if previous.upload.get("only") != (None if only is None else list(only)):
        return OTHER_FUNCTIONS  # a report of one function must not stand for all of them
    if previous.upload.get("input_fingerprint", "public") != inputs:
        return OTHER_INPUTS  # graded on the public inputs, or under another secret
    if previous.mode.get("name", "") != mode:
        return OTHER_MODE  # e.g. by the course's formula, now by the exact gradient
    if previous.versions.get("config", "") != config:
        return OTHER_CONFIG  # points, visibility or deadlines may differ
    if graded_with and previous.upload.get("graded_with", graded_with) != graded_with:
        # A check fixed, or the reference: the class's reports must come from one version of
        # them. (A report from before the record is kept: what graded it is unknown.)
        return OTHER_PACK
    if sandbox and previous.isolation.get("mode") == "process":
        # The instructor did what the batch advised: under process isolation any upload could
        # have rewritten this report (`sandbox`: --isolation sandbox was asked for).
        return OUTSIDE_SANDBOX
    if any(check.grader_error for check in previous.checks):
        # Undecided points, not a grade: the pack may have been fixed since.
        return GRADER_PROBLEM
    return None


def shown(upload: Upload) -> str:
    """Where a report says its upload was: its path, or for the files of a flat LMS export the
    batch gathered into a folder of its own, their folder and names (the batch's folder is no
    place an instructor looks)."""
    if not upload.files:
        return str(upload.path)
    return f"{Path(upload.files[0]).parent}: {', '.join(Path(f).name for f in upload.files)}"


def upload_record(name: str, digest: str | None, *, inputs: str = "public",
                  only: Sequence[str] | None = None, input_fingerprint: str = "public",
                  files: Sequence[str] = (), graded_with: str = "",
                  not_graded: bool = False) -> dict:
    """What a batch stamps into a report about the upload it graded (SubmissionResult.upload).
    `inputs` is the input set the checks drew from ("public" or "secret"), `input_fingerprint`
    tells one secret from another (grader/input_set.py) without revealing it. `files`: the
    original names of a flat export's files graded together (`name` is then the batch's folder
    of them, which keeps the student's identifier from run to run). `graded_with`: a digest of
    the pack's files and the reference (_graded_with). `not_graded`: the grader gave no report
    (the row is a 0 with the reason), which the next run grades again."""
    parsed = parse_name(name)
    return {"name": name, "sha256": digest or "", "convention": parsed.convention,
            **({"files": list(files)} if files else {}),
            "canvas_user_id": parsed.canvas_user_id,
            "canvas_submission_id": parsed.canvas_submission_id, "late": parsed.late,
            "moodle_participant_id": parsed.moodle_participant_id,
            "blackboard_username": parsed.blackboard_username,
            "brightspace_id": parsed.brightspace_id,
            "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "inputs": inputs, "input_fingerprint": input_fingerprint,
            "only": None if only is None else list(only),
            **({"graded_with": graded_with} if graded_with else {}),
            **({"not_graded": True} if not_graded else {})}


def _graded_with(pack: Pack, ref_zip: bytes | None) -> str:
    """A digest of what decides a grade besides the upload and the options: the pack's files
    (its checks, inputs, hints, known answers) and the reference's (packed deterministically)."""
    digest = hashlib.sha256(b"autograde pack v1\n")
    root = Path(pack.checks_dir).parent
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        # Not what tools leave there (.pytest_cache, .DS_Store, bytecode): it grades nothing.
        if path.is_file() and not path.is_symlink() and path.suffix != ".pyc" and not any(
                part.startswith(".") or part == "__pycache__" for part in parts):
            digest.update("/".join(parts).encode("utf-8", "surrogateescape") + b"\0"
                          + hashlib.sha256(path.read_bytes()).digest())
    digest.update(b"\0reference\0" + (ref_zip or b""))
    return digest.hexdigest()[:16]


def _sandbox_advice(reason: str) -> str:
    """What to do about a class graded without the sandbox, for the reason it was."""
    if "--isolation process" in reason:
        return "Leave out --isolation process to grade a class in the sandbox."
    if shutil.which("bwrap") is None:
        advice = "Install bubblewrap (bwrap) to grade a class in the sandbox"
    else:  # installed, and refused: the kernel's or the distribution's rule for this user
        advice = ("bubblewrap is installed but cannot make its namespaces for this user: run the "
                  "batch as root, or let users make them (Debian: sysctl "
                  "kernel.unprivileged_userns_clone=1; Ubuntu 24.04: an AppArmor profile for "
                  "bwrap)")
    return advice + ", or pass --isolation sandbox to refuse to grade without one."


def check_out(out: Path, pack: str) -> None:
    """Raise OutputError when OUT cannot take a batch of the pack named `pack`, before anything is
    graded or written: a file where OUT/reports goes, a folder where the gradebook or the
    overview goes, a reports folder that cannot be written, or reports of another pack. One OUT
    holds one pack's reports: the gradebook has one column per function of the pack and the
    overview compares the students' functions, so two packs' reports cannot share them."""
    out = Path(out)
    why = output_paths.problem(out, folder=True)
    if why:
        raise OutputError(f"cannot write --out {out}: {why}")
    reports = out / "reports"
    if reports.exists() and not reports.is_dir():
        raise OutputError(f"{reports} is a file, not a folder: the batch writes its reports "
                          "there. Move the file away, or give another --out")
    for name in CLASS_FILES:
        if (out / name).is_dir():
            raise OutputError(f"{out / name} is a folder: the batch writes its {name} there. "
                              "Move the folder away, or give another --out")
    # The batch's own working places: a bulk zip copied out, a flat export's students gathered,
    # where a --force run has got to. Something else in their way is said before grading.
    for name, folder in WORK_PLACES.items():
        place = out / name
        if place.exists() and place.is_dir() != folder:
            raise OutputError(f"{place} is a {'file' if folder else 'folder'}: the batch keeps "
                              f"its {WORK_WHAT[name]} there. Move it away, or give another --out")
        if folder and place.is_dir() and not os.access(place, os.W_OK | os.X_OK):
            raise OutputError(f"{place} cannot be written: the batch keeps its {WORK_WHAT[name]} "
                              "there. Make it writable, or give another --out")
    if not reports.is_dir():
        return
    why = output_paths.problem(reports, folder=True)
    if why:
        raise OutputError(f"the reports cannot be written ({why}). The reports there are "
                          "kept; give another --out, or make it writable")
    others: dict[str, int] = {}
    for path in reports.glob("*.json"):
        try:
            graded_with = json.loads(path.read_text(encoding="utf-8"))["versions"]["pack"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a report of ours: load_reports leaves it out too
        if isinstance(graded_with, str) and graded_with != pack:
            others[graded_with] = others.get(graded_with, 0) + 1
    if others:
        other, count = max(others.items(), key=lambda item: item[1])
        raise OutputError(
            f"{out} holds {count} report{'s' if count != 1 else ''} graded with the pack "
            f"{other}, and this batch grades the pack {pack}: one OUTDIR holds one pack's "
            f"reports (its gradebook has a column per function of the pack). Give this pack "
            f"its own --out (such as {out}-{pack}), or "
            f"--pack {other} to go on with that one")


def load_reports(reports: Path) -> dict[str, SubmissionResult]:
    """Every readable report in `reports`, by identifier (its file name)."""
    results = {}
    for path in sorted(reports.glob("*.json")):
        try:
            results[path.stem] = json_report.read(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or from an older schema: regraded by the next run
    return results


def write_class_reports(out: Path, *, notes: Sequence[str] = (),
                        present: Collection[str] | None = None, similar: bool = True,
                        functions: Sequence[str] = (),
                        results: Mapping[str, SubmissionResult] | None = None,
                        pending: gradebook.NotGradedYet = gradebook.NotGradedYet()) -> int:
    """Rebuild gradebook.csv, the LMS imports (canvas.csv, scores.csv) and index.html from every
    report in OUT/reports, and a row without a score for each upload of `pending` (found, not
    graded yet: each file says the class is incomplete); return the rows.
    `present`: the students whose uploads this run found (None: all); the overview marks the
    others' reports, which are kept, as no longer present. `similar`: group identical wrong
    answers in the overview. `functions`: the pack's, the gradebook's first columns. `results`:
    the reports of OUT/reports, when they were read already."""
    if results is None:
        results = load_reports(Path(out) / "reports")
    gone = set() if present is None else set(results) - set(present)
    json_report.write_text(Path(out) / "gradebook.csv",
                           gradebook.render(results, functions, gone, pending))
    # One row per Canvas user: a kept report of one graded here under another identifier is
    # left out of canvas.csv (gradebook.csv keeps it, marked no longer present), and said.
    replaced = gradebook.superseded(results, gone, pending)
    notes = [*notes, *(f"canvas.csv leaves out {old}, graded before and no longer among the "
                       f"uploads: its Canvas user {number} is {new}'s, graded from this "
                       "download (gradebook.csv keeps its row, marked no_longer_present)"
                       for old, (new, number) in replaced.items())]
    json_report.write_text(Path(out) / "canvas.csv",
                           gradebook.canvas(results, pending=pending, left_out=replaced))
    json_report.write_text(Path(out) / "scores.csv", gradebook.scores(results, pending))
    json_report.write_text(Path(out) / "index.html",
                           overview.render(results, notes=notes, gone=gone, similar=similar,
                                           pending=pending))
    return len(results) + len(pending.uploads)


__all__ = ["BatchError", "BatchSummary", "Discovery", "Executor", "LocalExecutor", "NoUploads",
           "OutputError", "Upload", "check_out", "discover", "extract", "run", "unpacking_notes",
           "write_class_reports"]
