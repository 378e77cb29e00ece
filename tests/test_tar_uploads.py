"""Tar uploads (`tar czf hw1.tar.gz hw1/`, .tgz, .tar, .tar.bz2, .tar.xz): graded as the same
files in a zip are, by a zip's rules and limits, in `autograde grade`, `autograde batch` and
Gradescope's submission folder. Until now a tarball scored 0 ("expected a .py file, a folder, a
.zip or a .ipynb notebook"), and a batch left its student out of the gradebook.

The hostile archives are unpacked by the worker's own code (grader/worker/unpack_tar.py) here,
without a grade around them: a name outside the folder, a header that declares a gigabyte, more
entries than any upload needs, a stream that is no tar at all."""
from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tarfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, LIVE, grade, grade_many, run_cli, scores

sys.path.insert(0, str(ROOT / "grader" / "worker"))
import unpack_tar  # noqa: E402  (the worker's modules import each other by bare name)

MiB = 2**20


def _tar(path: Path, entries: list[tuple[str, bytes | None]], mode: str = "w:gz",
         kinds: dict[str, bytes] | None = None) -> Path:
    """A tar at `path`: each entry a file (bytes) or a folder (None); `kinds` makes the named
    entries links or pipes (tarfile's type byte)."""
    with tarfile.open(path, mode) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            kind = (kinds or {}).get(name)
            if kind is not None:
                info.type = kind
                info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def _unpack(archive: Path, dest: Path, **limits) -> unpack_tar.Unpacked:
    dest.mkdir()
    return unpack_tar.extract(archive, dest, max_files=limits.get("max_files", 2000),
                              max_bytes=limits.get("max_bytes", 50 * MiB))


CORRECT = (FIXTURES / "correct_summed.py").read_bytes()


# ---- graded as a zip is ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def buggy(tmp_path_factory) -> tuple[Path, dict]:
    """A mistake fixture as a .py and its grade: what the same file in a tarball must score."""
    from fixtures.mistakes import MISTAKES, materialize
    mistake = next(m for m in MISTAKES if m.name == "softmax_no_max_subtraction")
    folder = tmp_path_factory.mktemp("buggy")
    source = materialize(mistake, folder)
    return source, grade(source, folder / "py", env=LIVE)


@pytest.mark.parametrize("suffix, mode", [(".tgz", "w:gz"), (".tar", "w"), (".TAR.XZ", "w:xz")])
def test_a_tarball_scores_what_its_file_scores(tmp_path, buggy, suffix, mode):
    source, alone = buggy
    archive = _tar(tmp_path / f"hw1{suffix}", [("./hw1/", None),
                                               ("./hw1/solution.py", source.read_bytes())], mode)
    report = grade(archive, tmp_path / "out", env=LIVE)
    assert report["score"] == alone["score"] < 100
    assert scores(report) == scores(alone)
    assert ([(c["name"], c["status"], c["message"]) for c in report["checks"]]
            == [(c["name"], c["status"], c["message"]) for c in alone["checks"]])


def test_what_a_tarball_holds_that_is_no_code_is_left_out_and_named(tmp_path):
    """A student's project folder tarred whole: its .venv and .git are left out and named, as a
    zip's are; a link and a pipe are never made, and said; macOS's `._name` metadata is not taken
    for code."""
    entries = [("hw1/", None), ("hw1/hw1.py", CORRECT), ("hw1/._hw1.py", b"\x00\x05\x16\x07\x00"),
               ("hw1/.venv/pyvenv.cfg", b"home = /usr/bin\n"),
               # A real .venv holds some 13,000 entries: refused at 8,000 before it was left
               # out, where the same files zipped scored 100 (probe s54).
               *[(f"hw1/.venv/lib/m{i}.py", b"x = 1\n" * 10) for i in range(9000)],
               ("hw1/.git/HEAD", b"ref: refs/heads/main\n"), ("hw1/secrets", b""),
               ("hw1/pipe", b"")]
    archive = _tar(tmp_path / "hw1.tar.gz", entries,
                   kinds={"hw1/secrets": tarfile.SYMTYPE, "hw1/pipe": tarfile.FIFOTYPE})
    report = grade(archive, tmp_path / "out", env=LIVE)
    assert report["score"] == 100, report["_terminal"]
    said = " ".join(report["warnings"])
    assert "hw1/.venv/ was left out: it is a Python virtual environment" in said
    assert "hw1/.git/ was left out: it is version control's history" in said
    assert "hw1/secrets was left out: it is a symbolic link" in said
    assert "hw1/pipe was left out: it is a special file" in said
    assert "._hw1" not in said + report["_terminal"]


