"""`autograde batch` on the inputs and OUTDIRs an instructor really has: an OUTDIR of another
pack or with something in the way, links in the class folder, flat LMS exports, a lone folder.
Each is a clear line before grading, a note, or one row per student; never a traceback, a
student silently dropped, or one student split into several."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli

MULTIFILE = sorted((FIXTURES / "correct_multifile").glob("*.py"))


def _rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, no traceback, no usage: one line that says what is wrong."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr and "usage:" not in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def graded_out(tmp_path_factory) -> tuple[Path, Path]:
    """One class (alice, 100) graded with the default pack into OUT."""
    base = tmp_path_factory.mktemp("graded")
    uploads = base / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    out = base / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    return uploads, out


def test_a_class_of_one_is_said_in_the_singular(graded_out):
    """"1 rows in gradebook.csv", "class overview (1 submissions)" (probe s59)."""
    uploads, out = graded_out
    again = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert again.returncode == 0, again.stderr
    assert "; 1 row in " in again.stderr and "1 rows" not in again.stderr, again.stderr
    page = (out / "index.html").read_text()
    assert "<title>autograde: class overview (1 submission)</title>" in page, page[:800]
    assert '<div class="muted">submission</div>' in page


# ---- 1. OUTDIR problems: one line, exit 2, before grading, reports kept --------------------------
def test_an_outdir_of_another_pack_is_refused_before_grading(graded_out, tmp_path):
    """The gradebook has a column per function of one pack and the overview compares functions:
    a second pack's reports in the same OUTDIR crashed the overview (jinja2 UndefinedError) and
    mixed both packs' columns. Refused before grading, naming the pack OUT holds."""
    uploads, done = graded_out
    out = tmp_path / "out"
    shutil.copytree(done, out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = run_cli("batch", str(uploads), "--out", str(out), "--pack", "cbow")
    _one_line_error(proc, "graded with the pack cs224n-a1", "this batch grades the pack cbow",
                    f"--out (such as {out}-cbow)", "--pack cs224n-a1")
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("in_the_way", ["reports", "gradebook.csv", "index.html", ".uploads",
                                        ".lms-groups", ".force-progress", ".batch-lock"])
def test_something_in_the_way_of_the_outputs_is_said_before_grading(tmp_path, in_the_way):
    """A file where OUT/reports goes (FileExistsError), a folder where the gradebook or the
    overview goes (IsADirectoryError once the class had been graded); a file where the batch's
    working folders go, a folder where its --force record goes (tracebacks, status 1)."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    out = tmp_path / "out"
    out.mkdir()
    if in_the_way == "reports":
        (out / "reports").write_text("notes")
        said = "reports is a file, not a folder"
    elif in_the_way in (".uploads", ".lms-groups"):
        (out / in_the_way).write_text("notes")
        said = f"{in_the_way} is a file: the batch keeps its"
    else:
        (out / in_the_way).mkdir()
        said = f"{in_the_way} is a folder"
    proc = run_cli("batch", str(uploads), "--out", str(out))
    _one_line_error(proc, said, "give another --out")
    assert "1/1 alice" not in proc.stderr  # refused before grading, not after
    if in_the_way != "reports":
        assert not (out / "reports").exists()


def test_a_read_only_reports_folder_is_said_before_grading_and_keeps_its_reports(graded_out,
                                                                                   tmp_path):
    """As root, permission bits do not stop a write: a read-only bind mount does (as on a
    shared drive mounted read-only)."""
    if not shutil.which("unshare") or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -m (a mount namespace) to make a read-only folder as root")
    uploads = tmp_path / "uploads"
    shutil.copytree(graded_out[0], uploads)
    shutil.copy(FIXTURES / "correct_averaged.py", uploads / "bob.py")  # one more to grade
    out = tmp_path / "out"
    shutil.copytree(graded_out[1], out)
    kept = (out / "reports" / "alice.json").read_bytes()
    reports = out / "reports"
    script = (f"mount --bind '{reports}' '{reports}' && mount -o remount,bind,ro '{reports}' && "
              f"exec '{sys.executable}' -m grader batch '{uploads}' --out '{out}'")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "AUTOGRADE_CACHE_DIR": "off"})
    if "mount:" in proc.stderr:
        pytest.skip(f"no read-only bind mount here: {proc.stderr.strip()}")
    _one_line_error(proc, "Read-only file system", "reports there are kept")
    assert "1/1 bob" not in proc.stderr
    assert (out / "reports" / "alice.json").read_bytes() == kept


def test_a_second_batch_into_the_same_outdir_waits_its_turn(graded_out, tmp_path):
    """Two batches into one OUT (a scheduled run overlapping a slow one) graded the same uploads
    twice and rewrote each other's gradebook. While one holds OUT, another is refused before it
    writes anything; once the first has ended, however it ended, the next one goes on."""
    fcntl = pytest.importorskip("fcntl")
    uploads = tmp_path / "uploads"
    shutil.copytree(graded_out[0], uploads)
    shutil.copy(FIXTURES / "correct_averaged.py", uploads / "bob.py")
    out = tmp_path / "out"
    shutil.copytree(graded_out[1], out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with open(out / ".batch-lock", "a+", encoding="utf-8") as other:  # the batch running now
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.truncate(0)
        other.write("pid 4242, started 2026-12-05T03:00:00+00:00\n")
        other.flush()
        proc = run_cli("batch", str(uploads), "--out", str(out))
        _one_line_error(proc, f"another autograde batch is grading into {out} now",
                        "(pid 4242, started 2026-12-05T03:00:00+00:00)", "Wait for it to end")
        assert "bob" not in proc.stderr
        after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert after == {**before, ".batch-lock": after[".batch-lock"]}
    proc = run_cli("batch", str(uploads), "--out", str(out))  # the other one has ended
    assert proc.returncode == 0, proc.stderr
    assert {r["submission"]: float(r["score"]) for r in _rows(out)} == {"alice": 100, "bob": 100}
    assert f"pid {os.getpid()}" not in (out / ".batch-lock").read_text()


def test_a_secret_without_a_reference_is_refused_before_grading(tmp_path, monkeypatch):
    """A pip-installed grader has no reference beside it: `batch --secret-file` without
    --reference gave every student 0/100 ("the grader exited with status 2") and exit 0."""
    from grader import batch
    from grader.input_set import InputSet
    monkeypatch.setattr(batch.reference_mod, "locate", lambda *args, **kwargs: None)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    with pytest.raises(batch.BatchError) as refused:
        batch.run(source=uploads, out=tmp_path / "out",
                  input_set=InputSet(b"a course secret long enough"))
    assert str(refused.value).startswith(
        "a course secret needs the reference solution, and this grader has none beside it (an "
        "installed grader): pass --reference DIR (or set $AUTOGRADE_REFERENCE)")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="file names of any bytes")
def test_uploads_whose_names_are_not_utf8_are_graded(tmp_path):
    """A Latin-1 name (an old archive tool's `m\\xfcller.py`, alone or inside a student's
    folder) stopped the whole batch with a UnicodeEncodeError traceback: no student graded."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", os.fsdecode(bytes(uploads) + b"/m\xfcller.py"))
    folder = Path(os.fsdecode(bytes(uploads) + b"/j\xf6rg"))
    folder.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", os.fsdecode(bytes(folder) + b"/l\xf6sung.py"))
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    rows = _rows(out)
    assert len(rows) == 2 and all(float(r["score"]) == 100 for r in rows), rows
    # The bytes as bytes (the gradebook said `m\udcfcller.py`, Python's holder for the byte)
    assert sorted(r["upload"] for r in rows) == ["j\\xf6rg", "m\\xfcller.py"], rows


