"""Which inputs the checks draw: the public set, or a set derived from a course secret.

Every copy of the grader draws the same public inputs: a student's local run, and an instructor's
run without a secret. Those can be logged and answered from a table, so the instructor's grader
draws from a course secret instead (`--secret`, `--secret-file`, $AUTOGRADE_SECRET): hypothesis's
seed of every check, the arrays of every case and the sample streams all come from keyed hashes
of the secret. The same secret gives the same inputs and so the same report; the secret itself is
never written anywhere a report reaches.

A pack draws through `current()` (grader/packs/*/inputs.py); the grading session sets it with
`using()` for the time of one grade.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SECRET_ENV = "AUTOGRADE_SECRET"
# Shorter secrets can be guessed from a handful of failing inputs shown in reports.
MIN_SECRET_CHARS = 16


class SecretError(Exception):
    """A secret that cannot be used (an unreadable or empty file, an empty text)."""


@dataclass(frozen=True)
class InputSet:
    """The public inputs (`secret` None) or those derived from a course secret."""

    secret: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return "public" if self.secret is None else "secret"

    @property
    def is_secret(self) -> bool:
        return self.secret is not None

    def seed(self, *labels: object) -> int:
        """A 63-bit number for `labels` (what is drawn, and for which case): a keyed hash of the
        secret, or a plain hash for the public set. Stable across machines and versions."""
        text = "\x1f".join(str(label) for label in labels).encode("utf-8")
        if self.secret is None:
            digest = hashlib.sha256(b"autograde public inputs\x1f" + text).digest()
        else:
            digest = hmac.new(self.secret, text, hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def __repr__(self) -> str:  # never the secret, wherever a repr ends up
        return f"InputSet({self.name})"


PUBLIC = InputSet()
_current = PUBLIC


def current() -> InputSet:
    """The input set of the grade in progress (the public one outside a grade)."""
    return _current


@contextmanager
def using(input_set: InputSet) -> Iterator[InputSet]:
    global _current
    saved, _current = _current, input_set
    try:
        yield input_set
    finally:
        _current = saved


def from_text(text: str) -> InputSet:
    text = text.strip()
    if not text:
        raise SecretError("the course secret is empty")
    return InputSet(text.encode("utf-8"))


def resolve(*, text: str | None = None, file: Path | None = None,
            environ: Mapping[str, str] = os.environ) -> InputSet:
    """The input set the options ask for: --secret TEXT, else --secret-file FILE, else
    $AUTOGRADE_SECRET, else the public set."""
    if text is not None:
        return from_text(text)
    if file is not None:
        try:
            content = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"cannot read the secret file {file}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None
        try:
            return from_text(content)
        except SecretError:
            raise SecretError(f"the secret file {file} is empty") from None
    if SECRET_ENV in environ:
        # Set but empty (`AUTOGRADE_SECRET=$(cat a-missing-file)`): refused as `--secret ''` is,
        # not taken for "no secret", which graded a class on the public inputs unsaid.
        if not environ[SECRET_ENV].strip():
            raise SecretError(f"${SECRET_ENV} is set but empty: give the secret, or unset it to "
                              "grade on the public inputs")
        return from_text(environ[SECRET_ENV])
    return PUBLIC


def fingerprint(input_set: InputSet) -> str:
    """What a batch keeps to notice that the secret changed since a report was written: "public",
    or a slow hash of the secret (so that the stamp in a report a student may see is no quick
    way to test guesses of a short secret)."""
    if input_set.secret is None:
        return "public"
    slow = hashlib.pbkdf2_hmac("sha256", input_set.secret, b"autograde input set", 200_000)
    return "secret:" + slow[:8].hex()


def weak(input_set: InputSet) -> bool:
    """Whether the secret is short enough to be guessed."""
    return input_set.secret is not None and len(input_set.secret) < MIN_SECRET_CHARS


__all__ = ["InputSet", "MIN_SECRET_CHARS", "PUBLIC", "SECRET_ENV", "SecretError", "current",
           "fingerprint", "from_text", "resolve", "using", "weak"]
