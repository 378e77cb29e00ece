"""A tar upload (`.tar.gz`, `.tgz`, `.tar`, ...) unpacked in the worker, by the rules a .zip
is: regular files only, every name inside the upload's folder, the folders that are no one's code
(a virtual environment, version control's history, __pycache__) left out before the limits, and
the same limits on files and bytes as a zip.

`tar czf hw1.tar.gz hw1/` is how many students on Linux and macOS hand in a folder; graded as a
zip is, the same code scores the same either way. Unpacked here, in the sandbox, never by the
grader: the archive is the student's bytes, and a decompressor fed a hostile stream runs under
the worker's limits (memory, CPU), not the grader's.
"""
from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import archive_names

CODE_SUFFIXES = (".py", ".ipynb")
# Entries read, of any kind, before an archive is refused: a tar of millions of empty folders or
# links would otherwise be walked whole before a limit on files saw any of it. What is left out
# counts too (reading past it is decompressing it): a real .venv holds 13,471 entries, and its
# files are no code, left out after the count; refused at 8,000, its upload scored 0 where the
# same files zipped scored 100 (probe s54).
ENTRIES_PER_FILE = 25
# And the bytes they declare, every entry's, for the same reason: a 165 MiB GloVe file beside
# the code is left out (_over_limits), but read past first, and again to reach the files kept
# after it (a compressed stream is read from its start to seek back): 202 MiB of bz2 took 12 s
# of the worker's start, which has 30 s whatever the machine.
SCANNED_PER_KEPT_BYTE = 5
# A header entry (a long name, a pax record) is read whole into memory: a real one is a few
# hundred bytes; one that said 3 GiB held the worker until its start timer ran out.
MAX_HEADER_BYTES = 2**20


class TarProblem(Exception):
    """The archive cannot be graded: the message says why, for the student, naming the upload."""


@dataclass
class Unpacked:
    """What unpacking left out, for the report: entries that are links or special files (name,
    what it is), the folders that are no one's code ({"prefix/": what it is}) and the names the
    archive holds more than once (the later copy is unpacked, as tar itself does)."""

    left_out: list[tuple[str, str]] = field(default_factory=list)
    not_code: dict[str, str] = field(default_factory=dict)
    twice: list[str] = field(default_factory=list)
    # Files that are not code, left out largest first to bring the archive within its limits
    # (name, size), as the grader leaves them out of a folder or a zip.
    too_large: list[tuple[str, int]] = field(default_factory=list)


def extract(archive: Path, dest: Path, *, max_files: int, max_bytes: int,
            skipped_parts: frozenset[str] | set[str] = frozenset()) -> Unpacked:
    """Unpack `archive` into `dest`. Raises TarProblem."""
    try:
        with tarfile.open(archive, mode="r:*", tarinfo=_BoundedHeaders) as tar:
            members = _listed(tar, archive.name, max_files, max_bytes)
            return _write(tar, members, archive.name, dest, max_files, max_bytes, skipped_parts)
    except TarProblem:
        raise
    except _HugeHeader as exc:
        raise TarProblem(f"{archive.name} has an entry header of {exc.size:,} bytes (a real "
                         "one holds a name or a few attributes, under a kilobyte): make the "
                         f"archive again (`tar czf {archive.name} FOLDER`) or upload a .zip of "
                         "your files") from None
    except MemoryError:
        raise TarProblem(f"{archive.name} could not be unpacked: it needs more memory than the "
                         "grader allows (an entry's header of hundreds of megabytes)") from None
    except Exception as exc:  # noqa: BLE001 (tarfile, gzip, bz2 and lzma each raise their own)
        raise TarProblem(_unreadable(archive.name, exc)) from None


class _HugeHeader(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _BoundedHeaders(tarfile.TarInfo):
    """tarfile's entries, refusing a header entry larger than MAX_HEADER_BYTES before it is read
    into memory."""

    def _proc_member(self, tar):  # noqa: ANN001 (tarfile's own hook)
        if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                         tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE) \
                and self.size > MAX_HEADER_BYTES:
            raise _HugeHeader(self.size)
        return super()._proc_member(tar)