def test_a_reference_that_cannot_be_used_is_refused_before_grading(tmp_path):
    """--reference naming the wrong folder (empty, or lacking a function): every grade fell
    back to the known answers, a course secret unused, and the batch exited 0."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    (tmp_path / "wrong").mkdir()
    secret = tmp_path / "secret"
    secret.write_text("a course secret long enough\n")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--reference", str(tmp_path / "wrong"),
                   "--secret-file", str(secret))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"the reference at {tmp_path / 'wrong'} cannot be used (the reference (wrong/) lacks " \
           "sigmoid, sigmoid_grad, softmax" in proc.stderr
    assert not out.exists()


# ---- 2. links: a note for each, and a student folder's links warned of as `grade` does -----------
def test_a_link_among_the_uploads_is_named_and_a_linked_file_in_a_folder_warned_as_grade_does(
        tmp_path):
    """A link at the top of the class folder vanished without a row or a note; a student folder
    whose q1_softmax.py is a link scored with an empty reason in the batch, while `autograde
    grade` of the same folder warns that the link was left out. The batch says which links it
    ignored and why, and grades the folder exactly as `grade` does."""
    from conftest import grade
    from grader.model import SubmissionResult
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    (uploads / "mallet.py").symlink_to(uploads / "alice.py")
    (uploads / "mallet2").symlink_to(FIXTURES / "correct_multifile", target_is_directory=True)
    shutil.copytree(FIXTURES / "correct_multifile", uploads / "trudy")
    (uploads / "trudy" / "q1_softmax.py").unlink()
    (uploads / "trudy" / "q1_softmax.py").symlink_to(FIXTURES / "correct_multifile" / "q1_softmax.py")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("mallet.py", "mallet2"):
        assert (f"ignored {name}: a symbolic link, which the batch never follows") in proc.stderr
        assert f"ignored {name}: a symbolic link" in (out / "index.html").read_text()
    assert sorted(r["submission"] for r in _rows(out)) == ["alice", "trudy"]
    in_batch = json.loads((out / "reports" / "trudy.json").read_text())
    alone = grade(uploads / "trudy", tmp_path / "alone")
    assert in_batch["warnings"] == alone["warnings"]
    assert any(w.startswith("q1_softmax.py was left out: it is a symbolic link")
               for w in in_batch["warnings"]), in_batch["warnings"]
    alone = {k: v for k, v in alone.items() if not k.startswith("_")}
    assert (SubmissionResult.from_dict(in_batch).graded_view()
            == SubmissionResult.from_dict(alone).graded_view())


def test_a_link_in_a_bulk_zip_is_named_in_the_notes(tmp_path):
    import zipfile
    from grader import batch
    bulk = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bulk, "w") as zf:
        link = zipfile.ZipInfo("carl.py")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("alice.py", "x = 1\n")
    folder = batch.extract(bulk, tmp_path / "out" / ".uploads")
    assert not (folder / "carl.py").exists()
    notes = [n for n in batch.unpacking_notes(folder) if "carl.py" in n]
    assert len(notes) == 1 and notes[0].startswith(
        "ignored carl.py in bulk.zip: a symbolic link, which the batch never follows"), notes


# ---- 3. flat LMS exports: one student, one row ------------------------------------------------------
def test_a_canvas_file_handed_in_again_gets_its_name_back(tmp_path):
    """Canvas names a file handed in again `q2_sigmoid-1.py`: the group held q2_sigmoid-1.py
    ("q2_sigmoid.py is not in your submission", 30 points), or graded the old q2_sigmoid.py
    beside it. A name of the layout gets its own back, the later attachment kept; a student's
    own `part-2.py` keeps its name."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for n, path in enumerate(MULTIFILE):
        (uploads / f"brownkate_777_{100 + n}_{path.stem}-1.py").write_bytes(path.read_bytes())
    (uploads / "garcialuis_888_300_q2_sigmoid.py").write_text("def sigmoid(x):\n    return x\n")
    (uploads / "garcialuis_888_301_q2_sigmoid-1.py").write_text("# fixed\n")
    (uploads / "garcialuis_888_302_part-2.py").write_text("# mine\n")
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=LAYOUT)
    held = {u.student: sorted(p.name for p in u.path.iterdir()) for u in found.uploads}
    assert held == {"brownkate": sorted(p.name for p in MULTIFILE),
                    "garcialuis": ["part-2.py", "q2_sigmoid.py"]}, found.notes
    luis = next(u.path for u in found.uploads if u.student == "garcialuis")
    assert (luis / "q2_sigmoid.py").read_text() == "# fixed\n"
    # The same file handed in again, not a file of another name defining its functions.
    said = [n for n in found.notes if "garcialuis_888_300_q2_sigmoid.py" in n]
    assert said and "(handed in again as garcialuis_888_301_q2_sigmoid-1.py)" in said[0], said


def test_a_renamed_gathered_upload_is_named_by_its_files_not_the_batchs_folder(tmp_path):
    """Two Canvas users of one name, each with several files: the note named the batch's own
    folder (`leeann_10003_50020_files`), which is no name of the download's."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for user, first in (("10003", 50020), ("10004", 60020)):
        for n, path in enumerate(MULTIFILE[:2]):
            (uploads / f"leeann_{user}_{first + n}_{path.name}").write_text("x = 1\n")
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=LAYOUT)
    assert sorted(u.student for u in found.uploads) == ["leeann", "leeann-2"]
    renamed = [n for n in found.notes if "is graded as 'leeann-2'" in n]
    assert renamed == [f"leeann_10004_60020_{MULTIFILE[0].name} and 1 more file is graded as "
                       f"'leeann-2': leeann_10003_50020_{MULTIFILE[0].name} and 1 more file "
                       "(graded as 'leeann') is another student of the same name"], found.notes
    assert not any("_files" in n for n in found.notes), found.notes


def test_a_hidden_upload_is_said_not_silently_dropped(tmp_path):
    """`.hank.py` got no row and no note; macOS's `._alice.py` and `.DS_Store` stay unsaid."""
    from grader import batch
    for name in ("alice.py", ".hank.py", "._alice.py", ".DS_Store"):
        (tmp_path / name).write_text("x = 1\n")
    found = batch.discover(tmp_path)
    assert [u.student for u in found.uploads] == ["alice"]
    assert found.notes == ["ignored .hank.py: a hidden file (its name starts with '.'), never "
                           "graded; if it is a student's upload, rename it"], found.notes


def test_two_brightspace_students_of_one_name_stay_two(tmp_path):
    """Grouped by name alone, two Ann Lees became one row: the second's grade posted against the
    first's id, and the first's grade lost."""
    from grader import batch
    (tmp_path / "102-2002 - Ann Lee - Nov 1, 2026 1100 AM - hw1.py").write_text("x = 1\n")
    (tmp_path / "103-2003 - Ann Lee - Nov 2, 2026 930 AM - hw1.py").write_text("x = 2\n")
    found = batch.discover(tmp_path, grouped=tmp_path.parent / "groups")
    assert sorted(u.student for u in found.uploads) == ["Ann_Lee", "Ann_Lee-2"], found.notes
    assert sorted(u.path.name[:8] for u in found.uploads) == ["102-2002", "103-2003"]


def _flat(folder: Path, prefix: str, sep: str = "") -> None:
    """The four files of the original layout (a correct submission), as an LMS names them."""
    for path in MULTIFILE:
        shutil.copyfile(path, folder / f"{prefix}{sep}{path.name}")


