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

from archives import archive_of
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


def _installed_packages(folder: Path, packages: int, files: int) -> None:
    """`packages` packages of `files` small modules each under venv/lib/python3.8/site-packages,
    with no pyvenv.cfg (a venv whose cfg was git-ignored, or `pip install --target`), and a
    module there that would break the grade if it were imported."""
    site = folder / "venv" / "lib" / "python3.8" / "site-packages"
    for p in range(packages):
        (site / f"pkg{p}").mkdir(parents=True)
        for i in range(files):
            (site / f"pkg{p}" / f"m{i}.py").write_text("x = 1\n")
    (site / "sigmoid_grad.py").write_text("raise SystemExit(3)\n")


def test_a_site_packages_folder_without_pyvenv_cfg_is_left_out_and_named(tmp_path):
    """A committed venv without its pyvenv.cfg (3,060 files of installed packages beside the four
    right files) got 0: "the submission holds 3064 files of code; the limit is 2000 files"; with
    the cfg, 100 (probe s58). A site-packages folder is an environment's wherever it is."""
    from conftest import grade
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    _installed_packages(folder, 21, 100)
    report = grade(folder, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    said = [w for w in report["warnings"] if "not your code" in w]
    assert said == [
        "venv/lib/python3.8/site-packages/ was left out: it is a Python environment's installed "
        "packages (a site-packages folder), not your code, and is neither graded nor counted "
        "towards the upload's size."], report["warnings"]


def test_a_dist_packages_folder_in_a_zip_is_left_out_and_named(tmp_path):
    """Zipped, the same: Debian's pip installs into dist-packages."""
    import zipfile

    from conftest import grade
    upload = tmp_path / "project.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "correct_summed.py", "project/hw1.py")
        for i in range(2100):
            zf.writestr(f"project/lib/dist-packages/pkg/m{i}.py", "x = 1\n")
        zf.writestr("project/lib/dist-packages/sigmoid_grad.py", "raise SystemExit(3)\n")
    report = grade(upload, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    said = [w for w in report["warnings"] if "not your code" in w]
    assert said == [
        "project/lib/dist-packages/ was left out: it is a Python environment's installed "
        "packages (a dist-packages folder), not your code, and is neither graded nor counted "
        "towards the upload's size."], report["warnings"]


def test_too_many_files_of_code_names_the_folder_that_holds_them(tmp_path):
    """Refused for too many files of code, the student was not told where they were: 3,060 of
    3,064 were in one folder of installed packages (probe s58)."""
    from conftest import grade
    folder = tmp_path / "project"
    (folder / "generated" / "cases").mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    for i in range(2010):
        (folder / "generated" / "cases" / f"case{i}.py").write_text("x = 1\n")
    report = grade(folder, tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == 0
    assert "the submission holds 2011 files of code (.py, notebooks); the limit is 2000 files. " \
        "2,010 of them are in generated/cases/: leave that folder out of your upload." \
        in report["error"], report["error"]


def test_the_folders_that_crowd_an_upload_are_the_deepest_holding_most_else_the_largest():
    from grader.worker import archive_names
    deep = [f"venv/lib/site-packages/p{i % 9}/m{i}.py" for i in range(300)] + ["hw1.py"]
    assert archive_names.crowded_folders(deep) == [("venv/lib/site-packages/", 300)]
    spread = ([f"a/m{i}.py" for i in range(40)] + [f"b/x/m{i}.py" for i in range(45)]
              + [f"c/m{i}.py" for i in range(15)] + [f"d/m{i}.py" for i in range(5)])
    assert archive_names.crowded_folders(spread) == [("b/", 45), ("a/", 40), ("c/", 15)]
    assert archive_names.crowded_text(spread) == (
        "most of them are in b/ (45), a/ (40), c/ (15): leave those folders out of your upload")
    assert archive_names.crowded_folders([f"m{i}.py" for i in range(50)] + ["a/x.py"]) == []
    assert archive_names.not_code_prefixes(
        ["hw1.py", "env/Lib/site-packages/np/x.py", "env/Lib/site-packages/np/y.py"]) == {
        "env/Lib/site-packages/": "a Python environment's installed packages (a site-packages "
                                  "folder)"}


# ---- a folder named as installed packages that holds the student's code (recheck probe s58) ---
def _student_files_in(folder: Path) -> None:
    folder.mkdir(parents=True)
    for path in (FIXTURES / "correct_multifile").glob("*.py"):
        shutil.copy(path, folder / path.name)


@pytest.mark.parametrize("kind", ["folder", ".zip", ".tar.gz"])
def test_the_students_only_code_in_a_folder_named_dist_packages_is_graded(tmp_path, kind):
    """The four right files in dist-packages/, and nothing else: 0/100, "the submission holds no
    Python file", beside a warning that dist-packages/ was left out as installed packages. No
    installer wrote it (no .dist-info, .egg-info or .pth at its top) and it is all the code the
    upload has: it is the student's, and graded as any folder is."""
    from conftest import grade
    _student_files_in(tmp_path / "hw" / "dist-packages")
    upload = (tmp_path / "hw" if kind == "folder"
              else archive_of(tmp_path / "hw" / "dist-packages", tmp_path / f"hw{kind}"))
    report = grade(upload, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    assert not [w for w in report["warnings"] if "left out" in w], report["warnings"]


def test_installed_packages_alone_stay_left_out_and_the_refusal_says_where_the_code_was(
        tmp_path):
    """The same folder with an installer's records (pip writes a .dist-info for each package)
    is an environment's, left out even when it is all the upload holds; the refusal says so."""
    from conftest import grade
    site = tmp_path / "hw" / "site-packages"
    _student_files_in(site)
    (site / "numpy-1.26.4.dist-info").mkdir()
    (site / "numpy-1.26.4.dist-info" / "METADATA").write_text("Name: numpy\n")
    report = grade(tmp_path / "hw", tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == 0
    assert "no Python file" in report["error"] and "Its code is in site-packages/, which " \
        "was left out: it is a Python environment's installed packages" in report["error"] \
        and "move your own files out of it" in report["error"], report["error"]


def test_a_packages_folder_of_an_archive_is_the_students_only_when_nothing_else_is():
    from grader.worker import archive_names
    mine = ["hw/dist-packages/q1_softmax.py", "hw/dist-packages/q2_sigmoid.py", "hw/notes.txt"]
    assert archive_names.not_code_prefixes(mine) == {}
    assert archive_names.not_code_prefixes([*mine, "hw/scratch.py"]) == {
        "hw/dist-packages/": "a Python environment's installed packages (a dist-packages folder)"}
    assert archive_names.not_code_prefixes(
        [*mine, "hw/dist-packages/six-1.16.0.dist-info/RECORD"]) == {
        "hw/dist-packages/": "a Python environment's installed packages (a dist-packages folder)"}
    # Inside a virtual environment (pyvenv.cfg), whatever it holds.
    assert archive_names.not_code_prefixes(
        ["env/pyvenv.cfg", "env/lib/site-packages/q1_softmax.py"]) == {
        "env/": "a Python virtual environment (it holds pyvenv.cfg)"}
