"""`autograde batch`: a class's uploads graded in one go, resumable, with a gradebook and an overview."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import (FIXTURES, REPORT_SCHEMA, ROOT, assert_every_failure_explained, grade,
                      grade_batch, run_cli)
from grader import batch, uploads
from grader.isolation import bwrap_problem
from grader.model import SubmissionResult

HANG = ("--import-timeout", "1")
CLASS = {"alice": 100, "bob": 43, "carol": 0, "dave": 100, "eve": 0}


def _zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(folder).as_posix())
    return archive


def _small_class(folder: Path) -> Path:
    """alice (100), carol (the template, 0) and eve (hangs at import), as a folder."""
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "alice.py")
    shutil.copytree(ROOT / "student_template", folder / "carol")
    shutil.copy(FIXTURES / "hang_at_import.py", folder / "eve.py")
    return folder


def _rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))


def _mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "reports").iterdir()}


@pytest.fixture(scope="module")
def class_batch(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """An LMS-style bulk download: a plain name, a Canvas name, a folder per student, a nested zip
    and a submission that hangs, all inside one outer zip."""
    base = tmp_path_factory.mktemp("batch")
    uploads = base / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    shutil.copy(ROOT / "examples" / "submission.py", uploads / "bob_12345_67890_submission.py")
    shutil.copytree(ROOT / "student_template", uploads / "carol")
    _zip_folder(FIXTURES / "correct_multifile", uploads / "dave.zip")
    shutil.copy(FIXTURES / "hang_at_import.py", uploads / "eve.py")
    (uploads / "README.txt").write_text("not a submission")
    archive = _zip_folder(uploads, base / "class.zip")
    out = base / "out"
    proc = run_cli("batch", str(archive), "--out", str(out), "--jobs", "2", *HANG)
    assert proc.returncode == 0, proc.stderr
    return archive, out, proc


# ---- naming and discovery (no grading) ------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("alice.py", "alice"), ("alice", "alice"), ("alice.zip", "alice"), ("Alice.ipynb", "Alice"),
    ("smithjohn_12345_67890_q1_softmax.py", "smithjohn"),
    ("smithjohn_LATE_12345_67890_submission.zip", "smithjohn"),
    ("Jane Doe_4242_assignsubmission_file_", "Jane_Doe"),
    ("-=cmd|x.py", "cmd_x"), ("../..", "submission"), ("é.py", "é"), ("_.py", "submission"),
    ("Seán O'Brien_4242_assignsubmission_file_", "Seán_O_Brien"),
    ("Zoe\u0308 Mu\u0308ller.py", "Zoë_Müller"),  # as macOS spells it: one form either way
])
def test_student_ids(name, expected):
    assert uploads.student_id(name) == expected


def test_collisions_are_resolved_in_path_order_and_reported(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice.py").write_text("")
    (tmp_path / "alice_1_2_q.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    first, second = batch.discover(tmp_path), batch.discover(tmp_path)
    assert first == second
    assert [(u.student, u.path.name) for u in first.uploads] == [
        ("alice", "alice"), ("alice-2", "alice.py"), ("alice-3", "alice_1_2_q.py")]
    # Each renamed upload is named first, with every other upload of that student: the note
    # said "alice.py and alice both name student 'alice': graded as 'alice-2'", which reads as
    # if alice were renamed, and named only two of three.
    assert [n for n in first.notes if "graded as" in n] == [
        "alice.py is graded as 'alice-2': alice (graded as 'alice') and alice_1_2_q.py (graded "
        "as 'alice-3') name the same student",
        "alice_1_2_q.py is graded as 'alice-3': alice (graded as 'alice') and alice.py (graded "
        "as 'alice-2') name the same student"]
    assert any("ignored notes.txt" in n for n in first.notes)


def test_outer_zip_is_extracted_safely(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.py", "x = 1")
    with pytest.raises(batch.BatchError, match="unsafe path"):
        batch.extract(evil, tmp_path / "out" / ".uploads")
    assert not (tmp_path / "out" / "escape.py").exists()
    linked = tmp_path / "linked.zip"
    with zipfile.ZipFile(linked, "w") as zf:
        link = zipfile.ZipInfo("bob.py")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("alice.py", "x = 1")
    dest = batch.extract(linked, tmp_path / "u")
    # The link is not unpacked; the batch's note of it (.unreadable.json) is all it leaves.
    assert sorted(p.name for p in dest.iterdir()) == [".complete", ".unreadable.json", "alice.py"]
    assert any("ignored bob.py in linked.zip" in n for n in batch.unpacking_notes(dest))


def test_the_files_canvas_names_for_one_student_are_one_submission(tmp_path):
    """Canvas names each file a student hands in `name_userid_attachmentid_file`: the four files
    of the original layout are one submission, under their own names (q2_neural.py imports
    q2_sigmoid), one gradebook row with the user id; a rerun finds it graded already."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for n, path in enumerate(sorted((FIXTURES / "correct_multifile").glob("*.py"))):
        shutil.copyfile(path, uploads / f"patelraj_13579_2468{n}_{path.name}")
    shutil.copyfile(FIXTURES / "correct_summed.py", uploads / "smithjohn_12345_67890_hw1.py")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [(r["submission"], r["score"], r["canvas_user_id"]) for r in rows] == [
        ("patelraj", "100", "13579"), ("smithjohn", "100", "12345")], rows
    assert ("4 files of Canvas user 13579 (patelraj) graded as one submission: q1_softmax.py, "
            "q2_neural.py, q2_sigmoid.py, q3_word2vec.py") in proc.stderr
    again = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert "2 of 2 already graded" in again.stderr, again.stderr


def test_a_zip_of_the_download_folder_is_a_class_and_one_students_folder_is_not(tmp_path):
    """Zipping the bulk download's folder puts every upload under one folder: those are the
    class's uploads, graded one by one (were one 'student' mixing three). A lone folder of the
    assignment's own files is still one student's."""
    wrapped = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(wrapped, "w") as zf:
        for name in ("carol", "bob", "dora"):
            zf.write(FIXTURES / "correct_summed.py", f"HW1-submissions/{name}.py")
    found = batch.discover(batch.extract(wrapped, tmp_path / "class"), layout=("q1_softmax",))
    assert [u.student for u in found.uploads] == ["bob", "carol", "dora"]
    lone = tmp_path / "lone"
    shutil.copytree(FIXTURES / "correct_multifile", lone / "alice")
    found = batch.discover(lone, layout=("q1_softmax", "q2_sigmoid", "q2_neural", "q3_word2vec"))
    assert [u.student for u in found.uploads] == ["alice"]


def test_moodles_online_text_beside_a_file_submission_is_not_a_second_student(tmp_path):
    for name in ("Zoë Müller_4646_assignsubmission_file_",
                 "Zoë Müller_4646_assignsubmission_onlinetext_", "Ann Lee_77_assignsubmission_file_"):
        (tmp_path / name).mkdir()
    (tmp_path / "Zoë Müller_4646_assignsubmission_onlinetext_" / "onlinetext.html").write_text("hi")
    found = batch.discover(tmp_path)
    assert [u.student for u in found.uploads] == ["Ann_Lee", "Zoë_Müller"]
    assert found.notes == ["left out Zoë Müller_4646_assignsubmission_onlinetext_: Moodle's other "
                           "submission for participant 4646, whose files are graded"]