def _unreadable(name: str, exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    return (f"{name} is not a tar archive this grader can read ({detail[:200]}): make it again "
            f"(`tar czf {name} FOLDER`) or upload a .zip of your files")


def _listed(tar: tarfile.TarFile, name: str, max_files: int,
            max_bytes: int) -> list[tarfile.TarInfo]:
    """Every entry's header, in order. Reading the next header decompresses the entry before it,
    so the sizes the headers declare are added up as they come, every entry's, before any is
    skipped: what is left out (a .venv) is decompressed too, up to a bound of its own."""
    members: list[tarfile.TarInfo] = []
    declared = 0
    scan_limit = max_bytes * SCANNED_PER_KEPT_BYTE
    for member in tar:
        members.append(member)
        if len(members) > max_files * ENTRIES_PER_FILE:
            raise TarProblem(f"{name} holds more than {max_files * ENTRIES_PER_FILE} entries; the "
                             f"limit is {max_files} files")
        declared += max(member.size, 0)
        if declared > scan_limit:
            raise TarProblem(f"{name} unpacks to more than {scan_limit // 2**20} MiB, most of it "
                             f"beyond what is graded: hand in your code and the files it reads "
                             f"(at most {max_bytes // 2**20} MiB)")
    return members


def _write(tar: tarfile.TarFile, members: list[tarfile.TarInfo], name: str, dest: Path,
           max_files: int, max_bytes: int, skipped_parts) -> Unpacked:
    found = Unpacked()
    names = [_member_name(m) for m in members]
    found.not_code = archive_names.not_code_prefixes([n for n in names if n])
    kept: dict[str, tarfile.TarInfo] = {}
    present = set(names)
    for member, relative in zip(members, names):
        if not relative or member.isdir() or _apple_double(relative, present):
            continue
        parts = relative.split("/")
        if archive_names.left_out_of_archive(relative, found.not_code) \
                or any(p in skipped_parts for p in parts[:-1]):
            continue
        if ".." in parts:
            raise TarProblem(f"{name} has an entry outside its folder: {member.name!r}")
        if member.islnk() and _link_target(member) in kept:
            # GNU tar stores the second path of a file hard-linked on disk as a link to the
            # first: the same bytes under another name (a graded file so stored was lost).
            member = _as_copy_of(member, kept[_link_target(member)])
        elif not member.isreg():
            found.left_out.append((relative, _what(member)))
            continue
        if relative in kept and relative not in found.twice:
            found.twice.append(relative)
        kept[relative] = member
    found.too_large = _over_limits(kept, name, max_files, max_bytes)
    for relative, _ in found.too_large:
        del kept[relative]
    root = dest.resolve()
    for relative, member in kept.items():
        target = dest.joinpath(*relative.split("/"))
        if root not in target.resolve().parents:
            raise TarProblem(f"{name} has an entry outside its folder: {member.name!r}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        except OSError as exc:
            if exc.errno is None:  # the stream itself (a bad gzip CRC): unreadable
                raise
            raise TarProblem(f"{name} could not be unpacked at {relative!r}: it could not be "
                             f"written ({exc.strerror or exc}; does the archive hold a file and "
                             "a folder of the same name?)") from None
    return found


def _over_limits(kept: dict[str, tarfile.TarInfo], name: str, max_files: int,
                 max_bytes: int) -> list[tuple[str, int]]:
    """The files to leave out so that the rest is within `max_files` and `max_bytes`: files that
    are not code, largest first (the 2017 assignment's folder carries a 165 MiB GloVe file;
    refused whole, its code would score 0). Raises TarProblem when the code alone is over."""
    code = {n: m.size for n, m in kept.items() if n.lower().endswith(CODE_SUFFIXES)}
    if len(code) > max_files:
        where = archive_names.crowded_text(list(code))
        raise TarProblem(f"{name} holds {len(code)} files of code (.py, notebooks); the limit is "
                         f"{max_files} files" + (f"; {where}" if where else ""))
    if sum(code.values()) > max_bytes:
        raise TarProblem(f"{name} holds {sum(code.values()) // 2**20} MiB of code (.py, "
                         f"notebooks); the limit is {max_bytes // 2**20} MiB")
    count, total = len(kept), sum(m.size for m in kept.values())
    left: list[tuple[str, int]] = []
    for relative, member in sorted(((n, m) for n, m in kept.items() if n not in code),
                                   key=lambda item: (-item[1].size, item[0])):
        if count <= max_files and total <= max_bytes:
            break
        left.append((relative, member.size))
        count, total = count - 1, total - member.size
    return left


def _member_name(member: tarfile.TarInfo) -> str:
    """The entry's path inside the upload, '/'-separated, without a leading `./` or `/` (GNU tar
    strips both when it unpacks), a backslash read as a folder separator as in a zip; "" for
    the archive's top folder itself."""
    path = PurePosixPath(member.name.replace("\\", "/").lstrip("/"))
    parts = [p for p in path.parts if p not in ("", ".")]
    return "/".join(parts)


def _link_target(member: tarfile.TarInfo) -> str:
    """A hard link's target, named as _member_name names entries."""
    return _member_name(tarfile.TarInfo(member.linkname))


def _as_copy_of(link: tarfile.TarInfo, target: tarfile.TarInfo) -> tarfile.TarInfo:
    """A hard link's entry as a regular file of its target's bytes (tarfile reads those for a
    link from an archive it can seek in)."""
    copy = tarfile.TarInfo(link.name)
    copy.type, copy.size = tarfile.REGTYPE, target.size
    copy.offset, copy.offset_data = target.offset, target.offset_data
    copy.sparse = getattr(target, "sparse", None)
    return copy


def _apple_double(relative: str, present: set[str]) -> bool:
    """macOS's tar writes each file's extended attributes as `._name` beside `name`: metadata,
    never code (a `._solution.py` is binary)."""
    folder, _, base = relative.rpartition("/")
    return base.startswith("._") and (f"{folder}/{base[2:]}" if folder else base[2:]) in present


def _what(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link (tar's link to another entry)"
    return "a special file (a device or a named pipe)"
