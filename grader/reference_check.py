"""Whether the reference passes its own pack's checks: asked once before a command grades a class
or ships the pack to be graded elsewhere (batch, gradescope-zip, student-release).

A reference that fails a check of its pack grades every student against wrong answers (an edited
solution that no longer gives the handout's numbers: a batch graded a correct class below a buggy
upload), and a check with a bug of its own fails on the reference too (it took a point from every
student, "not your fault"). Nothing in the class's reports said so; `audit` and `known-answers`
did, when someone ran them. The reference is graded on the public inputs, as `known-answers`
grades it; the verdict is kept in the cache folder beside the recipes, under a digest of all it
depends on (grader/recipe_cache.py), so a class graded again does not pay for it twice.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from grader import cache_folder, recipe_cache
from grader.input_set import PUBLIC, InputSet
from grader.isolation import could_write_users_files
from grader.packs import Pack


def failures(pack: Pack, reference_dir: Path, isolation: str = "auto", *,
             inputs: InputSet = PUBLIC, only: Sequence[str] | None = None) -> list[str]:
    """The checks the reference at `reference_dir` does not pass, each as `function: check
    (status: first line of its message)`, or why it could not be graded at all; empty when it
    passes every check that carries points. `inputs`: those the class is graded on (a course
    secret's too: a reference wrong only on a network the secret draws graded a correct class
    72; such a verdict is never kept on disk). `only`: the functions graded (--only), the
    others' failures being no one's concern here."""
    from grader import grading
    from grader.session import Options

    pack = _in_its_default_mode(pack)
    options = Options(reference_dir=Path(reference_dir), input_set=inputs, isolation=isolation)
    kept = _verdict_path(pack, options, Path(reference_dir))
    if kept is not None and only is not None:
        kept = kept.with_name(kept.stem + "-only-" + "-".join(sorted(only)) + kept.suffix)
    if kept is not None:
        try:
            said = json.loads(cache_folder.read_text(kept) or "null")
            if isinstance(said, list) and all(isinstance(line, str) for line in said):
                return said
        except ValueError:
            pass
    result = grading.grade_to_files(submission=Path(reference_dir), pack=pack, options=options)
    failing = [f"{c.function}: {c.name} ({c.status}: "
               f"{c.message.splitlines()[0] if c.message else 'no message'})"
               for c in result.checks if c.status != "passed" and c.max_score > 0]
    if result.error:
        failing.insert(0, result.error)
    if only is not None:
        failing = [line for line in failing if line.split(":", 1)[0] in only
                   or line == result.error]
    if kept is not None and not could_write_users_files(result.isolation):
        cache_folder.write_text(kept, json.dumps(failing))  # (only a speed-up if it cannot)
    return failing


def refusal(pack: Pack, reference_dir: Path, failing: list[str], way_out: str = "") -> str:
    """Why a command refuses to go on with this reference (one paragraph, no command name)."""
    shown = failing[:5] + ([f"... and {len(failing) - 5} more"] if len(failing) > 5 else [])
    return (f"the reference at {reference_dir} does not pass the checks of its own pack "
            f"({pack.name}), so every student would be graded against it:\n  "
            + "\n  ".join(shown)
            + "\nEither the reference gives wrong answers (did it change?) or a check has a bug of "
              "its own (a check that errors fails here too). `autograde audit` and `autograde "
              "grade REFERENCE_DIR --debug` with the same pack say more" + way_out + ".")


def _in_its_default_mode(pack: Pack) -> Pack:
    """The pack in the mode its manifest grades in by default: the mode its reference is written
    for. In another (a course config's, --mode's) the reference may fail by design: the CBOW
    pack's exact mode grades the derivative where the course's reference uses its handout's
    formula."""
    if not pack.modes:
        return pack
    from grader.packs import load_pack
    try:
        default = load_pack(str(pack.root) if pack.root is not None else pack.name).mode
    except Exception:  # noqa: BLE001 (the pack loaded once already; keep it as it is)
        return pack
    return pack.with_mode(default) if default in pack.modes else pack


def _verdict_path(pack: Pack, options: object, reference_dir: Path) -> Path | None:
    book = recipe_cache.book_path(pack, options, reference_dir)
    if book is None:
        return None
    return book.with_name(book.name.replace("recipes-", "reference-verdict-", 1))