def test_a_tar_that_is_not_one_says_so_and_how_to_make_one(tmp_path):
    archive = tmp_path / "hw1.tgz"
    archive.write_bytes(CORRECT)  # a .py renamed
    report = grade(archive, tmp_path / "out")
    assert report["score"] == 0
    text = report["_terminal"]
    assert "hw1.tgz is not a tar archive this grader can read" in text
    assert "tar czf hw1.tgz FOLDER" in text and "Traceback" not in text + report["_stderr"]


def test_a_tarball_appended_to_grades_its_last_copy_and_says_so(tmp_path):
    archive = tmp_path / "hw1.tar"
    _tar(archive, [("hw1.py", CORRECT.replace(b"return s * (1.0 - s)", b"return s", 1))], "w")
    with tarfile.open(archive, "a") as tar:  # `tar -rf hw1.tar hw1.py`, the fixed file
        info = tarfile.TarInfo("hw1.py")
        info.size = len(CORRECT)
        tar.addfile(info, io.BytesIO(CORRECT))
    report = grade(archive, tmp_path / "out", env=LIVE)
    assert report["score"] == 100
    assert any("your archive holds hw1.py more than once" in w for w in report["warnings"])


# ---- in a class -------------------------------------------------------------------------------

def test_a_batch_grades_tarballs_and_names_archives_it_cannot_open(tmp_path):
    """A .rar or .7z is a student's upload the grader does not open: like a damaged member of a
    class zip it gets a row, 0 and the reason, in the gradebook and the LMS imports (probe s59: a
    .rar's student had no row at all, only a note, and posting canvas.csv left them ungraded).
    A student who handed in a .py as well is graded on it, the archive only named."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _tar(uploads / "alice.tar.gz", [("solution.py", CORRECT)])
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "bob.py")
    (uploads / "bob.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (uploads / "carol_77778_88889_hw1.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (uploads / "dan.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"alice", "bob", "carol", "dan"}, proc.stderr
    assert rows["alice"]["score"] == rows["bob"]["score"] == "100"
    assert rows["alice"]["upload"] == "alice.tar.gz" and rows["bob"]["upload"] == "bob.py"
    assert ("ignored bob.rar: a .rar archive, which the grader does not open; if it is a "
            "student's upload, ask for a .zip or .tar.gz") in proc.stderr
    for student, name, kind in (("carol", "carol_77778_88889_hw1.rar", ".rar"),
                                ("dan", "dan.7z", ".7z")):
        row = rows[student]
        assert (row["score"], row["upload"]) == ("0", name), row
        assert f"{name} is a {kind} archive, which the grader does not open" in row["error"], row
        assert f"ignored {name}" not in proc.stderr
        assert (f"1 upload could not be graded ({student}): {name} is a {kind} archive"
                in proc.stderr), proc.stderr
    assert rows["carol"]["canvas_user_id"] == "77778"
    canvas = (out / "canvas.csv").read_text()
    assert "carol,77778,,,,0\n" in canvas, canvas
    assert "carol,0\n" in (out / "scores.csv").read_text()
    again = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert again.returncode == 0 and "4 of 4 already graded" in again.stderr, again.stderr


def test_every_kind_of_tar_is_taken_by_its_name():
    from grader.uploads import is_upload_name, student_id
    from grader.worker.archive_names import TAR_SUFFIXES
    for suffix in TAR_SUFFIXES:
        assert is_upload_name("alice" + suffix.upper()) and student_id("alice" + suffix) == "alice"
    assert student_id("smithjohn_12345_67890_hw1.tar.gz") == "smithjohn"
    assert not is_upload_name("alice.gz") and not is_upload_name(".tar.gz")


def test_gradescope_grades_a_tarball_handed_in_alone(tmp_path):
    from grader.lms import graded_path
    folder = tmp_path / "submission"
    folder.mkdir()
    archive = _tar(folder / "hw1.tar.gz", [("hw1.py", CORRECT)])
    assert graded_path(folder) == archive


# ---- hostile archives, unpacked as the worker does ---------------------------------------------

def test_an_entry_outside_the_folder_refuses_the_archive_and_writes_nothing(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", [("hw1.py", CORRECT), ("../escaped.py", b"x = 1\n")])
    with pytest.raises(unpack_tar.TarProblem, match=r"a.tar.gz has an entry outside its folder: "
                                                     r"'../escaped.py'"):
        _unpack(archive, tmp_path / "dest")
    assert not (tmp_path / "escaped.py").exists() and not any((tmp_path / "dest").iterdir())


def test_a_leading_slash_or_dot_is_the_folder_itself(tmp_path):
    archive = _tar(tmp_path / "a.tar", [("/abs/hw1.py", CORRECT), ("./x/y.py", b"y = 2\n")], "w")
    _unpack(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "abs" / "hw1.py").read_bytes() == CORRECT
    assert (tmp_path / "dest" / "x" / "y.py").read_bytes() == b"y = 2\n"


def test_a_header_that_declares_a_gigabyte_is_refused_before_any_of_it_is_read(tmp_path):
    """A gzip bomb in the making: one header says 1 GiB follows (a few kilobytes do). The
    archive is refused on the header's word, not after decompressing what it claims."""
    info = tarfile.TarInfo("hw1.py")
    info.size = 2**30
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    archive = tmp_path / "bomb.tar.gz"
    import gzip
    archive.write_bytes(gzip.compress(header + b"\0" * 4096))
    started = time.monotonic()
    with pytest.raises(unpack_tar.TarProblem, match=r"bomb.tar.gz unpacks to more than 250 MiB"):
        _unpack(archive, tmp_path / "dest")
    assert time.monotonic() - started < 5


