"""Unpacking a zip that nobody vouches for: an LMS bulk download, or a task's upload.

No member may land outside the destination (absolute paths, `..`, drive letters), symbolic links
are skipped (one could point anywhere), and both the number of members and the bytes actually
written are capped, so a zip bomb stops at the cap. (The worker unpacks a student's own nested zip
with its own copy of these rules: it cannot import the grader.)
"""
from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath


class ArchiveError(Exception):
    """Why the archive was refused, phrased to follow its name ("holds ...", "unpacks to ...")."""


def safe_member(name: str) -> PurePosixPath | None:
    """The member's path relative to the destination, or None if it would leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


# What reading a member of a damaged zip raises: a bad CRC, an encrypted member, an unknown
# compression method, a truncated or corrupt stream; OSError for a file and a folder of one name.
UNREADABLE = (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error, OSError)


def member_name(info: zipfile.ZipInfo) -> tuple[str, bool]:
    """A member's name, and whether it was read in the old DOS encoding (cp437) for want of a
    better one. A zip that does not mark its names as UTF-8 is read as cp437 (the zip
    standard's default), but many tools write UTF-8 without the mark: a name that is valid
    UTF-8 is read so (`José.py`, not `JosÃ©.py`)."""
    if info.flag_bits & 0x800:
        return info.filename, False
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename, False
    if raw.isascii():
        return info.filename, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return info.filename, True


# What one upload may hold, packed to be graded (grader/task.py): above the grader's own 50 MiB
# upload limit, so an upload just over that still gets the grader's report and message; far above
# any real homework. A member of a class's zip larger than this is no upload that can be graded.
UPLOAD_BYTES = 64 * 2**20


class _TooLarge(OSError):
    """A member that unpacks to more than the member limit."""


def extract(zf: zipfile.ZipFile, dest: Path, *, max_members: int, max_bytes: int,
            unreadable: list[tuple[str, str]] | None = None,
            links: list[str] | None = None, guessed: list[str] | None = None,
            max_member_bytes: int | None = None) -> None:
    """Write the members of `zf` below `dest`. Raises ArchiveError. A member that cannot be read
    or written raises too, unless `unreadable` is given: then it is skipped and listed there
    (name, why), and the rest is unpacked (one student's file in a class's bulk download); so is
    a member that unpacks to more than `max_member_bytes` (probe s60: one student's 3 GiB file,
    3 MB zipped, refused the whole class's zip, where it costs that student alone).
    Symbolic links are skipped, and listed in `links` when it is given (so a student whose upload
    is a link gets a note, not silence). Names read as cp437 for want of a better encoding
    (member_name) are listed in `guessed` when it is given."""
    members = zf.infolist()
    if len(members) > max_members:
        raise ArchiveError(f"holds {len(members)} files; the limit is {max_members}")
    budget = max_bytes
    for info in members:
        name, legacy = member_name(info)
        if legacy and guessed is not None:
            guessed.append(name)
        target = safe_member(name)
        if target is None:
            raise ArchiveError(f"holds an unsafe path {name!r} (absolute or with ..)")
        if stat.S_ISLNK(info.external_attr >> 16):
            if links is not None:
                links.append(name)
            continue
        out = dest.joinpath(*target.parts)
        if info.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                written = 0
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if max_member_bytes is not None and written > max_member_bytes \
                            and unreadable is not None:
                        raise _TooLarge(f"it unpacks to more than {max_member_bytes // 2**20} "
                                        "MiB, more than one upload can hold to be graded")
                    budget -= len(chunk)
                    if budget < 0:
                        raise ArchiveError(f"unpacks to more than {max_bytes // 2**20} MiB")
                    dst.write(chunk)
        except (*UNREADABLE, _TooLarge) as exc:
            why = str(exc) if isinstance(exc, _TooLarge) else unreadable_member(exc)
            if unreadable is None:
                raise ArchiveError(f"could not be unpacked at {name!r}: {why}") from None
            if out.is_file():
                out.unlink()
            unreadable.append((name, why))


def unreadable_member(exc: BaseException) -> str:
    """Why a member of a zip could not be unpacked, in the zip's owner's terms."""
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "it is encrypted (password-protected)"
    if isinstance(exc, NotImplementedError):
        return f"it is compressed in a way that cannot be read here ({exc})"
    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
        return (f"it could not be written ({exc.strerror or exc}; a file and a folder of the "
                "same name?)")
    return f"the zip is damaged there ({exc})"