def test_the_files_of_one_student_in_a_flat_moodle_blackboard_or_brightspace_export_are_one_row(
        tmp_path):
    """Each file a student hands in is its own file in these exports, named after the student:
    they were four 'students' each (0 to 15 points, no id). One row at 100 each, with the LMS's
    id; of two Blackboard attempts the latest alone is graded, and Blackboard's receipts are no
    students either. Every choice is said."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _flat(uploads, "Jane Doe_4242_assignsubmission_file_")
    _flat(uploads, "Assignment1_jsmith_attempt_2026-11-01-10-00-00_")
    (uploads / "Assignment1_jsmith_attempt_2026-11-01-10-00-00.txt").write_text("Name: J Smith")
    shutil.copyfile(FIXTURES / "empty.py",  # an earlier attempt, which must not count
                    uploads / "Assignment1_jsmith_attempt_2026-10-30-09-15-00_q1_softmax.py")
    _flat(uploads, "123-456 - Ann Lee - Nov 1, 2026 1000 AM - ")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["submission"]: r for r in _rows(out)}
    assert {s: r["score"] for s, r in rows.items()} == {"Ann_Lee": "100", "Jane_Doe": "100",
                                                       "jsmith": "100"}, proc.stderr
    assert rows["Jane_Doe"]["moodle_participant_id"] == "4242"
    assert rows["jsmith"]["blackboard_username"] == "jsmith"
    assert rows["Ann_Lee"]["brightspace_id"] == "123-456"
    assert rows["Jane_Doe"]["upload"].split("; ") == [
        f"Jane Doe_4242_assignsubmission_file_{p.name}" for p in MULTIFILE]
    for who in ("Moodle participant 4242 (Jane_Doe)", "Blackboard user jsmith",
                "Brightspace student Ann_Lee"):
        assert (f"4 files of {who} graded as one submission: q1_softmax.py, q2_neural.py, "
                "q2_sigmoid.py, q3_word2vec.py") in proc.stderr, proc.stderr
    assert ("Blackboard user jsmith made 2 attempts: the latest (2026-11-01-10-00-00) is graded; "
            "left out Assignment1_jsmith_attempt_2026-10-30-09-15-00_q1_softmax.py") in proc.stderr
    assert ("left out 1 Blackboard attempt receipt (the .txt Blackboard writes beside an "
            "attempt's files; no code): Assignment1_jsmith_attempt_2026-11-01-10-00-00.txt"
            ) in proc.stderr
    # The report names the files it graded, not the batch's own folder of them.
    jane = json.loads((out / "reports" / "Jane_Doe.json").read_text())
    assert ".lms-groups" not in jane["submission"] and "q2_sigmoid.py" in jane["submission"]
    again = run_cli("batch", str(uploads), "--out", str(out))
    assert "3 of 3 already graded" in again.stderr, again.stderr


def test_a_canvas_file_handed_in_twice_names_the_attachment_left_out(tmp_path):
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for n, path in enumerate(MULTIFILE):
        shutil.copyfile(path, uploads / f"garcialuis_777_90{n}_{path.name}")
    shutil.copyfile(FIXTURES / "empty.py", uploads / "garcialuis_777_910_q2_sigmoid.py")
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert [u.student for u in found.uploads] == ["garcialuis"]
    assert found.notes == [
        "4 files of Canvas user 777 (garcialuis) graded as one submission: q1_softmax.py, "
        "q2_neural.py, q2_sigmoid.py, q3_word2vec.py; left out garcialuis_777_902_q2_sigmoid.py "
        "(handed in again as garcialuis_777_910_q2_sigmoid.py)"]
    kept = found.uploads[0].path / "q2_sigmoid.py"
    assert kept.read_bytes() == (FIXTURES / "empty.py").read_bytes()


def test_a_canvas_groups_submission_id_is_a_graded_files_not_one_left_out(tmp_path):
    """The gradebook's canvas_submission_id was the first file's by name: an older attachment
    handed in again later and left out (an instructor following it opened the wrong file)."""
    from grader import batch
    from grader.uploads import parse_name
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for n, path in enumerate(MULTIFILE):
        shutil.copyfile(path, uploads / f"garcialuis_777_90{n}_{path.name}")
    first = sorted(uploads.iterdir())[0].name  # garcialuis_777_900_<the first file>
    shutil.copyfile(FIXTURES / "empty.py", uploads / first.replace("_900_", "_500_"))
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert [u.student for u in found.uploads] == ["garcialuis"]
    assert "left out garcialuis_777_500_" in found.notes[0], found.notes
    assert parse_name(found.uploads[0].path.name).canvas_submission_id == "900"


def test_a_canvas_resubmission_under_a_name_of_the_students_own_is_graded_not_the_old_file(
        tmp_path):
    """Canvas keeps each attachment's own name: hw1.py, then hw1_final.py. Both came down as one
    student's files, the loader graded whichever defined a function first by name (the old,
    buggy hw1.py: 72 of 100) and said only "remove the old copy", which a student cannot do on
    Canvas. A later file defining every graded function an earlier one of the student's own
    naming defines is a resubmission: the earlier is left out, and the note says so. Files the
    later one imports, and the assignment's own files, are parts, not versions."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    correct = (FIXTURES / "correct_summed.py").read_text()
    (uploads / "kimmy_55555_70001_hw1.py").write_text(correct.replace("def sigmoid(", "def sigmoid_(")
                                                      + "\ndef sigmoid(x):\n    return x\n")
    (uploads / "kimmy_55555_70002_hw1_final.py").write_text(correct)
    # The later file sorts first by name: which is later is the attachment id's to say.
    (uploads / "lopez_66666_80002_a-solution.py").write_text(correct)
    (uploads / "lopez_66666_80001_solution.py").write_text("def sigmoid(x):\n    return x\n")
    # Parts of one submission: a helper the main file imports, and the assignment's own names.
    (uploads / "nguyen_77777_90001_helpers.py").write_text("def sigmoid(x):\n    return x\n")
    (uploads / "nguyen_77777_90002_main.py").write_text("from helpers import *\n" + correct)
    for n, path in enumerate(MULTIFILE):
        (uploads / f"okafor_88888_{95000 + n}_{path.name}").write_bytes(path.read_bytes())
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=LAYOUT, functions=CS224N)
    held = {u.student: sorted(p.name for p in u.path.iterdir()) for u in found.uploads}
    assert held == {"kimmy": ["hw1_final.py"], "lopez": ["a-solution.py"],
                    "nguyen": ["helpers.py", "main.py"],
                    "okafor": sorted(p.name for p in MULTIFILE)}, found.notes
    kimmy = next(n for n in found.notes if "kimmy" in n)
    assert kimmy == ("Canvas user 55555 (kimmy) handed in 2 files: hw1_final.py is graded; left out "
                     "kimmy_55555_70001_hw1.py (handed in again as kimmy_55555_70002_hw1_final.py, "
                     "a later file defining its graded functions)")
    from grader.uploads import parse_name
    graded_as = {u.student: parse_name(u.path.name).canvas_submission_id for u in found.uploads}
    assert graded_as["kimmy"] == "70002" and graded_as["lopez"] == "80002"


