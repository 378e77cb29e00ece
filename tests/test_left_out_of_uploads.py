"""What grading leaves out of an upload, named, where it gave no grade at all.

An upload, or a part of one, that the grading user cannot read (a root-owned
.ipynb_checkpoints that `sudo jupyter` left, a file at mode 000): a crash with "a bug in the
grader" and no grade until now. What cannot be read inside a folder is left out and named, and
the rest is graded; an upload that cannot be read at all is a usage error, or, in a grade that
runs anyway, a zero that says why. A folder that holds no one's code (a virtual environment, version
control's history) is left out and named, and its size does not count.

The suite runs as root, which reads everything: the denials are made by standing in for the
calls that meet them."""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from grader import grading, proxy
from grader.session import Options


def _denied(path: str) -> OSError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "a1"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    (folder / ".ipynb_checkpoints" / "hw1-checkpoint.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("mine\n")
    return folder


def test_what_cannot_be_read_inside_a_folder_is_left_out_named_and_the_rest_graded(
        tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    real_copyfile, real_scandir = shutil.copyfile, os.scandir

    def copyfile(src, dst, *args, **kwargs):
        if Path(src).name == "notes.txt":
            raise _denied(str(src))
        return real_copyfile(src, dst, *args, **kwargs)

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path).name == ".ipynb_checkpoints":
            raise _denied(str(path))
        return real_scandir(path)

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    monkeypatch.setattr(shutil.os, "scandir", scandir)
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", "off")
    result = grading.grade_to_files(submission=folder, options=Options(isolation="process"),
                                    only=["sigmoid"])
    assert result.error == "" and result.score == result.max_score, result.error
    said = [w for w in result.warnings if "could not be read" in w]
    assert sorted(said) == [
        ".ipynb_checkpoints was left out: it could not be read (Permission denied). If your code "
        "is in it, make it readable (chmod u+r) or copy it into a folder you own.",
        "notes.txt was left out: it could not be read (Permission denied). If your code is in "
        "it, make it readable (chmod u+r) or copy it into a folder you own."], result.warnings
    assert not any(str(tmp_path) in w for w in result.warnings)


def test_an_upload_that_cannot_be_read_is_a_usage_error_not_a_crash(tmp_path, monkeypatch):
    single = tmp_path / "mine.py"
    shutil.copy(FIXTURES / "correct_summed.py", single)
    folder = _folder(tmp_path)
    real_open, real_scandir = open, os.scandir

    def denied_open(path, *args, **kwargs):
        if isinstance(path, (str, os.PathLike)) and Path(path) == single:
            raise _denied(str(path))
        return real_open(path, *args, **kwargs)

    def denied_scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path) == folder:
            raise _denied(str(path))
        return real_scandir(path)

    monkeypatch.setattr("builtins.open", denied_open)
    monkeypatch.setattr(grading.os, "scandir", denied_scandir)
    for upload in (single, folder):
        with pytest.raises(grading.UsageError) as raised:
            grading.grade_to_files(submission=upload)
        assert str(raised.value).startswith(f"cannot read {upload}: Permission denied"), raised.value


def test_a_copy_that_fails_on_the_upload_itself_is_a_zero_that_says_why(tmp_path, monkeypatch):
    """Read when the grade began, unreadable when its worker starts (a batch's upload changed
    under it): the submission's grade is 0 with the reason, never the grader's traceback."""
    single = tmp_path / "mine.py"
    shutil.copy(FIXTURES / "correct_summed.py", single)
    monkeypatch.setattr(proxy, "_copy_file", lambda source, *rest: (_ for _ in ()).throw(
        _denied(str(source))))
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", "off")
    result = grading.grade_to_files(submission=single, options=Options(isolation="process"),
                                    only=["sigmoid"])
    assert result.score == 0
    assert result.error == ("your upload could not be read (Permission denied). Nothing could "
                            "be graded."), result.error


def test_a_virtual_environment_or_a_git_history_in_the_folder_is_left_out_and_named(tmp_path):
    """`autograde grade .` in a project folder with the `.venv` VS Code, uv and poetry make there
    (103 MiB with numpy) got 0: "the submission holds 103 MiB; the limit is 50 MiB", naming
    numpy's libraries as the student's files."""
    from conftest import grade
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    venv = folder / ".venv"
    (venv / "lib" / "site-packages" / "numpy").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    # over the upload limit, and code that would break the grade if it were imported
    (venv / "lib" / "site-packages" / "numpy" / "big.so").write_bytes(b"\0" * (60 * 2**20))
    (venv / "lib" / "site-packages" / "sigmoid_grad.py").write_text("raise SystemExit(3)\n")
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / ".git" / "objects" / "pack.py").write_text("def sigmoid(x):\n    return 0\n")
    report = grade(folder, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    said = [w for w in report["warnings"] if "not your code" in w]
    assert said == [
        ".git/ was left out: it is version control's history, not your code, and is neither "
        "graded nor counted towards the upload's size.",
        ".venv/ was left out: it is a Python virtual environment (it holds pyvenv.cfg), not your "
        "code, and is neither graded nor counted towards the upload's size."], report["warnings"]


def test_the_same_folder_zipped_is_graded_as_the_folder(tmp_path):
    """Zipped, the project folder above (a .venv, .git, __pycache__ beside the code) got 0: the
    zip's limits (2,000 files, 50 MiB) counted those folders' files before the worker left them
    out (probe s53: a bare venv holds 1,474 files). They are left out first, and named."""
    import zipfile

    from conftest import grade
    upload = tmp_path / "project.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "correct_summed.py", "project/hw1.py")
        zf.writestr("project/.venv/pyvenv.cfg", "home = /usr/bin\n")
        for i in range(2100):  # over the zip's limit of files by themselves
            zf.writestr(f"project/.venv/lib/site-packages/pkg/m{i}.py", "x = 1\n")
        zf.writestr("project/.venv/lib/site-packages/numpy/big.so", b"\0" * (60 * 2**20))
        zf.writestr("project/.venv/lib/site-packages/sigmoid_grad.py", "raise SystemExit(3)\n")
        zf.writestr("project/.git/objects/pack.py", "def sigmoid(x):\n    return 0\n")
        zf.writestr("project/__pycache__/hw1.cpython-311.pyc", b"\0" * 16)
    report = grade(upload, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    said = [w for w in report["warnings"] if "not your code" in w]
    assert said == [
        "project/.git/ was left out: it is version control's history, not your code, and is "
        "neither graded nor counted towards the upload's size.",
        "project/.venv/ was left out: it is a Python virtual environment (it holds pyvenv.cfg), "
        "not your code, and is neither graded nor counted towards the upload's size."], \
        report["warnings"]