def test_files_and_bytes_are_held_to_a_zips_limits(tmp_path):
    """Over a zip's limits, the files that are not code are left out, largest first, and
    listed; code alone over them refuses the archive."""
    code = _tar(tmp_path / "code.tar", [(f"f{i}.py", b"") for i in range(30)], "w")
    with pytest.raises(unpack_tar.TarProblem, match=r"code.tar holds 30 files of code \(.py, "
                                                    r"notebooks\); the limit is 20 files"):
        _unpack(code, tmp_path / "d1", max_files=20)
    crowded = _tar(tmp_path / "crowded.tar", [("hw1.py", CORRECT), *[
        (f"gen/cases/c{i}.py", b"") for i in range(30)]], "w")
    with pytest.raises(unpack_tar.TarProblem, match=r"crowded.tar holds 31 files of code \(.py, "
                                                    r"notebooks\); the limit is 20 files; 30 of "
                                                    r"them are in gen/cases/: leave that folder "
                                                    r"out of your upload$"):
        _unpack(crowded, tmp_path / "d1b", max_files=20)
    entries = _tar(tmp_path / "entries.tar", [(f"d{i}/", None) for i in range(501)], "w")
    with pytest.raises(unpack_tar.TarProblem, match=r"holds more than 500 entries"):
        _unpack(entries, tmp_path / "d2", max_files=20)
    data = _tar(tmp_path / "data.tar", [("hw1.py", CORRECT), *[(f"x/{i:02}.csv", b"1," * i)
                                                              for i in range(25)]], "w")
    unpacked = _unpack(data, tmp_path / "d3", max_files=20)
    assert unpacked.too_large == [(f"x/{i:02}.csv", 2 * i) for i in (24, 23, 22, 21, 20, 19)]
    assert len(list((tmp_path / "d3").rglob("*.*"))) == 20
    big = _tar(tmp_path / "big.tar.gz", [("glove.txt", b"\0" * (3 * MiB)), ("hw1.py", CORRECT),
                                         ("w.npy", b"\0" * MiB)])
    unpacked = _unpack(big, tmp_path / "d4", max_bytes=2 * MiB)
    assert unpacked.too_large == [("glove.txt", 3 * MiB)]
    assert sorted(p.name for p in (tmp_path / "d4").iterdir()) == ["hw1.py", "w.npy"]
    over = _tar(tmp_path / "over.tar.gz", [("hw1.py", b"#" * (3 * MiB))])
    with pytest.raises(unpack_tar.TarProblem, match=r"over.tar.gz holds 3 MiB of code"):
        _unpack(over, tmp_path / "d5", max_bytes=2 * MiB)