def test_a_resubmitted_python2_file_is_a_resubmission_too(tmp_path):
    """The 2017 starter's files are Python 2 (print statements): a resubmission of one defined no
    function to the parser, so hw1.py and hw1-1.py (Canvas's name for hw1.py handed in again)
    were graded together, each function from the earlier file (probe s59: 0 where the later
    attempt gets 15)."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    python2 = '\n\nif __name__ == "__main__":\n    print "testing"\n'
    correct = (FIXTURES / "correct_summed.py").read_text()
    (uploads / "gamma_10003_11111_hw1.py").write_text(
        correct.replace("def sigmoid(", "def sigmoid_(") + "\ndef sigmoid(x):\n    return x\n"
        + python2)
    (uploads / "gamma_10003_11122_hw1-1.py").write_text(correct + python2)
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=LAYOUT, functions=CS224N)
    held = {u.student: sorted(p.name for p in u.path.iterdir()) for u in found.uploads}
    assert held == {"gamma": ["hw1-1.py"]}, (held, found.notes)
    assert any("left out gamma_10003_11111_hw1.py (handed in again as "
               "gamma_10003_11122_hw1-1.py" in n for n in found.notes), found.notes


def test_the_assignments_files_then_one_complete_file_grade_the_complete_file(tmp_path):
    """Handed in one by one (q1_softmax.py ...), then as one complete hw1.py: the earlier files
    were graded, as parts of one submission beside hw1.py (probe s59: 50 where hw1.py gets 100).
    A later file defining every graded function they define replaces them; one that the
    assignment's files import is a part of them, not a version."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for n, path in enumerate(MULTIFILE):
        (uploads / f"lou_20002_{31001 + n}_{path.name}").write_bytes(path.read_bytes())
        (uploads / f"kai_20003_{41001 + n}_{path.name}").write_text(
            "from helpers import *\n" + path.read_text())
    correct = (FIXTURES / "correct_summed.py").read_text()
    (uploads / "lou_20002_31010_hw1.py").write_text(correct)
    (uploads / "kai_20003_41010_helpers.py").write_text(correct)
    # A later file of the starter's stubs is no resubmission of the finished files (recheck
    # probe s59: they were left out for a blank hw1_starter.py, 100 to 0).
    for n, path in enumerate(MULTIFILE):
        (uploads / f"ann_20004_{51001 + n}_{path.name}").write_bytes(path.read_bytes())
    (uploads / "ann_20004_51010_hw1_starter.py").write_text("".join(
        f"def {name}(*args):\n    raise NotImplementedError\n\n\n" for name in CS224N))
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=LAYOUT, functions=CS224N)
    held = {u.student: sorted(p.name for p in u.path.iterdir()) for u in found.uploads}
    assert held["lou"] == ["hw1.py"], (held, found.notes)
    assert held["kai"] == sorted(["helpers.py", *(p.name for p in MULTIFILE)]), held
    assert held["ann"] == sorted(["hw1_starter.py", *(p.name for p in MULTIFILE)]), held
    lou = next(n for n in found.notes if "lou" in n)
    assert "hw1.py is graded" in lou and "lou_20002_31001_q1_softmax.py (handed in again as " \
        "lou_20002_31010_hw1.py" in lou, lou


# ---- 4. a class folder holding one folder: a student's, or the class's (said) ------------------------
CS224N = ("sigmoid", "sigmoid_grad", "softmax", "forward_backward_prop",
          "negSamplingCostAndGradient")
LAYOUT = tuple(p.stem for p in MULTIFILE)


def _discover(folder: Path, pack: str = "cs224n-a1"):
    from grader import batch
    from grader.packs import load_pack
    chosen = load_pack(pack)
    return batch.discover(folder, layout=chosen.layout,
                          functions=[f.name for f in chosen.functions])


def test_a_lone_folder_named_as_an_lms_names_a_student_is_that_students(tmp_path):
    """Moodle's download with one submission so far: the student's folder holds a notebook and
    no .py, which made it a 'folder of uploads' and the student `hw1`, without a Moodle id (and a
    ghost row `hw1` once a second student handed in)."""
    folder = tmp_path / "class" / "Jane Doe_4242_assignsubmission_file_"
    folder.mkdir(parents=True)
    (folder / "hw1.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4,
                                                  "nbformat_minor": 5, "metadata": {}}))
    found = _discover(tmp_path / "class")
    assert [(u.student, u.path.name) for u in found.uploads] == [
        ("Jane_Doe", "Jane Doe_4242_assignsubmission_file_")]
    assert found.notes == []


@pytest.mark.parametrize("pack", ["cs224n-a1", "cbow"])
def test_a_lone_students_folder_of_several_files_is_one_student(tmp_path, pack):
    """alice/{solution.py, helper.py} became two students, helper (0) and solution (100); and
    under another pack, whose layout has other module names, alice's four q*.py files became
    four students."""
    alice = tmp_path / "class" / "alice"
    alice.mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", alice / "solution.py")
    (alice / "helper.py").write_text("def normalize(x):\n    return x / x.sum()\n")
    for path in MULTIFILE:
        shutil.copy(path, alice / path.name)
    if pack == "cs224n-a1":
        for path in MULTIFILE:
            (alice / path.name).unlink()  # solution.py and helper.py alone
    else:
        (alice / "solution.py").unlink()
    found = _discover(tmp_path / "class", pack)
    assert [(u.student, u.path.name) for u in found.uploads] == [("alice", "alice")]


def test_a_lone_folder_of_several_submissions_is_looked_into_and_the_notes_say_so(tmp_path):
    """A zip of the download folder: two files that each define the graded functions are two
    students' uploads, not one student's files; and the batch says it looked inside."""
    folder = tmp_path / "class" / "HW1 submissions"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "bob.py")
    shutil.copy(FIXTURES / "correct_averaged.py", folder / "carol.py")
    found = _discover(tmp_path / "class")
    assert [u.student for u in found.uploads] == ["bob", "carol"]
    assert found.notes == [
        "looked into HW1 submissions/, the only entry of class, as the folder of the class's "
        "uploads (2 separate uploads: bob.py, carol.py): each entry in it is one student's "
        "upload"], found.notes
    # Zipped, the note names the zip, not the batch's own copy of it (OUT/.uploads).
    archive = shutil.make_archive(str(tmp_path / "HW1"), "zip", tmp_path / "class")
    done = run_cli("batch", archive, "--out", str(tmp_path / "out"), "--only", "sigmoid")
    assert "looked into HW1 submissions/, the only entry of HW1.zip, as the folder" in done.stderr, \
        done.stderr