def test_a_damaged_member_of_a_class_zip_costs_that_upload_only(tmp_path):
    """A bulk download with one student's file damaged (a bad CRC) or encrypted: the others are
    graded, and the damaged ones are named in the batch's notes, not a traceback. Their students
    still get a row: 0, and why (a pipeline posting the gradebook gave them no row at all)."""
    bulk = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bulk, "w") as zf:
        zf.write(FIXTURES / "correct_summed.py", "alice.py")
        zf.writestr("carl.py", "x = 1\n")
        zf.writestr("dora.py", "y = 2\n")
        for path in sorted((FIXTURES / "correct_multifile").glob("*.py")):  # one file damaged
            zf.write(path, f"erin/{path.name}")
    raw = bytearray(bulk.read_bytes())
    for name, field, change in ((b"carl.py", 14, 0xFF), (b"dora.py", 6, 0x01),
                                (b"erin/q2_neural.py", 14, 0xFF)):
        # Carl's CRC-32, Dora's encryption flag: in the local header (the name at offset 30)
        # and in the central directory (at 46), where each field sits 2 bytes further on.
        raw[raw.find(name) - 30 + field] ^= change
        raw[raw.rfind(name) - 46 + field + 2] ^= change
    bulk.write_bytes(bytes(raw))
    out = tmp_path / "out"
    proc = run_cli("batch", str(bulk), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [(r["submission"], r["score"]) for r in rows] == [
        ("alice", "100"), ("carl", "0"), ("dora", "0"), ("erin", "0")], rows
    assert "erin/q2_neural.py could not be unpacked from bulk.zip" in rows[3]["error"]
    assert "carl.py could not be unpacked from bulk.zip: the zip is damaged there" in rows[1]["error"]
    assert "dora.py could not be unpacked from bulk.zip: it is encrypted" in rows[2]["error"]
    said = proc.stdout + proc.stderr
    assert "carl.py could not be unpacked from bulk.zip: the zip is damaged there" in said, said
    assert ("dora.py could not be unpacked from bulk.zip: it is encrypted (password-protected); "
            "not graded") in said, said


def test_a_member_of_a_class_zip_larger_than_any_upload_costs_that_upload_only(tmp_path):
    """One student's 3 GiB file, a few MB zipped, refused the whole class's zip ("unpacks to more
    than 2048 MiB", exit 2: no one graded; probe s60). A member larger than one upload can hold
    to be graded is left out as a damaged one is: its student gets a row of 0 and why."""
    from grader.archive import UPLOAD_BYTES

    bulk = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bulk, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "correct_summed.py", "alice.py")
        with zf.open("mallory.py", "w", force_zip64=True) as member:
            block = b"#" * 2**20
            for _ in range(UPLOAD_BYTES // len(block) + 1):
                member.write(block)
    assert bulk.stat().st_size < 2**20
    out = tmp_path / "out"
    proc = run_cli("batch", str(bulk), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [(r["submission"], r["score"]) for r in rows] == [("alice", "100"), ("mallory", "0")]
    assert ("mallory.py could not be unpacked from bulk.zip: it unpacks to more than 64 MiB, "
            "more than one upload can hold to be graded") in rows[1]["error"], rows[1]["error"]
    assert not (out / ".uploads" / "mallory.py").exists() or \
        (out / ".uploads" / "mallory.py").stat().st_size == 0


def test_progress_on_a_terminal_is_one_updating_line():
    stream = io.StringIO()
    progress = batch.Progress(4, stream, tty=True)
    result = SubmissionResult("a", 1.0, 2.0, (), ())
    for _ in range(4):
        progress.finished("a", result)
    assert re.search(r"\r\[#+\.+\] 1/4  [\d.]+/s  ETA \d+s", stream.getvalue())
    assert "\r[##########] 4/4  " in stream.getvalue()
    assert stream.getvalue().count("\n") == 1


# ---- a whole class ----------------------------------------------------------------------------
def test_gradebook_has_a_row_per_submission_with_the_reports_scores(class_batch):
    _, out, _ = class_batch
    rows = _rows(out)
    assert list(rows[0])[:3] == ["submission", "score", "max_score"]
    assert list(rows[0])[3:8] == ["sigmoid", "sigmoid_grad", "softmax", "forward_backward_prop",
                                  "negSamplingCostAndGradient"]
    assert {r["submission"]: float(r["score"]) for r in rows} == CLASS
    for row in rows:
        report = json.loads((out / "reports" / f"{row['submission']}.json").read_text())
        assert_every_failure_explained(report)
        assert float(row["score"]) == report["score"]
        assert float(row["max_score"]) == report["max_score"]
        for fn in report["functions"]:
            assert float(row[fn["name"]]) == fn["score"]
    assert "did not finish within 1 s" in next(r for r in rows if r["submission"] == "eve")["error"]


def test_batch_report_equals_grading_the_submission_alone(class_batch, tmp_path):
    _, out, _ = class_batch
    alone = grade(out / ".uploads" / "bob_12345_67890_submission.py", tmp_path, *HANG)
    in_batch = json.loads((out / "reports" / "bob.json").read_text())
    alone = {k: v for k, v in alone.items() if not k.startswith("_")}
    assert (SubmissionResult.from_dict(in_batch).graded_view()
            == SubmissionResult.from_dict(alone).graded_view())
    assert (out / "reports" / "bob.html").is_file()


def test_overview_has_histogram_pass_rates_failures_and_working_links(class_batch):
    _, out, _ = class_batch
    page = (out / "index.html").read_text()
    assert '<svg class="histogram"' in page and "<script" not in page
    assert "score (% of the points)" in page and ">students</text>" in page   # both axes
    assert '<dd id="mean">48.6 %</dd>' in page and '<dd id="median">43 %</dd>' in page
    # In order: at a glance, the students, mistakes and failures, identical answers, pass rates.
    order = [page.index(f'id="{i}"') for i in ("glance", "students", "mistakes", "identical",
                                               "pass-rates")]
    assert order == sorted(order)
    # carol (the template, nothing implemented) and eve (hangs) are missing, not failing.
    assert re.search(r"known_values</td><td class=\"num\">3 / 3 \(100.0 %\) "
                     r"<span class=\"muted\">2 missing</span>", page)
    failures = page[page.index('id="failures"'):page.index("</table>", page.index('id="failures"'))]
    assert "gradient_W1" in failures and "carol" not in failures and "eve" not in failures
    missing = page[page.index('id="missing"'):page.index("</div>", page.index('id="missing"'))]
    assert "Nothing to grade (2)" in missing and "carol" in missing and "eve" in missing
    mistakes = page[page.index('id="mistake-table"'):]
    assert re.search(r'cost averaged but gradient summed</td><td>forward_backward_prop</td>'
                     r'<td class="num">1</td><td><ul class="who"><li><a href="reports/bob.html">', mistakes)
    links = re.findall(r'href="([^"#]+)"', page)
    assert {f"reports/{s}.html" for s in CLASS} <= set(links)
    assert {f"reports/{s}.json" for s in CLASS} <= set(links)
    for link in links:
        assert (out / link).is_file(), link
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page, anchor


def test_progress_is_plain_lines_when_not_a_terminal(class_batch):
    _, _, proc = class_batch
    lines = [line for line in proc.stderr.splitlines() if re.match(r"^\d+/5 ", line)]
    assert len(lines) == 5
    assert "1/5" in lines[0] and "5/5" in lines[-1]
    assert any(re.fullmatch(r"\d/5 alice: 100/100", line) for line in lines)
    assert "ignored README.txt" in proc.stderr


def test_rerun_grades_only_what_is_missing(class_batch, tmp_path):
    archive, done, _ = class_batch
    out = tmp_path / "out"
    shutil.copytree(done, out)  # keeps the modification times
    (out / "reports" / "bob.json").unlink()  # as if the batch had been interrupted there
    before = _mtimes(out)
    proc = run_cli("batch", str(archive), "--out", str(out), *HANG)
    assert proc.returncode == 0, proc.stderr
    assert "4 of 5 already graded" in proc.stderr
    after = _mtimes(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"bob.json", "bob.html"}
    assert {r["submission"]: float(r["score"]) for r in _rows(out)} == CLASS


def _contents(out: Path) -> dict[str, bytes]:
    """Every file of OUT but the lock, which names the batch that last held it."""
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != ".batch-lock"}


def test_an_only_run_does_not_replace_a_classes_full_reports_without_force(class_batch, tmp_path):
    """`--only softmax` into the OUTDIR the whole class was graded into would leave every row
    worth softmax's 15 points, which canvas.csv then posts as 15 of 100: refused before anything
    is written, and an OUTDIR of its own (as the help's example has it) grades as asked."""
    archive, done, _ = class_batch
    out = tmp_path / "out"
    shutil.copytree(done, out)
    before = _contents(out)
    proc = run_cli("batch", str(archive), "--out", str(out), "--only", "softmax", *HANG)
    assert proc.returncode == 2, proc.stderr
    assert "graded on every function" in proc.stderr and "--force" in proc.stderr
    assert "Nothing was graded" in proc.stderr and "Traceback" not in proc.stderr
    assert _contents(out) == before
    # What a run with --only keeps in an OUTDIR of its own is not a class's grade to protect:
    # the same --only again, or every function, go on as before.
    reports = out / "reports"
    for path in reports.glob("*.json"):
        report = json.loads(path.read_text())
        report["upload"]["only"] = ["softmax"]
        path.write_text(json.dumps(report))
    again = run_cli("batch", str(archive), "--out", str(out), "--only", "softmax", *HANG)
    assert again.returncode == 0 and "5 of 5 already graded" in again.stderr, again.stderr


def test_a_grader_that_gives_no_report_still_gives_a_row(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    out = tmp_path / "out"
    summary = batch.run(source=uploads, out=out, grade_args=["--no-such-option"],
                        stream=io.StringIO())
    assert summary.failed == ["alice"] and summary.rows == 1
    row, = _rows(out)
    assert row["score"] == "0" and "exited with status 2" in row["error"]
    summary = batch.run(source=uploads, out=out, force=True, wall_seconds=0.2, stream=io.StringIO())
    row, = _rows(out)
    assert summary.failed == ["alice"] and "did not finish within 0.2 s" in row["error"]


def test_killed_batch_resumes_to_a_complete_gradebook_and_force_regrades(tmp_path):
    uploads = _small_class(tmp_path / "uploads")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "batch", str(uploads), "--out", str(out), "--jobs", "1",
           *HANG]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((out / "reports").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert len([r for r in _rows(out) if r["score"]]) < 3  # interrupted before the end
    rerun = run_cli("batch", str(uploads), "--out", str(out), *HANG)
    assert rerun.returncode == 0, rerun.stderr
    rows = _rows(out)
    assert {r["submission"]: float(r["score"]) for r in rows} == {"alice": 100, "carol": 0, "eve": 0}
    assert not any("regrade with --force" in r["error"] for r in rows)
    before = _mtimes(out)
    forced = run_cli("batch", str(uploads), "--out", str(out), "--force", *HANG)
    assert forced.returncode == 0, forced.stderr
    after = _mtimes(out)
    assert all(after[name] != before[name] for name in before)
    assert len(_rows(out)) == 3


def test_an_interrupted_batch_says_the_class_is_incomplete_in_every_file(tmp_path):
    """Ctrl-C after the first of three uploads: the overview read "1 submissions, mean 100 %" and
    canvas.csv held that one row, so a pipeline posting it left the others without a grade and
    without a sign (probe s59). Every file now says so: the terminal, a banner atop index.html,
    and a row without a score for each upload not graded yet in gradebook.csv (status `not graded
    yet`), canvas.csv and scores.csv. The same command again finishes the class and no file says
    it any more."""
    uploads_dir = tmp_path / "uploads"
    uploads_dir.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads_dir / "alice_111_901_hw1.py")
    for name in ("bob_222_902_hw1.py", "carol_333_903_hw1.py"):  # each hangs at import
        shutil.copy(FIXTURES / "hang_at_import.py", uploads_dir / name)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "batch", str(uploads_dir), "--out", str(out),
           "--jobs", "1", "--import-timeout", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "reports" / "alice.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    # SIGTERM, which the batch takes as Ctrl-C: a test run in the background inherits an
    # ignored SIGINT.
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    said = err.decode()
    assert proc.returncode == 130, said
    assert sorted(p.stem for p in (out / "reports").glob("*.json")) == ["alice"], said
    waiting = ("2 of 3 uploads not graded yet: the batch was interrupted; run the same command "
               "again to finish")
    assert f"INCOMPLETE: {waiting}" in said.splitlines()[-1], said
    assert "3 rows in" in said and "(2 of them not graded yet)" in said, said
    rows = {r["submission"]: r for r in _rows(out)}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert (rows["alice"]["score"], rows["alice"]["status"]) == ("100", "")
    for student, ids in (("bob", ("222", "902")), ("carol", ("333", "903"))):
        row = rows[student]
        assert (row["score"], row["max_score"], row["status"]) == ("", "", "not graded yet"), row
        assert row["error"].startswith("not graded yet: the batch was interrupted"), row
        assert (row["canvas_user_id"], row["canvas_submission_id"]) == ids, row
        assert row["upload"] == f"{student}_{ids[0]}_{ids[1]}_hw1.py", row
        assert row["graded_at"] == row["content_sha256"] == row["inputs"] == "", row
    canvas = list(csv.reader(io.StringIO((out / "canvas.csv").read_text())))
    assert [(r[0], r[1], r[-1]) for r in canvas[1:]] == [
        ("alice", "111", "100"), ("bob", "222", ""), ("carol", "333", "")], canvas
    assert (out / "scores.csv").read_text() == "student,score\nalice,100\nbob,\ncarol,\n"
    page = (out / "index.html").read_text()
    assert "INCOMPLETE: 1 of 3 uploads graded" in page.split("</title>")[0], page[:600]
    banner = page.split('id="incomplete"', 1)[1].split("</section>", 1)[0]
    assert waiting in banner and "bob, carol" in banner, banner
    assert page.index('id="incomplete"') < page.index('id="glance"')

    again = run_cli("batch", str(uploads_dir), "--out", str(out), "--jobs", "1",
                    "--import-timeout", "2")
    assert again.returncode == 0, again.stderr
    assert "1 of 3 already graded" in again.stderr and "INCOMPLETE" not in again.stderr
    rows = _rows(out)
    assert [(r["submission"], r["score"], r["status"]) for r in rows] == [
        ("alice", "100", ""), ("bob", "0", ""), ("carol", "0", "")], rows
    page = (out / "index.html").read_text()
    assert 'id="incomplete"' not in page and "INCOMPLETE" not in page
    assert (out / "scores.csv").read_text() == "student,score\nalice,100\nbob,0\ncarol,0\n"


def test_an_interrupted_regrade_names_the_rows_whose_earlier_score_stands_in():
    """An interrupted --force run (or regrade of changed uploads): the rows it did not reach keep
    their earlier reports' scores, marked `not regraded yet`, and the banner says how many; a
    row not graded at all has no score in any of the three files."""
    from grader.render import gradebook, overview
    results = {"alice": _stamped("alice_1_2_hw1.py", 100), "bob": _stamped("bob_3_4_hw1.py", 40)}
    pending = gradebook.NotGradedYet(uploads={"carol": batch.upload_record("carol_5_6_hw1.py",
                                                                           None)},
                                     stale=["bob"], found=3, why="the batch was interrupted")
    rows = {r["submission"]: r for r in csv.DictReader(io.StringIO(
        gradebook.render(results, pending=pending)))}
    assert [(s, r["score"], r["status"]) for s, r in rows.items()] == [
        ("alice", "100", ""), ("bob", "40", "not regraded yet"), ("carol", "", "not graded yet")]
    assert gradebook.canvas(results, pending=pending).endswith("bob,3,,,,40\ncarol,5,,,,\n")
    assert gradebook.scores(results, pending).endswith("bob,40\ncarol,\n")
    assert pending.banner().startswith(
        "1 of 3 uploads not graded yet and 1 not regraded yet (its row keeps the earlier "
        "report's score): the batch was interrupted. Its row in gradebook.csv, canvas.csv and "
        "scores.csv has no score")
    page = overview.render(results, pending=pending)
    assert "Waiting: bob, carol." in page and "INCOMPLETE: 2 of 3 uploads graded" in page


def test_batch_usage_errors():
    proc = run_cli("batch", "no/such/folder", "--out", "unused")
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    assert not os.path.exists(ROOT / "unused")


# ---- uploads keyed by content -----------------------------------------------------------------
def test_rerun_regrades_changed_uploads_grades_added_ones_and_keeps_removed_ones(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    shutil.copytree(ROOT / "student_template", uploads / "carol")
    shutil.copytree(FIXTURES / "correct_multifile", uploads / "dave")
    out = tmp_path / "out"
    first = run_cli("batch", str(uploads), "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert {r["submission"]: float(r["score"]) for r in _rows(out)} == {
        "alice": 100, "carol": 0, "dave": 100}
    # The next bulk download: same names, some new bytes.
    shutil.copy(FIXTURES / "empty.py", uploads / "alice.py")             # replaced
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "frank.py")    # added
    shutil.rmtree(uploads / "carol")                                     # removed
    for path in (uploads / "dave").iterdir():
        os.utime(path, (1e9, 1e9))  # a new time alone is no change
    before = _mtimes(out)
    proc = run_cli("batch", str(uploads), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    after = _mtimes(out)
    assert {name for name in after if after[name] != before.get(name)} == {
        "alice.json", "alice.html", "frank.json", "frank.html"}
    progress = [line for line in proc.stderr.splitlines() if re.match(r"^\d+/2 ", line)]
    assert sorted(line.split(" ", 1)[1] for line in progress) == [
        "alice: 0/100 (regraded: changed)", "frank: 100/100"]
    assert "1 of 3 already graded" in proc.stderr
    assert "no longer among the uploads (their reports are kept): carol" in proc.stderr
    scores = {r["submission"]: float(r["score"]) for r in _rows(out)}
    assert scores == {"alice": 0, "carol": 0, "dave": 100, "frank": 100}  # carol's row stays
    # ... marked where the instructor's scripts read it, not only on the overview's page
    assert {r["submission"]: r["no_longer_present"] for r in _rows(out)} == {
        "alice": "", "carol": "yes", "dave": "", "frank": ""}
    page = (out / "index.html").read_text()
    rows = {m[1]: m[0] for m in re.finditer(r'<tr><td><a href="reports/(\w+)\.html">.*</tr>', page)}
    assert set(rows) == set(scores)
    assert [s for s, row in rows.items() if "no longer present" in row] == ["carol"]
    alice = json.loads((out / "reports" / "alice.json").read_text())
    assert alice["upload"]["name"] == "alice.py"
    assert alice["upload"]["sha256"] == hashlib.sha256((uploads / "alice.py").read_bytes()).hexdigest()
    # Every report now matches its upload: a third run grades nothing.
    again = run_cli("batch", str(uploads), "--out", str(out))
    assert again.returncode == 0 and "3 of 3 already graded" in again.stderr, again.stderr


def test_a_report_is_regraded_only_for_new_content_or_force(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "q1_softmax.py").write_text("x = 1\n")
    digest = uploads.content_hash(folder)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "q1_softmax.cpython-312.pyc").write_bytes(b"\0")
    assert uploads.content_hash(folder) == digest  # what grading ignores, the hash ignores
    (folder / "q1_softmax.py").write_text("x = 2\n")
    assert uploads.content_hash(folder) != digest
    graded = SubmissionResult("a", 1.0, 2.0, (), (), upload={"sha256": digest})
    assert batch._why_grade(None, digest, force=False) == ""
    assert batch._why_grade(graded, digest, force=False) is None
    assert batch._why_grade(graded, "0" * 64, force=False) == "regraded: changed"
    assert batch._why_grade(graded, digest, force=True) == "regraded: --force"
    unkeyed = SubmissionResult("a", 1.0, 2.0, (), ())  # written before reports recorded content
    assert batch._why_grade(unkeyed, digest, force=False) == "regraded: its report records no content"


def test_the_upload_record_is_not_part_of_the_graded_view():
    plain = SubmissionResult("a", 1.0, 2.0, (), ())
    stamped = SubmissionResult("a", 1.0, 2.0, (), (), upload=batch.upload_record("a.py", "f" * 64))
    assert plain.graded_view() == stamped.graded_view()
    assert SubmissionResult.from_dict(stamped.to_dict()) == stamped


# ---- the gradebook and the LMS imports ----------------------------------------------------------
def _stamped(name: str, score: float, error: str = "") -> SubmissionResult:
    from grader.model import FunctionResult
    return SubmissionResult(name, score, 100.0, (), (FunctionResult("softmax", score, 100.0),),
                            error=error, upload=batch.upload_record(name, "ab" * 32))


def test_the_overview_says_an_import_nothing_graded_used_cost_no_points():
    """tvect imports dask at the top, uses it nowhere and gets 100 / 100; the overview listed it
    under the modules not installed "so the code that uses it fails" (probe s61). A module that
    made a check fail is still said to, beside one that did not."""
    from grader.model import CheckResult, FunctionResult
    from grader.render import overview

    def upload(name: str, modules: tuple[str, ...], failing: str = "") -> SubmissionResult:
        check = CheckResult("values", "sigmoid", "error" if failing else "passed",
                            0.0 if failing else 5.0, 5.0, message=failing)
        return SubmissionResult(f"{name}.py", 100.0 if not failing else 95.0, 100.0, (check,),
                                (FunctionResult("sigmoid", 0.0 if failing else 5.0, 5.0),),
                                missing_modules=modules)

    scipy = ("sigmoid raised ModuleNotFoundError: No module named 'scipy.special': it is not "
             "installed where your code is graded")
    page = overview.render({"tvect": upload("tvect", ("dask",)),
                            "alice": upload("alice", ("scipy",), scipy),
                            "bob": upload("bob", ("scipy",))})
    listed = page[page.index('id="missing-modules"'):page.index("</ul>",
                                                                page.index('id="missing-modules"'))]
    items = dict(re.findall(r'<li data-module="(\w+)">(.*?)</li>', listed, re.S))
    assert "no points lost" in items["dask"] and "so the code that uses it fails" not in \
        items["dask"], items["dask"]
    assert "so the code that uses it fails" in items["scipy"], items["scipy"]
    assert re.search(r">bob</a> \(no points lost\)", items["scipy"]), items["scipy"]
    assert not re.search(r">alice</a> \(no points lost\)", items["scipy"]), items["scipy"]


def test_gradebook_extends_its_columns_and_keeps_what_lms_names_carry():
    from grader.render import gradebook
    results = {"smithjohn": _stamped("smithjohn_LATE_12345_67890_hw1.zip", 70),
               "Jane_Doe": _stamped("Jane Doe_4242_assignsubmission_file_", 80),
               "alice": _stamped("=alice.py", 90, error="the import hung\nmore"),
               "old": SubmissionResult("old.py", 5, 100.0, (), ())}  # graded before `upload`
    rows = list(csv.reader(io.StringIO(gradebook.render(results))))
    assert rows[0] == ["submission", "score", "max_score", "softmax", "error", "upload",
                       "canvas_user_id", "canvas_submission_id", "late", "moodle_participant_id",
                       "content_sha256", "graded_at", "inputs", "blackboard_username",
                       "brightspace_id", "not_checkable", "no_longer_present", "grader_problems",
                       "status", "missing_modules"]
    by = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert all(row["not_checkable"] == "" for row in by.values())  # the reference graded them
    assert [row[0] for row in rows[1:]] == ["Jane_Doe", "alice", "old", "smithjohn"]
    john = by["smithjohn"]
    assert (john["upload"], john["canvas_user_id"], john["canvas_submission_id"], john["late"]) == (
        "smithjohn_LATE_12345_67890_hw1.zip", "12345", "67890", "LATE")
    assert john["content_sha256"] == "ab" * 32 and john["inputs"] == "public"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", john["graded_at"])
    assert by["Jane_Doe"]["moodle_participant_id"] == "4242" and by["Jane_Doe"]["late"] == ""
    assert by["alice"]["upload"] == "'=alice.py" and by["alice"]["error"] == "the import hung"
    assert by["old"]["upload"] == "" and by["old"]["inputs"] == "public"

    # Graded with --only softmax: the pack's other functions keep their columns, empty.
    header = next(csv.reader(io.StringIO(gradebook.render(results, ["sigmoid", "softmax", "cost"]))))
    assert header[:7] == ["submission", "score", "max_score", "sigmoid", "softmax", "cost", "error"]

    canvas = list(csv.reader(io.StringIO(gradebook.canvas(results))))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "autograde"]
    assert ["smithjohn", "12345", "", "", "", "70"] in canvas
    assert ["alice", "", "", "", "", "90"] in canvas and len(canvas) == 5
    assert gradebook.scores(results) == "student,score\nJane_Doe,80\nalice,90\nold,5\nsmithjohn,70\n"