def test_a_tarball_over_the_size_limit_is_graded_without_its_data(tmp_path):
    """The 2017 assignment's folder tarred with its GloVe vectors: graded without them, as the
    same folder or zip is, and the warning names what was left out."""
    archive = _tar(tmp_path / "assignment1.tar.gz",
                   [("assignment1/hw1.py", CORRECT),
                    ("assignment1/glove.6B.50d.txt", b"0.1 " * (16 * MiB))])
    report = grade(archive, tmp_path / "out")
    assert report["score"] == 100, report["_terminal"]
    assert any("files that are not code were left out, largest first: "
               "assignment1/glove.6B.50d.txt (64 MiB)" in w for w in report["warnings"])


def test_a_header_that_declares_gigabytes_is_refused_unread(tmp_path):
    """A pax record (a header entry, read whole into memory) that says 3 GiB: it held the worker
    past its start timer, and the report blamed the grader (probe s54)."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, 3 * 2**30
    archive = tmp_path / "pax.tar"
    archive.write_bytes(info.tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * 4096)
    started = time.monotonic()
    with pytest.raises(unpack_tar.TarProblem, match=r"pax.tar has an entry header of "
                                                    r"3,221,225,472 bytes"):
        _unpack(archive, tmp_path / "dest")
    assert time.monotonic() - started < 5


def test_a_hard_link_to_a_file_of_the_archive_is_that_files_bytes(tmp_path):
    """GNU tar stores the second path of a file hard-linked on disk as a link to the first: a
    graded file so stored was left out (30 of 100 where the zip scored 100; probe s54). A link
    to nothing in the archive is still left out."""
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        first = tarfile.TarInfo("backup/hw1.py")
        first.size = len(CORRECT)
        tar.addfile(first, io.BytesIO(CORRECT))
        link = tarfile.TarInfo("hw1/hw1.py")
        link.type, link.linkname = tarfile.LNKTYPE, "backup/hw1.py"
        tar.addfile(link)
        outside = tarfile.TarInfo("hw1/shadow")
        outside.type, outside.linkname = tarfile.LNKTYPE, "/etc/shadow"
        tar.addfile(outside)
    unpacked = _unpack(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "hw1" / "hw1.py").read_bytes() == CORRECT
    assert unpacked.left_out == [("hw1/shadow", "a hard link (tar's link to another entry)")]
    assert not (tmp_path / "dest" / "hw1" / "shadow").exists()


def test_an_archive_named_as_the_other_kind_is_unpacked_as_what_it_is(tmp_path):
    """A zip named .tar.gz, a tar named .zip, a tarball inside a zip: graded as what they are
    (tarfile's four-line error, cut mid-quote, was all a student was told; probe s54)."""
    import zipfile
    as_zip = tmp_path / "zip_named.tar.gz"
    with zipfile.ZipFile(as_zip, "w") as zf:
        zf.writestr("hw1.py", CORRECT)
    as_tar = _tar(tmp_path / "tar_named.zip", [("hw1.py", CORRECT)])
    inner = _tar(tmp_path / "inner.tgz", [("hw1/hw1.py", CORRECT)])
    outer = tmp_path / "tar_in_zip.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.tgz")
    reports = grade_many({"zip": as_zip, "tar": as_tar, "nested": outer}, tmp_path / "out",
                         env=LIVE)
    assert {name: r["score"] for name, r in reports.items()} == \
        {"zip": 100, "tar": 100, "nested": 100}


def test_a_damaged_stream_is_unreadable_not_a_crash(tmp_path):
    good = _tar(tmp_path / "good.tar.gz", [("hw1.py", CORRECT * 20)]).read_bytes()
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(good[:len(good) // 2])
    with pytest.raises(unpack_tar.TarProblem, match=r"damaged.tar.gz is not a tar archive this "
                                                    r"grader can read"):
        _unpack(damaged, tmp_path / "dest")


def test_a_file_and_a_folder_of_one_name_is_said_not_raised(tmp_path):
    archive = _tar(tmp_path / "a.tar", [("hw1", b"text"), ("hw1/q.py", b"q = 1\n")], "w")
    with pytest.raises(unpack_tar.TarProblem, match=r"could not be unpacked at 'hw1/q.py'"):
        _unpack(archive, tmp_path / "dest")
    assert os.path.isfile(tmp_path / "dest" / "hw1")