SOLUTION = (FIXTURES / "correct_summed.py").read_text()
HALF_A, HALF_B = SOLUTION.split("\ndef forward_backward_prop")
LONE_FOLDERS = {
    # name: ({file: text, or None for a folder holding one solution}, the students expected)
    "a_broken_upload_beside_a_solution": ({"alice.py": SOLUTION, "bob.py": "def sigmoid(x:\n"},
                                          ["alice", "bob"]),
    "an_empty_upload_beside_a_solution": ({"alice.py": SOLUTION, "dave.py": ""},
                                          ["alice", "dave"]),
    "a_file_beside_a_folder": ({"bob.py": SOLUTION, "carol": None}, ["bob", "carol"]),
    "a_notebook_and_its_export": ({"hw1.py": SOLUTION, "hw1.ipynb": json.dumps(
        {"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}})}, ["erin"]),
    "a_solution_and_its_helper": ({"solution.py": "import helper\n" + SOLUTION,
                                   "helper.py": "def load():\n    return 1\n"}, ["erin"]),
    # An import does not join two solutions: one upload importing its classmates' modules made
    # the whole class one student, `download`, at 100.
    "an_upload_importing_its_classmates": ({"alice.py": SOLUTION, "bob.py": SOLUTION,
                                            "mallory.py": "import alice, bob\n" + SOLUTION},
                                           ["alice", "bob", "mallory"]),
    "one_solution_split_in_two_files": ({"part1.py": HALF_A,
                                         "part2.py": "def forward_backward_prop" + HALF_B},
                                        ["erin"]),
}


@pytest.mark.parametrize("name", sorted(LONE_FOLDERS))
def test_a_lone_folder_is_one_students_unless_its_parts_are_separate_uploads(tmp_path, name):
    """The probe's wrappers graded as one student (the others vanishing, no note): a class of two
    whose second upload does not parse, is empty, or is a folder. Files that go together (an
    import, one stem, a helper, graded functions split between files) stay one student's."""
    files, expected = LONE_FOLDERS[name]
    folder = tmp_path / "class" / ("download" if len(expected) > 1 else "erin")
    folder.mkdir(parents=True)
    for file, text in files.items():
        if text is None:
            (folder / file).mkdir()
            (folder / file / "hw.py").write_text(SOLUTION)
        else:
            (folder / file).write_text(text)
    found = _discover(tmp_path / "class")
    assert [u.student for u in found.uploads] == expected, found.notes
    assert bool([n for n in found.notes if n.startswith("looked into")]) == (len(expected) > 1)


def test_a_students_file_name_cannot_put_the_file_among_another_students(tmp_path):
    """In a flat export the student names the end of the file name (Blackboard, Moodle) and may
    name the start too (a Moodle full name). A name that spells another student's attempt or
    participant id after the LMS's own does not join that student's files (Mallory's file named
    `x_bob_attempt_2099-..._hw1.py` was graded as Bob's latest attempt, his own left out); a
    Moodle name with two participant ids is graded alone and said to be."""
    from grader import batch
    from grader.packs import load_pack
    pack = load_pack("cs224n-a1")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    files = {
        "Assignment_1_bob_attempt_2026-11-01-10-00-00_hw1.py": SOLUTION,
        "Assignment_1_mallory_attempt_2026-11-01-11-00-00_x_bob_attempt_2099-01-01-00-00-00_hw1.py":
            "x = 1\n",
        "Bob Jones_5555_assignsubmission_file_hw1.py": SOLUTION,
        "Bob Jones_5555_assignsubmission_file_1111_assignsubmission_file_hw.py": "x = 1\n",
    }
    for name, text in files.items():
        (uploads / name).write_text(text)
    found = batch.discover(uploads, grouped=tmp_path / "out" / ".lms-groups", layout=pack.layout,
                           functions=[f.name for f in pack.functions])
    held = {u.student: sorted(p.name for p in u.path.iterdir()) if u.path.is_dir()
            else [u.path.name] for u in found.uploads}
    assert held == {
        "bob": ["Assignment_1_bob_attempt_2026-11-01-10-00-00_hw1.py"],
        "mallory": ["Assignment_1_mallory_attempt_2026-11-01-11-00-00_x_bob_attempt_"
                    "2099-01-01-00-00-00_hw1.py"],
        "Bob_Jones": ["Bob Jones_5555_assignsubmission_file_hw1.py"],
        "Bob_Jones_5555_assignsubmission_file_1111_assignsubmission_file_hw": [
            "Bob Jones_5555_assignsubmission_file_1111_assignsubmission_file_hw.py"]}, held
    assert not any("attempts" in n for n in found.notes), found.notes
    assert ("Bob Jones_5555_assignsubmission_file_1111_assignsubmission_file_hw.py is graded "
            "alone, as 'Bob_Jones_5555_assignsubmission_file_1111_assignsubmission_file_hw': its "
            "name holds more than one Moodle participant id (5555, 1111)") in " ".join(found.notes)


def test_a_lone_folder_of_one_file_is_a_student_and_the_notes_say_it_may_be_the_class(tmp_path):
    """`HW1/alice.py` alone: one student's folder (HW1) or a class with one upload so far
    (alice). Nothing tells which; it is graded as the folder's, and the instructor is told how
    to grade it the other way. A Moodle-named folder, or one of several files, is no question."""
    wrapper = tmp_path / "class" / "HW1"
    wrapper.mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", wrapper / "alice.py")
    found = _discover(tmp_path / "class")
    assert [(u.student, u.path.name) for u in found.uploads] == [("HW1", "HW1")]
    assert found.notes == ["class holds one folder, HW1/, with one file in it, alice.py: graded "
                           "as one student's upload named 'HW1'. If HW1/ is the folder of the "
                           "class's uploads, run the batch on it instead"]
    shutil.copy(FIXTURES / "correct_summed.py", wrapper / "alice_helpers.py")
    assert not any("with one file in it" in note for note in _discover(tmp_path / "class").notes)


def test_a_lone_folder_with_nothing_to_grade_is_no_upload_at_all(tmp_path):
    """A download whose one folder is empty (or holds a README) gave a row for the folder and
    exit 0; it is an empty download, with the status of one (3)."""
    (tmp_path / "class" / "HW1 - Download").mkdir(parents=True)
    (tmp_path / "class" / "HW1 - Download" / "README.txt").write_text("nothing yet")
    proc = run_cli("batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


# ---- 5. smaller: what an instructor reads ---------------------------------------------------------
@pytest.mark.parametrize("content", [(), ("README.txt",)])
def test_an_input_without_uploads_is_said_with_its_own_status_and_writes_nothing(tmp_path,
                                                                                   content):
    """An empty download, or the wrong folder, exited 0 with 'graded 0 ... 0 rows': a pipeline
    went on to post an empty gradebook."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for name in content:
        (uploads / name).write_text("not a submission")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    assert "holds no upload to grade" in proc.stderr and "Traceback" not in proc.stderr
    if content:
        assert "ignored README.txt: not a .py, .ipynb, .zip or tar archive" in proc.stderr
    assert not (out / "reports").exists() and not (out / "gradebook.csv").exists()


@pytest.mark.parametrize("bad", ["x.py", "grace.zip"])
def test_an_input_that_is_not_a_class_leaves_no_outdir_behind(tmp_path, bad):
    source = tmp_path / bad
    source.write_text("x = 1\n")  # a .py, or a .zip that is no zip
    out = tmp_path / "out"
    proc = run_cli("batch", str(source), "--out", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert not out.exists(), sorted(out.rglob("*"))


def test_a_fail_under_no_score_can_meet_is_a_usage_error():
    proc = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--fail-under", "150")
    assert proc.returncode == 2, proc.stderr
    assert "--fail-under 150" in proc.stderr and "between 0 and 100 points" in proc.stderr
    assert "always fail" in proc.stderr
    # With --only, what the functions graded can score (softmax: 15), as typed (not "100").
    only = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--only", "softmax",
                   "--fail-under", "60")
    assert only.returncode == 2, only.stderr
    assert "--fail-under 60: what --only softmax grades is between 0 and 15 points" in only.stderr
    close = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--fail-under", "100.0001")
    assert close.returncode == 2 and "--fail-under 100.0001:" in close.stderr, close.stderr


def test_gradescope_root_that_is_a_file_says_so(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    proc = run_cli("gradescope", "--root", str(afile))
    assert proc.returncode == 2 and "a file, not a folder" in proc.stderr, proc.stderr


def test_each_renamed_upload_is_named_with_every_other_upload_of_its_student(tmp_path):
    """alice/ and ALICE.zip: the note said 'alice and ALICE.zip both name student 'alice':
    graded as 'alice-2'', read as ALICE.zip renamed, when alice/ was; a third upload, Alice.py,
    was never named with the first."""
    from grader import batch
    (tmp_path / "alice").mkdir()
    (tmp_path / "ALICE.zip").write_bytes(b"")
    (tmp_path / "Alice.py").write_text("")
    found = batch.discover(tmp_path)
    assert [(u.path.name, u.student) for u in found.uploads] == [
        ("ALICE.zip", "ALICE"), ("Alice.py", "Alice-2"), ("alice", "alice-3")]
    assert found.notes == [
        "Alice.py is graded as 'Alice-2': ALICE.zip (graded as 'ALICE') and alice (graded as "
        "'alice-3') name the same student",
        "alice is graded as 'alice-3': ALICE.zip (graded as 'ALICE') and Alice.py (graded as "
        "'Alice-2') name the same student"]


def test_a_canvas_students_identifier_stays_theirs_across_resubmissions_and_namesakes(tmp_path):
    """Canvas names a resubmission with a new attachment id, and two students of one name are
    two Canvas users. Rerun, a namesake took 'smithjohn' from the student graded under it before
    (overwriting their report, no longer present, with the namesake's), or the resubmission lost
    it to the namesake."""
    from grader import batch
    before = {"smithjohn_54321_1000_submission.py": "smithjohn"}
    # 54321 no longer in the download; another John Smith, user 12345, is
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "smithjohn_12345_11111_submission.py").write_text("x = 1\n")
    found = batch.discover(alone, known=before)
    assert [u.student for u in found.uploads] == ["smithjohn-2"]
    assert found.notes == ["smithjohn_12345_11111_submission.py is graded as 'smithjohn-2': "
                           "'smithjohn' is another student's, graded before under that name "
                           "(their report is kept)"], found.notes
    # 54321 resubmitted (a new attachment id) beside the namesake
    both = tmp_path / "both"
    both.mkdir()
    (both / "smithjohn_12345_11111_submission.py").write_text("x = 1\n")
    (both / "smithjohn_54321_22222_submission.py").write_text("x = 2\n")
    found = batch.discover(both, known=before)
    assert {u.path.name: u.student for u in found.uploads} == {
        "smithjohn_54321_22222_submission.py": "smithjohn",
        "smithjohn_12345_11111_submission.py": "smithjohn-2"}
    assert found.notes == ["smithjohn_12345_11111_submission.py is graded as 'smithjohn-2': "
                           "smithjohn_54321_22222_submission.py (graded as 'smithjohn') is "
                           "another student of the same name"], found.notes


def test_an_upload_renamed_for_one_that_took_its_name_says_which(tmp_path):
    """ALICE.py, Alice.py and alice-2.py: Alice.py is made alice-2, so alice-2.py is made
    alice-2-2, and its note listed no one ("...:  name the same student")."""
    from grader import batch
    for name in ("ALICE.py", "Alice.py", "alice-2.py"):
        (tmp_path / name).write_text("")
    found = batch.discover(tmp_path)
    assert {u.path.name: u.student for u in found.uploads} == {
        "ALICE.py": "ALICE", "Alice.py": "Alice-2", "alice-2.py": "alice-2-2"}
    assert "alice-2.py is graded as 'alice-2-2': 'alice-2' is Alice.py's" in found.notes, \
        found.notes


def test_a_name_written_to_look_like_anothers_does_not_take_its_identifier(tmp_path):
    """`alice-.py` and a Moodle full name `Alice Smith-` make the identifiers of `alice.py` and
    `Alice Smith`; numbered by name alone, the impostor (`-` sorts first) took them, and
    scores.csv and reports/alice.html were the impostor's. The name as written nearest the
    identifier keeps it."""
    from grader import batch
    for name in ("alice.py", "alice-.py"):
        (tmp_path / name).write_text("")
    for name in ("Alice Smith_4242_assignsubmission_file_", "Alice Smith-_1111_assignsubmission_file_"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "hw1.py").write_text("")
    found = batch.discover(tmp_path)
    assert {u.path.name: u.student for u in found.uploads} == {
        "alice.py": "alice", "alice-.py": "alice-2",
        "Alice Smith_4242_assignsubmission_file_": "Alice_Smith",
        "Alice Smith-_1111_assignsubmission_file_": "Alice_Smith-2"}, found.notes
    assert [u.path.name for u in found.uploads] == sorted(u.path.name for u in found.uploads)
    assert "alice-.py is graded as 'alice-2': alice.py (graded as 'alice') names the same " \
        "student" in found.notes, found.notes


def test_an_upload_named_with_a_colon_or_a_backslash_is_graded_as_alone(tmp_path):
    """`a:b.py` read as a drive and `c\\d.py` as a folder when the task's zip was unpacked: 0 in
    the batch ("unsafe path"), whatever --force did, and 100 alone."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for name in ("a:b.py", "c\\d.py"):
        shutil.copyfile(FIXTURES / "correct_summed.py", uploads / name)
    (uploads / "e:f").mkdir()
    shutil.copyfile(FIXTURES / "correct_summed.py", uploads / "e:f" / "hw.py")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    reports = [json.loads(p.read_text()) for p in sorted((out / "reports").glob("*.json"))]
    assert len(reports) == 3
    assert all(r["score"] == 100 and not r["error"] for r in reports), \
        [(r["submission"], r["error"]) for r in reports]


@pytest.mark.parametrize("content", [b"", b"\x1f\x8b\x08\x00 a gzip, not a zip"],
                         ids=["empty", "a_tar_gz_named_zip"])
def test_a_class_zip_that_cannot_be_read_is_one_line_without_the_usage(tmp_path, content):
    """What is wrong is the download, not the command: the usage text printed with it read as a
    mistyped command."""
    download = tmp_path / "class.zip"
    download.write_bytes(content)
    _one_line_error(run_cli("batch", str(download), "--out", str(tmp_path / "out")),
                    "not a readable zip file")


class _Unflagged(zipfile.ZipInfo):
    """A member whose name is written in `encoding` without the zip's UTF-8 mark, as Windows'
    "Send to compressed folder" and older tools write them."""
    encoding = "cp437"

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's own name)
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def test_zip_member_names_not_marked_utf8_are_read_as_meant_or_said_to_be_guessed(tmp_path):
    """UTF-8 names without the mark (most tools) read as UTF-8, not as cp437 mojibake; names in
    another encoding (a Japanese Windows' Shift-JIS) cannot be told, so the batch says the names
    were read as cp437 and how to unpack the zip with its encoding."""
    from grader import batch
    download = tmp_path / "class.zip"
    source = (FIXTURES / "correct_summed.py").read_bytes()
    with zipfile.ZipFile(download, "w") as zf:
        for name, encoding in (("josé.py", "utf-8"), ("山田.py", "shift_jis"), ("plain.py", "ascii")):
            info = _Unflagged(name)
            info.encoding = encoding
            zf.writestr(info, source)
    folder = batch.extract(download, tmp_path / "unpacked")
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert "josé.py" in names and "plain.py" in names and "山田.py" not in names, names
    notes = batch.unpacking_notes(folder)
    assert len(notes) == 1 and notes[0].startswith("1 name in class.zip (") and \
        "not marked as UTF-8" in notes[0] and "unzip -O shift_jis" in notes[0], notes
    # One name is one name (probe s59: "1 name in submissions.zip (...) are not marked").
    assert ") is not marked as UTF-8 and was read in" in notes[0], notes
    assert "if it looks garbled" in notes[0], notes


def test_one_students_files_under_a_name_no_lms_uses_are_pointed_out(tmp_path):
    """`lee_kim_66666_q1_softmax.py`, ... is no LMS's naming the batch knows: each file stays a
    student of its own (as its name says), but the instructor is told why four rows look like
    one student's files."""
    for path in MULTIFILE:
        shutil.copy(path, tmp_path / f"lee_kim_66666_{path.name}")
    shutil.copy(FIXTURES / "correct_summed.py", tmp_path / "alice_q1_softmax.py")  # one: no note
    found = _discover(tmp_path)
    assert len(found.uploads) == 5
    assert found.notes == [
        "4 uploads begin with lee_kim_66666_ and each is one module of the assignment "
        "(lee_kim_66666_q1_softmax, lee_kim_66666_q2_neural, lee_kim_66666_q2_sigmoid, "
        "lee_kim_66666_q3_word2vec): each is graded as a student of its own. If they are one "
        "student's files, put them in one folder named after the student and run the batch "
        "again"]
    # The student after the module: the same, said with what they end with.
    for path in (tmp_path / f"lee_kim_66666_{p.name}" for p in MULTIFILE):
        path.unlink()
    for path in MULTIFILE[:2]:
        shutil.copy(path, tmp_path / f"{path.stem}_leekim.py")
    found = _discover(tmp_path)
    assert found.notes == [
        "2 uploads end with _leekim and each is one module of the assignment "
        f"({MULTIFILE[0].stem}_leekim, {MULTIFILE[1].stem}_leekim): each is graded as a student "
        "of its own. If they are one student's files, put them in one folder named after the "
        "student and run the batch again"], found.notes


def _zip_of(path: Path, *files: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.write(file, file.name)
    return path


def _graded_files(found) -> dict[str, list[str]]:
    return {u.student: sorted(p.name for p in u.path.iterdir()) if u.path.is_dir()
            else [u.path.name] for u in found.uploads}


def test_an_archive_among_one_students_files_is_a_whole_submission_in_the_order_handed_in(
        tmp_path):
    """Canvas names a zip handed in again `submission-1.zip`: both went into one folder, which
    holds no code of its own, and a correct student scored 0 ("upload one zip"). A .py handed
    in before a zip was graded and the later zip left out without a word (probe s55)."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    code = FIXTURES / "correct_summed.py"
    _zip_of(uploads / "doeann_1001_2001_submission.zip", code)
    _zip_of(uploads / "doeann_1001_2002_submission-1.zip", code)
    shutil.copyfile(code, uploads / "roejim_1002_2010_a1.py")
    _zip_of(uploads / "roejim_1002_2011_a1.zip", code)
    _zip_of(uploads / "leekim_1003_2020_a1.zip", code)
    shutil.copyfile(code, uploads / "leekim_1003_2021_a1.py")
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert _graded_files(found) == {"doeann": ["submission-1.zip"], "roejim": ["a1.zip"],
                                    "leekim": ["a1.py"]}, found.notes
    notes = "\n".join(found.notes)
    for old, new in (("doeann_1001_2001_submission.zip", "doeann_1001_2002_submission-1.zip"),
                     ("roejim_1002_2010_a1.py", "roejim_1002_2011_a1.zip"),
                     ("leekim_1003_2020_a1.zip", "leekim_1003_2021_a1.py")):
        assert f"left out {old} (handed in again as {new})" in notes, notes


def test_blackboard_usernames_holding_an_underscore_are_whole(tmp_path):
    """`Assignment1_j_smith_attempt_...` and `Assignment1_k_smith_attempt_...` were both user
    `smith`: one student's attempt was left out as the other's earlier one, and one row posted
    for two (probe s55). The assignment is what every name of the download shares; with one
    student alone, the receipt's `Name: ... (username)` says it."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for user, when in (("j_smith", "2026-11-01-10-00-00"), ("k_smith", "2026-11-02-10-00-00")):
        (uploads / f"Assignment_1_{user}_attempt_{when}_hw1.py").write_text(SOLUTION)
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert sorted(u.student for u in found.uploads) == ["j_smith", "k_smith"], found.notes
    assert not any("attempts" in note for note in found.notes), found.notes
    alone = tmp_path / "alone"
    alone.mkdir()
    for when in ("2026-11-01-10-00-00", "2026-11-03-10-00-00"):
        (alone / f"HW_1_a_user_attempt_{when}_hw1.py").write_text(SOLUTION)
        (alone / f"HW_1_a_user_attempt_{when}.txt").write_text(
            "Name: Ann User (a_user)\nAssignment: HW 1\n")
    found = batch.discover(alone, grouped=tmp_path / "groups2")
    assert [u.student for u in found.uploads] == ["a_user"], found.notes
    assert any("Blackboard user a_user made 2 attempts" in note for note in found.notes)
    from grader.batch import upload_record
    assert upload_record(found.uploads[0].path.name, None)["blackboard_username"] == "a_user"


def test_a_student_renamed_in_the_lms_keeps_the_row_of_their_account(tmp_path):
    """A Canvas user renamed between two downloads (smithjohn, then smithjonesjohn) became a
    second row, the first kept as no longer present: canvas.csv held two rows of one Canvas id,
    the stale grade among them (probe s55). The account's identifier is theirs again, said so;
    a new student who now has the old name does not take it from them."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "smithjonesjohn_12345_70002_hw1.py").write_text(SOLUTION)
    (uploads / "Zoë Müller-Smith_4242_assignsubmission_file_").mkdir()
    (uploads / "Zoë Müller-Smith_4242_assignsubmission_file_" / "hw1.py").write_text(SOLUTION)
    (uploads / "leeanna_777_70010_hw1.py").write_text(SOLUTION)
    known = {"smithjohn_12345_70001_hw1.py": "smithjohn",
             "Zoë Müller_4242_assignsubmission_file_": "Zoë_Müller",
             "leeanna_555_70003_hw1.py": "leeanna"}  # Canvas user 555, not in this download
    found = batch.discover(uploads, grouped=tmp_path / "groups", known=known)
    assert {u.path.name: u.student for u in found.uploads} == {
        "smithjonesjohn_12345_70002_hw1.py": "smithjohn",
        "Zoë Müller-Smith_4242_assignsubmission_file_": "Zoë_Müller",
        "leeanna_777_70010_hw1.py": "leeanna-2"}, found.notes
    assert ("smithjonesjohn_12345_70002_hw1.py is graded as 'smithjohn', as Canvas user 12345 "
            "(smithjonesjohn) was before, under another name (renamed in the LMS since)"
            ) in found.notes, found.notes


def test_what_a_student_writes_in_a_file_name_takes_no_one_elses_row(tmp_path):
    """Probe s55, against the account and assignment rules above: a Moodle student's own file
    `x_4242_assignsubmission_file_.py` was read as participant 4242 (and, in a download without
    4242, took and overwrote 4242's row); a student's `notes.txt` holding `Name: x (smith)` made
    Blackboard user a_smith `smith`; a one-student Blackboard download took `a_smith`'s row for
    user `smith`; a Canvas user renamed while a new user took the old name kept no row."""
    from grader import batch
    from grader.uploads import parse_name
    spoof = "Eve Bad_5555_assignsubmission_file_x_4242_assignsubmission_file_.py"
    assert parse_name(spoof).moodle_participant_id == "" and parse_name(spoof).ambiguous
    moodle = tmp_path / "moodle"
    moodle.mkdir()
    (moodle / spoof).write_text(SOLUTION)
    found = batch.discover(moodle, grouped=tmp_path / "g1",
                           known={"Jane Doe_4242_assignsubmission_file_": "Jane_Doe"})
    assert [u.student for u in found.uploads] != ["Jane_Doe"], found.notes

    board = tmp_path / "board"
    board.mkdir()
    when = "2026-11-01-10-00-00"
    for user in ("a_smith", "b_jones"):
        (board / f"Assignment1_{user}_attempt_{when}_hw1.py").write_text(SOLUTION)
        (board / f"Assignment1_{user}_attempt_{when}.txt").write_text(f"Name: X ({user})\n")
    (board / f"Assignment1_a_smith_attempt_{when}_notes.txt").write_text("Name: x (smith)\n")
    found = batch.discover(board, grouped=tmp_path / "g2")
    assert sorted(u.student for u in found.uploads) == ["a_smith", "b_jones"], found.notes

    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / f"Assignment1_smith_attempt_{when}_hw1.py").write_text(SOLUTION)
    found = batch.discover(alone, grouped=tmp_path / "g3", known={
        f"Assignment1_a_smith_attempt_{when}_hw1.py": "a_smith",
        f"Assignment1_smith_attempt_{when}_hw1.py": "smith"})
    assert [u.student for u in found.uploads] == ["smith"], found.notes

    canvas = tmp_path / "canvas"
    canvas.mkdir()
    (canvas / "smithjonesjohn_111_9001_hw1.py").write_text(SOLUTION)
    (canvas / "smithjohn_444_9002_hw1.py").write_text(SOLUTION)
    found = batch.discover(canvas, grouped=tmp_path / "g4",
                           known={"smithjohn_111_8001_hw1.py": "smithjohn"})
    assert {u.path.name: u.student for u in found.uploads} == {
        "smithjonesjohn_111_9001_hw1.py": "smithjohn",
        "smithjohn_444_9002_hw1.py": "smithjohn-2"}, found.notes


def test_a_helper_handed_in_after_a_zip_leaves_the_zip_graded(tmp_path):
    """`onelayer.zip` then `utils.py` (no graded function) in one Canvas submission: the zip was
    left out as "handed in again as utils.py" and a correct student scored 0 (probe s55). With
    no order between them (Brightspace, the same minute), the note says the zip is not graded."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _zip_of(uploads / "leeann_77_9001_a1.zip", FIXTURES / "correct_summed.py")
    (uploads / "leeann_77_9002_utils.py").write_text("def helper():\n    return 1\n")
    for name in ("123-456 - Ann Lee - Nov 1, 2026 1000 AM - a1.zip",
                 "123-456 - Ann Lee - Nov 1, 2026 1000 AM - utils.py"):
        source = uploads / "leeann_77_9001_a1.zip" if name.endswith(".zip") else \
            uploads / "leeann_77_9002_utils.py"
        shutil.copyfile(source, uploads / name)
    from grader import batch
    from grader.packs import load_pack
    pack = load_pack("cs224n-a1")
    found = batch.discover(uploads, grouped=tmp_path / "groups", layout=pack.layout,
                           functions=[f.name for f in pack.functions])
    graded = {u.student: sorted(p.name for p in u.path.iterdir()) if u.path.is_dir()
              else [u.path.name] for u in found.uploads}
    assert graded["leeann"] == ["a1.zip"], (graded, found.notes)
    assert any("Brightspace student Ann_Lee handed in 123-456 - Ann Lee - Nov 1, 2026 1000 AM - "
               "a1.zip with other files and the LMS gives no order" in n for n in found.notes), \
        found.notes


def _unpacked_beside(archive: Path, files: dict[str, str]) -> Path:
    """A zip of `files` (member path: text) and, beside it, the folder an unzip tool that
    unpacks each zip beside itself makes of it: named after the zip, holding its members."""
    folder = archive.with_name(archive.name.removesuffix(".zip"))
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    return folder


def test_a_zip_unpacked_beside_itself_is_one_upload_graded_once(tmp_path):
    """An instructor's unzip tool unpacked each zip of a Canvas download beside itself:
    `smithjohn_12345_67890_hw1.zip` and `smithjohn_12345_67890_hw1/` became smithjohn and
    smithjohn-2, two rows of canvas.csv with one Canvas user id, and Canvas imports either
    (probe s59). A folder holding exactly what the archive beside it unpacks to (macOS's
    metadata aside) is that upload: one row, the archive's, and the note says the folder is its
    copy; in every LMS's naming that carries an id, and for a plain name too."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    files = {"assignment1/hw1.py": SOLUTION, "assignment1/.DS_Store": "junk",
             "__MACOSX/assignment1/._hw1.py": "junk"}
    names = {"smithjohn_12345_67890_hw1.zip": "smithjohn",
             "Jane Doe_4242_assignsubmission_file_hw1.zip": "Jane_Doe",
             "Assignment1_jsmith_attempt_2026-11-01-10-00-00_hw1.zip": "jsmith",
             "123-456 - Ann Lee - Nov 1, 2026 1000 AM - hw1.zip": "Ann_Lee",
             "alice.zip": "alice"}
    for name in names:
        folder = _unpacked_beside(uploads / name, files)
        (folder / "__MACOSX" / "assignment1" / "._hw1.py").unlink()  # a tool that drops it
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert {u.student: u.path.name for u in found.uploads} == {
        student: name for name, student in names.items()}, found.notes
    for name in names:
        assert (f"{name} is graded once: the folder {name.removesuffix('.zip')}/ beside it is "
                "its unpacked copy (the same files), left out") in found.notes, found.notes
    assert not any("graded as" in note for note in found.notes), found.notes


def test_a_folder_changed_after_unpacking_is_graded_and_the_archive_left_out_said(tmp_path):
    """The folder beside a zip of its name holds other files (the instructor fixed a student's
    file there): still one Canvas attachment, never two rows of one Canvas user id in
    canvas.csv. The LMS gives no order between them, so the archive is left out for the folder,
    as an archive with other files of no order is, and the note says what differs and that the
    archive was left out. A tar archive, which the grader never opens, cannot be compared: the
    same holds. Without the LMS's ids they are two uploads of one name, as before."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    folder = _unpacked_beside(uploads / "doejane_222_333_hw1.zip", {"hw1.py": "broken("})
    (folder / "hw1.py").write_text(SOLUTION)
    (folder / "notes.py").write_text("x = 1\n")
    tarred = uploads / "kimsoo_444_555_hw1"
    tarred.mkdir()
    (tarred / "hw1.py").write_text(SOLUTION)
    from archives import archive_of
    archive_of(tarred, uploads / "kimsoo_444_555_hw1.tar.gz")
    plain = _unpacked_beside(uploads / "bob.zip", {"hw1.py": SOLUTION})
    (plain / "hw1.py").write_text(SOLUTION + "\n# changed\n")
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert {u.student: u.path.name for u in found.uploads} == {
        "doejane": "doejane_222_333_hw1", "kimsoo": "kimsoo_444_555_hw1",
        "bob": "bob", "bob-2": "bob.zip"}, found.notes
    notes = "\n".join(found.notes)
    assert ("left out doejane_222_333_hw1.zip: the folder doejane_222_333_hw1/ beside it, of the "
            "same name (Canvas user 222 (doejane), one upload of the LMS), is graded instead, and "
            "they differ (hw1.py differs; only the folder holds notes.py)") in notes, notes
    assert "left out kimsoo_444_555_hw1.tar.gz: the folder kimsoo_444_555_hw1/" in notes, notes
    assert "not compared" in notes, notes


def test_rows_left_with_one_canvas_user_id_are_said(tmp_path):
    """Should two rows still carry one Canvas user id (a folder unpacked from an earlier
    attachment beside a later one's file), the batch says canvas.csv holds both."""
    from grader import batch
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "smithjohn_12345_67890_hw1").mkdir()
    (uploads / "smithjohn_12345_67890_hw1" / "hw1.py").write_text(SOLUTION)
    (uploads / "smithjohn_12345_67999_hw1.py").write_text(SOLUTION)
    found = batch.discover(uploads, grouped=tmp_path / "groups")
    assert any("carry one Canvas user, 12345: canvas.csv has a row for each" in note
               for note in found.notes), found.notes


def test_a_class_unzipped_beside_itself_gives_one_canvas_row_per_user(tmp_path):
    """End to end: the folder unpacked from a zip and the zip are one row of canvas.csv and one
    report; a folder changed since is the one graded (its score, not the archive's)."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _unpacked_beside(uploads / "smithjohn_12345_67890_hw1.zip", {"hw1/hw1.py": SOLUTION})
    changed = _unpacked_beside(uploads / "doejane_222_333_hw1.zip",
                               {"hw1.py": (FIXTURES / "missing_softmax.py").read_text()})
    (changed / "hw1.py").write_text(SOLUTION)
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    canvas = list(csv.DictReader(io.StringIO((out / "canvas.csv").read_text(encoding="utf-8"))))
    assert sorted((row["Student"], row["ID"], row["autograde"]) for row in canvas) == [
        ("doejane", "222", "100"), ("smithjohn", "12345", "100")], canvas
    assert sorted(p.name for p in (out / "reports").glob("*.json")) == [
        "doejane.json", "smithjohn.json"]
    assert "its unpacked copy" in (out / "index.html").read_text(encoding="utf-8")


def test_a_kept_report_of_a_canvas_user_graded_again_gets_no_second_canvas_row(tmp_path):
    """An OUTDIR graded before the rule above holds smithjohn (the folder) and smithjohn-2 (the
    zip), one Canvas user; run again, one of them is no longer among the uploads and its report
    is kept: canvas.csv must still carry one row of that user (gradebook.csv keeps both, the
    kept one marked), and the overview says which was left out."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "smithjohn_12345_67890_hw1.py").write_text(SOLUTION)
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "reports" / "smithjohn.json").read_text(encoding="utf-8"))
    report["upload"]["name"] = "smithjohn_12345_67890_hw1"  # the unpacked copy, graded apart
    (out / "reports" / "smithjohn-2.json").write_text(json.dumps(report), encoding="utf-8")
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    canvas = list(csv.DictReader(io.StringIO((out / "canvas.csv").read_text(encoding="utf-8"))))
    assert [(row["Student"], row["ID"]) for row in canvas] == [("smithjohn", "12345")], canvas
    assert {r["submission"]: r["no_longer_present"] for r in _rows(out)} == {
        "smithjohn": "", "smithjohn-2": "yes"}
    assert ("canvas.csv leaves out smithjohn-2, graded before and no longer among the uploads: "
            "its Canvas user 12345 is smithjohn&#39;s, graded from this download") in (
        out / "index.html").read_text(encoding="utf-8")
