"""What an archive's member names say, shared by the grader (sizing an upload before the worker
gets it) and the worker (unpacking it): which kinds of archive an upload may be, and which of its
folders are no one's code to grade.

Names only: nothing here opens a file.
"""
from __future__ import annotations

import collections

# The tar archives an upload may be, compressed or not, as `tar` and macOS's Archive Utility
# write them. Longest first where one ends another (none does today).
TAR_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".tbz", ".txz", ".tar")

# Folders that hold no one's code to grade, whatever is in them: version control's history.
HISTORY_DIRS = (".git", ".hg", ".svn")
# Folders that hold an installed environment's packages, whatever is around them: a venv whose
# pyvenv.cfg was git-ignored, or `pip install --target`, leaves one with no other mark (3,060
# files of it refused an upload whose own four files were right: probe s58).
PACKAGE_DIRS = ("site-packages", "dist-packages")
# Folders in an archive that are no one's code, whatever is in them (the worker skips them too).
JUNK_PARTS = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")
# What an installer writes at the top of the packages folder it fills (pip's and uv's
# .dist-info, setuptools' .egg-info, .egg and .pth files, Debian's packages alike): a folder named
# so that holds none of them is no installer's.
INSTALLER_RECORDS = (".dist-info", ".egg-info", ".egg-link", ".egg", ".pth")
CODE_SUFFIXES = (".py", ".ipynb")


def installer_record(name: str) -> bool:
    """Whether an entry called `name` at the top of a packages folder is an installer's record."""
    return name.lower().endswith(INSTALLER_RECORDS)


def is_code(name: str) -> bool:
    """Whether a file called `name` is code the grader reads (.py, .ipynb, in any case)."""
    return name.lower().endswith(CODE_SUFFIXES)


def tar_suffix(name: str) -> str:
    """The tar suffix `name` ends with, in the case written (`.tar.gz`, `.TGZ`), or ""."""
    lowered = name.lower()
    for suffix in TAR_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[-len(suffix):]
    return ""


def packages_folder(name: str) -> str:
    """What a folder named `name` is when its name alone says it holds installed packages, or
    "": wherever it is, no student writes the assignment's files there."""
    if name.lower() in PACKAGE_DIRS:
        return f"a Python environment's installed packages (a {name} folder)"
    return ""


def not_code_prefixes(names: list[str]) -> dict[str, str]:
    """The folders of an archive, by its members' names ('/'-separated), that grading leaves out
    as no code, as the not-code folders of a folder upload are: {"prefix/": what it is},
    outermost only (a .venv zipped with the code held 1,474 files and more, over the zip's limit
    of 2,000 files: the upload scored 0 where the same folder unzipped scored 100)."""
    found: dict[str, str] = {}
    for name in names:
        parts = name.split("/")
        if len(parts) >= 2 and parts[-1] == "pyvenv.cfg":
            found["/".join(parts[:-1]) + "/"] = "a Python virtual environment (it holds pyvenv.cfg)"
        for i, part in enumerate(parts[:-1]):
            if part == "conda-meta" and i > 0:
                found["/".join(parts[:i]) + "/"] = "a conda environment"
            elif part in HISTORY_DIRS:
                found["/".join(parts[:i + 1]) + "/"] = "version control's history"
            elif packages_folder(part):
                found["/".join(parts[:i + 1]) + "/"] = packages_folder(part)
    outermost = {prefix: what for prefix, what in found.items()
                 if not any(prefix != other and prefix.startswith(other) for other in found)}
    return {prefix: what for prefix, what in outermost.items()
            if not _students_packages(prefix, names, outermost)}


def _students_packages(prefix: str, names: list[str], not_code: dict[str, str]) -> bool:
    """Whether the folder `prefix` of an archive, named as installed packages are, is the
    student's code after all: no installer wrote it (no record at its top), it holds code, and
    the archive holds no code outside the folders left out. A student's four files in a folder
    called dist-packages/ scored 0, "the submission holds no Python file", beside a warning that
    the folder was left out (recheck probe s58). A committed environment keeps its records (pip
    writes one for every package), and beside the student's own code it is left out whatever it
    holds."""
    if not packages_folder(prefix.rstrip("/").split("/")[-1]):
        return False
    inside = [name[len(prefix):] for name in names if name.startswith(prefix)]
    if any(installer_record(rest.split("/")[0]) for rest in inside) \
            or not any(is_code(rest) for rest in inside):
        return False
    return not any(is_code(name) and not left_out_of_archive(name, not_code) for name in names)


def crowded_folders(names: list[str]) -> list[tuple[str, int]]:
    """The folders ("prefix/") that hold most of the files `names` ('/'-separated), with how many
    each holds: the deepest one holding more than half of them, else the top-level folders holding
    a tenth or more, largest first (three at most); [] when most are at the top. A refusal for too
    many files named none, and 3,060 of 3,064 were in one site-packages folder (probe s58)."""
    counts: collections.Counter[str] = collections.Counter()
    for name in names:
        parts = name.split("/")[:-1]
        counts.update("/".join(parts[:i + 1]) + "/" for i in range(len(parts)))
    most = [prefix for prefix, count in counts.items() if 2 * count > len(names)]
    if most:  # nested in one another: the longest is the deepest
        deepest = max(most, key=len)
        return [(deepest, counts[deepest])]
    top = [(prefix, count) for prefix, count in counts.items()
           if prefix.count("/") == 1 and 10 * count >= len(names)]
    return sorted(top, key=lambda item: (-item[1], item[0]))[:3]


def crowded_text(names: list[str]) -> str:
    """Where most of the files `names` are, and to leave them out, as a clause for a refusal
    ("3,060 of them are in venv/lib/: leave that folder out of your upload"), or ""."""
    folders = crowded_folders(names)
    if len(folders) == 1:
        (prefix, count), = folders
        return f"{count:,} of them are in {prefix}: leave that folder out of your upload"
    if folders:
        listed = ", ".join(f"{prefix} ({count:,})" for prefix, count in folders)
        return f"most of them are in {listed}: leave those folders out of your upload"
    return ""


def left_out_of_archive(name: str, not_code: dict[str, str]) -> bool:
    """Whether an archive's member `name` is left out: under a folder of `not_code`
    (not_code_prefixes), or under one of the folders that hold no one's code (__MACOSX,
    __pycache__, notebook checkpoints)."""
    return any(name.startswith(prefix) for prefix in not_code) or any(
        part in JUNK_PARTS for part in name.split("/")[:-1])
