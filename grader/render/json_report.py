"""The JSON report: the result model as it is, with its schema version. Its JSON Schema is published
in the package (grader/schemas/report.schema.json) and every report the tests write is checked
against it."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader.model import SubmissionResult

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "report.schema.json"


def schema() -> dict:
    """The published JSON Schema of the report (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def dumps(result: SubmissionResult) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False, allow_nan=False, default=str)


def write(result: SubmissionResult, path: Path) -> None:
    write_text(path, dumps(result) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader (or an interrupted batch) never sees half a report. Through a
    link to a file, the file is written (the link stays); a device, pipe or socket
    (`--json /dev/stdout`, `>(jq .)`, a FIFO) is written through, never replaced: the atomic
    rename once turned root's /dev/stdout into a regular file."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        return
    if path.is_symlink():  # to a file, or to none yet (written there, as `>` would)
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide reports from their readers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read(path: Path) -> SubmissionResult:
    return SubmissionResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