def test_batch_gradebook_names_each_upload_and_the_lms_files_agree(class_batch):
    _, out, _ = class_batch
    rows = {r["submission"]: r for r in _rows(out)}
    bob = rows["bob"]
    assert bob["upload"] == "bob_12345_67890_submission.py"
    assert (bob["canvas_user_id"], bob["canvas_submission_id"], bob["late"]) == ("12345", "67890", "")
    upload = out / ".uploads" / bob["upload"]
    assert bob["content_sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    assert rows["dave"]["upload"] == "dave.zip" and rows["carol"]["upload"] == "carol"
    assert all(r["graded_at"] and r["inputs"] == "public" for r in rows.values())
    canvas = list(csv.DictReader(io.StringIO((out / "canvas.csv").read_text())))
    assert {r["Student"]: (r["ID"], r["autograde"]) for r in canvas} == {
        s: (r["canvas_user_id"], r["score"]) for s, r in rows.items()}
    scores = list(csv.DictReader(io.StringIO((out / "scores.csv").read_text())))
    assert {r["student"]: r["score"] for r in scores} == {s: r["score"] for s, r in rows.items()}
    # The untouched template's 0 says why, as an upload that would not import does: its error
    # cell was empty, and the overview's row with it.
    assert rows["carol"]["error"].startswith("nothing to grade: sigmoid is not implemented yet "
                                             "(it raises NotImplementedError at q2_sigmoid.py"), rows
    assert rows["carol"]["error"].endswith("(and 4 other functions likewise)")
    assert rows["alice"]["error"] == "" and rows["eve"]["error"] != rows["carol"]["error"]
    page = (out / "index.html").read_text()
    assert "nothing to grade: sigmoid is not implemented yet" in page
    # The progress line too: "carol: 0/100" alone read as a wrong answer (probe s55).
    _, _, proc = class_batch
    assert "carol: 0/100 (nothing to grade)" in proc.stderr, proc.stderr


# ---- the overview ------------------------------------------------------------------------------


def _table(page: str, ident: str) -> str:
    start = page.index(f'id="{ident}"')
    return page[start:page.index("</table>", start)]


@pytest.fixture(scope="module")
def similar_uploads(tmp_path_factory) -> Path:
    from fixtures import similarity
    return similarity.write_all(tmp_path_factory.mktemp("similar") / "uploads")


@pytest.fixture(scope="module")
def similar_batch(similar_uploads, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("similar") / "out"
    proc = run_cli("batch", str(similar_uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    return out


def test_identical_wrong_answers_are_grouped_per_function(similar_batch):
    """shared_bug_a and _b share two bugs; same_bug_rewritten writes the sigmoid one another way
    and returns the same answers; other_bug gets sigmoid wrong differently."""
    page = (similar_batch / "index.html").read_text()
    groups = _table(page, "identical-groups")
    rows = re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(\d+)</td><td>(.*?)</td>", groups)
    found = {(f, tuple(re.findall(r'reports/(\w+)\.html', who))) for f, _, who in rows}
    assert found == {("sigmoid", ("same_bug_rewritten", "shared_bug_a", "shared_bug_b")),
                     ("softmax", ("shared_bug_a", "shared_bug_b"))}
    assert "other_bug" not in groups
    assert "This compares answers, not code" in page and "same bug written in different ways" in page
    for word in ("plagiar", "cheat", "copied", "suspicious"):
        assert word not in page.lower()
    # The fingerprints stay out of what a student reads.
    report = json.loads((similar_batch / "reports" / "shared_bug_a.json").read_text())
    prints = {c["fingerprint"] for c in report["checks"] if c["fingerprint"]}
    assert prints and all(c["fingerprint"] == "" for c in report["checks"] if c["status"] == "passed")
    student_page = (similar_batch / "reports" / "shared_bug_a.html").read_text()
    assert not any(fp in student_page for fp in prints)


def test_no_similarity_leaves_the_groups_out(similar_uploads, similar_batch, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(similar_batch, out)
    proc = run_cli("batch", str(similar_uploads), "--out", str(out), "--no-similarity")
    assert proc.returncode == 0 and "4 of 4 already graded" in proc.stderr, proc.stderr
    page = (out / "index.html").read_text()
    assert "Identical wrong answers" not in page and 'id="identical' not in page
    assert 'id="students"' in page and 'id="pass-rates"' in page


def test_groups_need_identical_answers_and_a_wrong_one():
    from grader import similarity
    from grader.model import CheckResult, FunctionResult

    def result(*checks):
        return SubmissionResult("s", 0, 2, tuple(checks), (FunctionResult("f", 0, 2),))
    wrong = CheckResult("c", "f", "failed", 0, 1, message="m", fingerprint="aa")
    other = CheckResult("c", "f", "failed", 0, 1, message="m", fingerprint="bb")
    right = CheckResult("c", "f", "passed", 1, 1)
    missing = CheckResult("c", "f", "failed", 0, 1, message="f was not found in your submission")
    results = {"a": result(wrong), "b": result(wrong), "c": result(other), "d": result(right),
               "e": result(right), "g": result(missing), "h": result(missing)}
    assert similarity.groups(results, ["f"]) == [similarity.Group("f", ("a", "b"), ("c",))]


def test_nearly_identical_wrong_answers_are_listed_apart():
    """A copy with one line added (a reshape: one check more failed) was in no group, its twelve
    other wrong answers byte for byte its source's (real probe s60): most answers alike, not all,
    is listed apart, against the group; two alike or a small share of many is not."""
    from grader import similarity
    from grader.model import CheckResult, FunctionResult
    from grader.render import overview

    def result(**prints):
        checks = tuple(CheckResult(c, "f", "failed", 0, 1, message="m", fingerprint=fp)
                       for c, fp in prints.items())
        return SubmissionResult("s", 0, len(checks), checks, (FunctionResult("f", 0, 9),))
    same = {"c1": "1", "c2": "2", "c3": "3", "c4": "4"}
    results = {"a": result(**same), "b": result(**same), "copy": result(**same, c5="x"),
               "two": result(c1="1", c2="2", c3="y", c4="z"),
               "few": result(c1="1", c2="2", c3="3", c4="w", c5="v", c6="u", c7="t", c8="s")}
    assert similarity.groups(results, ["f"]) == [similarity.Group("f", ("a", "b"),
                                                                  ("c1", "c2", "c3", "c4"))]
    assert similarity.near(results, ["f"]) == [
        similarity.Near("f", ("a", "b"), ("copy",), ("c1", "c2", "c3", "c4"), 5)]
    page = overview.render(results)
    table = _table(page, "near-groups")
    assert re.findall(r"reports/(\w+)\.html", table) == ["a", "b", "copy"], table
    assert "4 of 5" in table and "two" not in table and "few" not in table


def test_a_mistake_of_several_functions_is_listed_under_each_function_it_was_made_in():
    """One hint (a gradient's sign) belongs to two functions: the recognised mistakes table took
    the function of the first student met, and listed a negSampling sign error under
    forward_backward_prop, where that student had full marks (real probe s61, ronald)."""
    from grader.model import CheckResult, FunctionResult
    from grader.render import overview

    said = {"gradient_negated": {"title": "a gradient has the wrong sign", "explanation": "e"}}

    def result(function: str) -> SubmissionResult:
        check = CheckResult("c", function, "failed", 0, 1, message="m", mistake="gradient_negated")
        both = tuple(FunctionResult(f, 0 if f == function else 1, 1)
                     for f in ("forward_backward_prop", "negSamplingCostAndGradient"))
        return SubmissionResult("s", 1, 2, (check,), both, mistakes=said)
    results = {"benjamin": result("forward_backward_prop"),
               "ronald": result("negSamplingCostAndGradient")}
    table = _table(overview.render(results), "mistake-table")
    rows = re.findall(r'<tr data-mistake="gradient_negated"><td>[^<]*</td><td>(\w+)</td>'
                      r'<td class="num">1</td><td>(.*?)</td></tr>', table)
    assert {(f, tuple(re.findall(r"reports/(\w+)\.html", who))) for f, who in rows} == {
        ("forward_backward_prop", ("benjamin",)), ("negSamplingCostAndGradient", ("ronald",))}, \
        table


def test_an_overview_of_two_assignments_reports_draws_every_row():
    """Reports of two assignments in one OUT (the overview says which packs): a column one report
    has not stopped the page with jinja2's UndefinedError."""
    from grader.model import CheckResult, FunctionResult
    from grader.render import overview

    def result(function: str) -> SubmissionResult:
        check = CheckResult("c", function, "passed", 1, 1)
        return SubmissionResult("s", 1, 1, (check,), (FunctionResult(function, 1, 1),))
    page = overview.render({"a": result("softmax"), "b": result("relu")})
    rows = _table(page, "by-name")
    assert "reports/a.html" in rows and "reports/b.html" in rows


def test_overview_of_thirty_in_chromium(class_batch, similar_batch, tmp_path):
    """Thirty submissions at 1280 px wide: the class at a glance and the students come first,
    every sort order is a link that works without script, and the page is drawn."""
    import browser
    from grader.render import overview
    loaded = {**batch.load_reports(class_batch[1] / "reports"),
              **batch.load_reports(similar_batch / "reports")}
    names = sorted(loaded)
    results = {f"{names[i % len(names)]}-{i:02d}": loaded[names[i % len(names)]] for i in range(30)}
    page = tmp_path / "index.html"
    page.write_text(overview.render(results))
    got = browser.measure(page, tmp_path, """{
        height: document.documentElement.scrollHeight,
        students: document.getElementById('students').getBoundingClientRect().top,
        shown: [...document.querySelectorAll('table.sorted')].filter(
            t => getComputedStyle(t).display !== 'none').map(t => t.id),
        rows: document.querySelector('#by-name tbody').rows.length,
        histogram: document.getElementById('histogram').getBoundingClientRect().width}""")
    assert got["shown"] == ["by-name"] and got["rows"] == 30
    assert got["students"] < 500 and got["histogram"] > 400
    assert 2000 < got["height"] < 9000, got
    by_total = browser.measure(page, tmp_path, """[...document.querySelectorAll('table.sorted')]
        .filter(t => getComputedStyle(t).display !== 'none')
        .map(t => [t.id, [...t.tBodies[0].rows].map(r => r.cells[1].textContent)])""",
                               fragment="#by-total")
    (shown, totals), = by_total
    assert shown == "by-total"
    scores = [float(t.split(" / ")[0]) for t in totals]
    assert scores == sorted(scores) and len(scores) == 30
    shot = browser.screenshot(page, tmp_path, "overview-30.png", 1100)
    assert browser.png_size(shot) == (1280, 1100) and shot.stat().st_size > 50_000


def test_function_headings_break_between_words_only():
    """Long function names wrap in the students table; a heading never overlaps the next one and
    never breaks inside a word ("sigmoi|d")."""
    from grader.render.overview import name_parts
    assert name_parts("negSamplingCostAndGradient") == ["neg", "Sampling", "Cost", "And", "Gradient"]
    assert name_parts("forward_backward_prop") == ["forward_", "backward_", "prop"]
    assert name_parts("sigmoid") == ["sigmoid"] and name_parts("W2") == ["W2"]
    for name in ("get_windows", "x__y", "ABCdef", "a1_b2"):
        assert "".join(name_parts(name)) == name


def test_a_class_graded_without_the_sandbox_is_told_to_the_instructor(tmp_path):
    """Each student's report says it; so must the batch, where the instructor looks: under process
    isolation every upload's code can reach the others' uploads and reports."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--isolation", "process")
    assert proc.returncode == 0, proc.stderr
    assert "1 of 1 uploads were graded WITHOUT a sandbox" in proc.stderr, proc.stderr
    assert "WITHOUT a sandbox" in (out / "index.html").read_text(encoding="utf-8")
    # The advice fits the reason: asked for, it is not "install bubblewrap" (it may be there).
    assert "Leave out --isolation process to grade a class in the sandbox." in proc.stderr
    assert "Install bubblewrap" not in proc.stderr
    # Run again as it was (no --isolation): the reports graded so are kept, and so is the warning
    # (the rerun dropped it from index.html, the reports still graded without the sandbox).
    again = run_cli("batch", str(uploads), "--out", str(out))
    assert "1 of 1 already graded" in again.stderr, again.stderr
    assert "1 of 1 uploads were graded WITHOUT a sandbox" in again.stderr, again.stderr
    assert ("1 of them was kept from an earlier run: the same command with --isolation sandbox "
            "regrades them in the sandbox.") in again.stderr, again.stderr
    assert "WITHOUT a sandbox" in (out / "index.html").read_text(encoding="utf-8")
    if bwrap_problem() is None:
        sandboxed = run_cli("batch", str(uploads), "--out", str(tmp_path / "out2"),
                            "--isolation", "sandbox")
        assert "WITHOUT a sandbox" not in sandboxed.stderr
        # What the advice asks, into the same OUT: the reports graded outside it are regraded.
        sandboxed = run_cli("batch", str(uploads), "--out", str(out), "--isolation", "sandbox")
        assert ("alice: 100/100 (regraded: graded without the sandbox, which --isolation sandbox "
                "now demands)") in sandboxed.stderr, sandboxed.stderr
        assert "WITHOUT a sandbox" not in (out / "index.html").read_text(encoding="utf-8")
        report = json.loads((out / "reports" / "alice.json").read_text())
        assert report["isolation"]["mode"] == "sandbox"


def test_a_report_damaged_while_the_batch_runs_is_graded_again_not_dropped(tmp_path):
    """Under process isolation an upload's code can write into OUT: one that appended a byte to
    the reports graded before it left their students out of the gradebook and the overview, and
    nothing said so. A report unreadable after grading is graded again."""
    uploads, out = tmp_path / "uploads", tmp_path / "out"
    uploads.mkdir()
    for name in ("good1.py", "good2.py"):
        shutil.copy(FIXTURES / "correct_summed.py", uploads / name)
    (uploads / "zz_damages.py").write_text(
        (FIXTURES / "correct_summed.py").read_text() + "\n\nimport glob as _glob\n"
        f"for _path in _glob.glob({str(out / 'reports')!r} + '/*.json'):\n"
        "    try:\n        open(_path, 'a').write('x')\n    except OSError:\n        pass\n")
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1",
                   "--isolation", "process")
    assert proc.returncode == 0, proc.stderr
    rows = {r["submission"]: r["score"] for r in csv.DictReader(
        (out / "gradebook.csv").read_text(encoding="utf-8").splitlines())}
    assert rows == {"good1": "100", "good2": "100", "zz_damages": "100"}, proc.stderr
    if "could not be read after grading" in proc.stderr:  # the upload could write there
        assert "good1: 100/100 (regraded: its report was changed on disk while the batch ran)" \
            in proc.stderr, proc.stderr


def test_the_advice_for_a_class_graded_without_the_sandbox_fits_why(monkeypatch):
    """bubblewrap installed but refused namespaces (a user without them): the advice was to
    install it."""
    from grader import batch
    monkeypatch.setattr(batch.shutil, "which", lambda name: "/usr/bin/bwrap")
    refused = batch._sandbox_advice("bubblewrap cannot create namespaces here (bwrap: No "
                                    "permissions to create new namespace)")
    assert refused.startswith("bubblewrap is installed but cannot make its namespaces for this "
                              "user: run the batch as root") and "Install" not in refused
    monkeypatch.setattr(batch.shutil, "which", lambda name: None)
    assert batch._sandbox_advice("bubblewrap is not installed").startswith(
        "Install bubblewrap (bwrap) to grade a class in the sandbox, or pass --isolation sandbox")


def test_an_upload_added_later_does_not_rename_the_students_graded_before(tmp_path):
    """alice.py and alice-2.py were alice and alice-2; ALICE.zip added, sorted first, must not
    take alice (the earlier two keep their reports, and the gradebook one row each)."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    shutil.copy(FIXTURES / "correct_averaged.py", uploads / "Alice.py")
    out = tmp_path / "out"
    first = run_cli("batch", str(uploads), "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = {row["submission"]: row for row in _rows(out)}
    _zip_folder(FIXTURES / "correct_multifile", uploads / "ALICE.zip")
    again = run_cli("batch", str(uploads), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "no longer among the uploads" not in again.stderr, again.stderr
    rows = _rows(out)
    assert len(rows) == 3, rows
    after = {row["submission"]: row for row in rows}
    for student, row in before.items():
        assert after[student]["upload"] == row["upload"], (student, row, after[student])
    assert "1 of 3 already" not in again.stderr and "2 of 3 already graded" in again.stderr


def test_an_interrupted_forced_batch_goes_on_where_it_stopped(tmp_path):
    """"run the same command again to finish" holds for --force too: what the forced run
    regraded before it was stopped is not graded a third time, the rest is."""
    uploads = _small_class(tmp_path / "uploads")
    out = tmp_path / "out"
    assert run_cli("batch", str(uploads), "--out", str(out), *HANG).returncode == 0
    before = _mtimes(out)
    cmd = [sys.executable, "-m", "grader", "batch", str(uploads), "--out", str(out), "--jobs", "1",
           "--force", *HANG]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60

    def jsons_written() -> bool:  # a report is done once its JSON is written (the HTML goes first)
        now = _mtimes(out)
        return any(now[n] != before[n] for n in before if n.endswith(".json"))
    while not jsons_written() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    stopped = _mtimes(out)
    regraded = {name for name in before if name.endswith(".json") and stopped[name] != before[name]}
    assert regraded and len(regraded) < 3, (regraded, err)
    again = run_cli("batch", str(uploads), "--out", str(out), "--force", *HANG)
    assert again.returncode == 0, again.stderr
    after = _mtimes(out)
    assert all(after[name] == stopped[name] for name in regraded), again.stderr
    assert all(after[name] != before[name] for name in before)
    assert not (out / ".force-progress").exists()


def test_an_interrupt_while_a_report_is_recorded_waits_for_the_record():
    """SIGTERM between a forced run's report and its line in .force-progress left a report the
    next --force run graded a third time (seen on a loaded machine): the batch holds Ctrl-C and
    `kill` while it writes the two, and acts on them after."""
    import signal as signals

    def interrupt(signum, frame):
        raise KeyboardInterrupt
    before = signals.signal(signals.SIGTERM, interrupt)
    # Python's own Ctrl-C handler, as a batch run from a shell has it (pytest-xdist's workers
    # ignore SIGINT).
    before_int = signals.signal(signals.SIGINT, signals.default_int_handler)
    written = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with batch.held_interrupts():
                os.kill(os.getpid(), signals.SIGTERM)
                written.append("report")
                os.kill(os.getpid(), signals.SIGINT)
                written.append("record")
        assert written == ["report", "record"]
        assert signals.getsignal(signals.SIGTERM) is interrupt
        assert signals.getsignal(signals.SIGINT) is signals.default_int_handler
    finally:
        signals.signal(signals.SIGTERM, before)
        signals.signal(signals.SIGINT, before_int)


def test_points_a_students_copy_could_not_check_are_said_apart_not_lost():
    """A batch without the reference (--no-reference): the gradebook's `not_checkable` and the
    progress line say which points of max_score no check here could give, where they read as a
    deduction before ("93.4/100" for a notebook that passed every check it could run)."""
    from grader.render import gradebook
    from grader.model import FunctionResult, SubmissionResult
    result = SubmissionResult("nb.ipynb", 93.4, 100.0, (), (
        FunctionResult("back_prop", 15.4, 22.0, skipped_points=6.6),
        FunctionResult("relu", 78.0, 78.0)), reference=False)
    rows = list(csv.reader(io.StringIO(gradebook.render({"nb": result}))))
    assert dict(zip(rows[0], rows[1]))["not_checkable"] == "6.6"
    out = io.StringIO()
    batch.Progress(1, out, tty=False).finished("nb", result)
    assert out.getvalue() == "1/1 nb: 93.4/100 (6.6 of them not checkable without the reference)\n"



def test_an_upload_that_could_not_be_graded_is_tried_again_by_a_plain_rerun(tmp_path):
    """A row the grader gave no report for (a worker that could not start, a grader killed) stood
    as 0 until --force, which regraded the whole class (probe s56: 11 correct uploads left at 0
    after another upload stopped their workers from starting). The next plain run grades those
    rows again, and only those."""
    from grader import task

    uploads_dir = tmp_path / "uploads"
    uploads_dir.mkdir()
    for student in ("alice", "bob"):
        shutil.copyfile(FIXTURES / "correct_summed.py", uploads_dir / f"{student}.py")
    os.mkfifo(uploads_dir / "eve.py")  # neither a file nor a folder: no report from the grader
    out = tmp_path / "out"
    first = run_cli("batch", str(uploads_dir), "--out", str(out), "--jobs", "1")
    assert first.returncode == 0, first.stderr
    # An upload that cannot be graded as it is (here neither a file nor a folder) is no grader
    # failure: not tried again until it changes (recheck probe, s56: every plain rerun regraded
    # a 66 MiB upload, told "the next run grades it again").
    eve = json.loads((out / "reports" / "eve.json").read_text())
    assert "not_graded" not in eve["upload"] and eve["score"] == 0
    assert "regrade with --force" not in eve["error"], eve["error"]
    assert "not_graded" not in (out / "reports" / "alice.json").read_text()
    # Bob's grade failed in the grader, as the probe's did: the row the batch writes for it.
    bob = json.loads((out / "reports" / "bob.json").read_text())
    failed = json.loads(task.failed_outcome("bob", bob["submission"], "cs224n-a1",
                                            "the grader exited with status 2; the next run of "
                                            "the batch grades it again.").report_json)
    failed["upload"] = {**bob["upload"], "not_graded": True}
    (out / "reports" / "bob.json").write_text(json.dumps(failed))
    alice_written = (out / "reports" / "alice.json").stat().st_mtime_ns
    again = run_cli("batch", str(uploads_dir), "--out", str(out), "--jobs", "1")
    assert again.returncode == 0, again.stderr
    said = again.stdout + again.stderr
    assert "bob: 100/100 (regraded: it could not be graded last time)" in said, said
    assert "alice" not in said.replace("already", "")
    assert (out / "reports" / "alice.json").stat().st_mtime_ns == alice_written
    assert "not_graded" not in (out / "reports" / "bob.json").read_text()
    assert {r["submission"]: float(r["score"]) for r in _rows(out)} == {
        "alice": 100, "bob": 100, "eve": 0}
    # Said where the instructor looks, with the reason (it was in eve's own report only).
    note = ("1 upload could not be graded (eve): the upload is neither a regular file nor a "
            "folder. It has a 0 in the gradebook until a new upload replaces it, graded by the "
            "next run.")
    assert note in said and note in (out / "index.html").read_text(), said
    assert not [line for line in said.splitlines() if re.match(r"\d+/\d+ eve:", line)], said


def test_the_overview_tells_a_function_that_does_not_load_from_a_missing_one():
    """A softmax whose file has an IndentationError was listed as "missing or not implemented",
    its error nowhere on the page, under a heading promising "not loadable" apart (probe s59):
    an instructor could not tell a syntax error (a quick regrade request) from no attempt. Each
    kind is listed on its own, a function that does not load with its error's first line."""
    from grader.model import CheckResult, FunctionResult
    from grader.render import overview

    def result(message: str) -> SubmissionResult:
        checks = (CheckResult("known_values", "softmax", "failed", 0, 15, message=message),
                  CheckResult("known_values", "sigmoid", "passed", 5, 5))
        return SubmissionResult("s", 5, 20, checks, (FunctionResult("softmax", 0, 15),
                                                     FunctionResult("sigmoid", 5, 5)))
    results = {
        "riya": result("softmax could not be loaded: IndentationError in q1_softmax.py, line 9: "
                       "unindent does not match any outer indentation level\n    x = e / s"),
        "tom": result("softmax was not found in your submission (looked in hw1.py)"),
        "una": result("softmax is not implemented yet: it raises NotImplementedError")}
    page = overview.render(results)
    missing = page[page.index('id="missing"'):page.index("</div>", page.index('id="missing"'))]
    kinds = dict(re.findall(r'<p data-kind="([^"]+)">(.*?)</p>', missing))
    assert set(kinds) == {"not found", "not implemented", "not loadable"}, missing
    assert "riya" in kinds["not loadable"] and "tom" not in kinds["not loadable"]
    assert "(IndentationError in q1_softmax.py, line 9)" in kinds["not loadable"], missing
    assert "unindent" not in missing  # the first line's what and where, not the whole message
    assert "tom" in kinds["not found"] and "una" in kinds["not implemented"]
    riya = page.split('href="reports/riya.html">riya</a>', 1)[1].split("</tr>", 1)[0]
    assert 'title="IndentationError in q1_softmax.py, line 9">not loadable<' in riya, riya


def test_the_overview_marks_a_late_upload_in_its_students_row():
    """Canvas's LATE mark reached gradebook.csv's `late` column and the report's upload record,
    never the overview an instructor reads (probe s59): the student's row says late, in every
    sort order, and an upload on time has no such mark."""
    from grader.render import overview
    results = {"doejane": _stamped("doejane_LATE_23456_78901_hw1.py", 100),
               "smithjohn": _stamped("smithjohn_12345_67890_hw1.py", 90)}
    page = overview.render(results)
    rows = re.findall(r"<tr><td><a href=\"reports/(\w+)\.html\">\w+</a>(.*?)</td>", page)
    assert rows and len(rows) == 2 * (1 + 1 + 1)  # by total, by softmax, by name
    for student, after in rows:
        assert ('<span class="late"' in after and ">late</span>" in after) == (
            student == "doejane"), (student, after)


def test_the_glance_box_counts_each_student_with_nothing_graded_once():
    """The glance box showed "missing 2" and "with an error 2" of the same two students: 2 or 4
    students? (probe s59). One count, and how many of them had an error."""
    from grader.model import FunctionResult
    from grader.render import overview

    def broken(name: str) -> SubmissionResult:
        return SubmissionResult(name, 0, 100, (), (FunctionResult("softmax", 0, 100),),
                                error="Importing your submission did not finish within 10 s")
    results = {"alice": _stamped("alice.py", 100), "erin": broken("erin.py"),
               "hank": broken("hank.py")}
    page = overview.render(results)
    glance = page[page.index('id="glance"'):page.index("</dl>", page.index('id="glance"'))]
    assert re.search(r'>nothing graded</dt><dd id="nothing-graded"[^>]*>2 \(both with an '
                     r'error\)</dd>', glance), glance
    assert ">missing<" not in glance and ">with an error<" not in glance, glance
    assert glance.count("<dt") == 3, glance  # mean, median, nothing graded


def test_the_overview_names_the_modules_a_class_imports_that_are_not_installed(tmp_path):
    """`from scipy.special import expit` in sigmoid cost a student 80 of 100 points, and only the
    student's report said why: the overview an instructor reads did not name scipy, though the
    course's requirements list it (probe s60). Each report carries the modules its code imports
    that it cannot import here (at its top, or inside a graded function when called), and the
    overview lists each module with the students whose code imports it."""
    from grader.render import overview
    uploads = tmp_path / "uploads"
    for student in ("alice", "bob", "carl"):
        shutil.copytree(FIXTURES / "correct_multifile", uploads / student)
    expit = ("from scipy.special import expit\n", "s = 1.0 / (1.0 + np.exp(-x))", "s = expit(x)")
    for student in ("alice", "bob"):
        sigmoid = uploads / student / "q2_sigmoid.py"
        source = sigmoid.read_text()
        assert expit[1] in source
        sigmoid.write_text(expit[0] + source.replace(*expit[1:]))
    # bob's nosuchlib is imported where it is used, inside sigmoid_grad: it fails when called.
    grad = uploads / "bob" / "q2_sigmoid.py"
    grad.write_text(grad.read_text().replace("    ds = s * (1 - s)\n",
                                             "    import nosuchlib\n    ds = s * (1 - s)\n"))
    reports = grade_batch(uploads, tmp_path / "out")
    assert {s: r.get("missing_modules") for s, r in reports.items()} == {
        "alice": ["scipy"], "bob": ["nosuchlib", "scipy"], "carl": []}
    assert reports["carl"]["score"] == 100 and reports["alice"]["score"] < 100

    page = (tmp_path / "out" / "index.html").read_text()
    listed = page[page.index('id="missing-modules"'):page.index("</ul>",
                                                                page.index('id="missing-modules"'))]
    items = dict(re.findall(r'<li data-module="(\w+)">(.*?)</li>', listed))
    assert set(items) == {"scipy", "nosuchlib"}, listed
    assert "2 students" in items["scipy"] and "1 student " in items["nosuchlib"], listed
    assert re.findall(r">(\w+)</a>", items["scipy"]) == ["alice", "bob"], listed
    assert re.findall(r">(\w+)</a>", items["nosuchlib"]) == ["bob"], listed
    gradebook = {row["submission"]: row["missing_modules"] for row in _rows(tmp_path / "out")}
    assert gradebook == {"alice": "scipy", "bob": "nosuchlib; scipy", "carl": ""}, gradebook
    assert "not installed where code is graded" in items["scipy"] and "README" in items["scipy"]
    assert listed.index("scipy") < listed.index("nosuchlib")  # the most students first

    # A report written before the field still loads, and the overview renders without the list.
    old = {k: v for k, v in reports["alice"].items() if k not in ("_html", "missing_modules")}
    REPORT_SCHEMA.validate(old)
    loaded = SubmissionResult.from_dict(old)
    assert loaded.missing_modules == ()
    assert 'id="missing-modules"' not in overview.render({"alice": loaded})
    bob = SubmissionResult.from_dict({k: v for k, v in reports["bob"].items() if k != "_html"})
    mixed = overview.render({"alice": loaded, "bob": bob})
    assert re.search(r'data-module="scipy">.*?1 student \(', mixed), mixed
