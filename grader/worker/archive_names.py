"""What an archive's member names say, shared by the grader (sizing an upload before the worker
gets it) and the worker (unpacking it): which kinds of archive an upload may be, and which of its
folders are no one's code to grade.

Names only: nothing here opens a file.
"""
from __future__ import annotations

# The tar archives an upload may be, compressed or not, as `tar` and macOS's Archive Utility
# write them. Longest first where one ends another (none does today).
TAR_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".tbz", ".txz", ".tar")

# Folders that hold no one's code to grade, whatever is in them: version control's history.
HISTORY_DIRS = (".git", ".hg", ".svn")
# Folders in an archive that are no one's code, whatever is in them (the worker skips them too).
JUNK_PARTS = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")


def tar_suffix(name: str) -> str:
    """The tar suffix `name` ends with, in the case written (`.tar.gz`, `.TGZ`), or ""."""
    lowered = name.lower()
    for suffix in TAR_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[-len(suffix):]
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
    return {prefix: what for prefix, what in found.items()
            if not any(prefix != other and prefix.startswith(other) for other in found)}


def left_out_of_archive(name: str, not_code: dict[str, str]) -> bool:
    """Whether an archive's member `name` is left out: under a folder of `not_code`
    (not_code_prefixes), or under one of the folders that hold no one's code (__MACOSX,
    __pycache__, notebook checkpoints)."""
    return any(name.startswith(prefix) for prefix in not_code) or any(
        part in JUNK_PARTS for part in name.split("/")[:-1])
