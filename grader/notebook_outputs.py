"""A notebook's saved outputs dropped, in a child process whose memory is bounded.

An upload over the 50 MiB limit may be a notebook whose saved outputs (plots, a training loop's
printout) make it large: they are never run, so they are dropped before the limit is applied
(grader/proxy.py, copy_upload). That means parsing the notebook's JSON, which the student wrote:
parsed, JSON of small lists and strings costs about 30 times its size, and a 200 KB zip unpacking
to a 190 MB notebook of them took the grader to 5.6 GB. So the parsing runs in a child Python
(this file, run as a script: standard library only) limited to MEMORY_BYTES of address space;
a notebook the child cannot rewrite within it keeps its outputs, and so its size.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MEMORY_BYTES = 2 * 2**30  # a 200 MiB notebook of base64 plots needs about 0.7 GiB
SECONDS = 120
_NOT_A_NOTEBOOK = 3  # the child's exit status when the data is not JSON of a notebook's shape


def without_outputs(data: bytes) -> bytes | None:
    """The notebook `data` with every code cell's outputs and every cell's attachments emptied,
    or None when it is not JSON of a notebook's shape or is too costly to rewrite (the worker
    then reads the file as it is and says what is wrong)."""
    try:
        done = subprocess.run([sys.executable, "-I", "-S", str(Path(__file__).resolve())],
                              input=data, capture_output=True, timeout=SECONDS,
                              preexec_fn=_bounded if _can_bound() else None, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _can_bound() -> bool:
    try:
        import resource  # noqa: F401,PLC0415 (POSIX only)
    except ImportError:
        return False
    return True


def _bounded() -> None:
    import resource  # noqa: PLC0415 (in the child, before it runs)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def rewrite(data: bytes) -> bytes | None:
    """What the child does: both versions' layouts ("cells", or version 3's "worksheets")."""
    escaped = False
    try:
        try:
            raw = json.loads(data)
        except UnicodeDecodeError:
            # A byte that is not UTF-8 (an editor's Windows-1252 "è"): kept as it is, for the
            # worker to read and report as it does in a notebook of any size.
            raw, escaped = json.loads(data.decode("utf-8", "surrogateescape")), True
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else [raw]
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if not isinstance(cell, dict):
                continue
            if "outputs" in cell:
                cell["outputs"] = []
            cell.pop("attachments", None)
    # Compact: written with the default ", " and ": ", a notebook saved without spaces grew by a
    # third (195 MiB was said to be 260 without its outputs), and could be refused for it.
    try:
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "surrogateescape" if escaped else "strict")
    except UnicodeEncodeError:  # a lone surrogate the notebook spelled `\ud800`: kept escaped
        return json.dumps(raw, separators=(",", ":")).encode("ascii")


if __name__ == "__main__":
    out = rewrite(sys.stdin.buffer.read())
    if out is None:
        sys.exit(_NOT_A_NOTEBOOK)
    sys.stdout.buffer.write(out)
