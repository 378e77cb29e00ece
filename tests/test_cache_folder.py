"""The cache folder's files (recipe books, the reference's verdicts, the check files' markers) are
a speed-up only: whatever is put there in their place costs a grade its speed, never its verdict
and never its end (grader/cache_folder.py, probe s53)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, grade, scores
from fixtures.mistakes import MISTAKES, materialize
from grader import cache_folder, recipe_cache
from grader.isolation import could_write_users_files
from grader.packs import load_pack, marker_cache
from grader.replay import Recipe, RecipeBook

ROOT = Path(__file__).resolve().parents[1]


def test_a_named_pipe_or_another_users_file_is_no_cache_file(tmp_path):
    pipe = tmp_path / "markers.json"
    os.mkfifo(pipe)
    started = time.monotonic()
    assert cache_folder.read_text(pipe) is None  # opened without blocking, refused as no file
    assert time.monotonic() - started < 5
    big = tmp_path / "recipes-big.json"
    big.write_text("x" * 100)
    assert cache_folder.read_text(big, limit=99) is None and cache_folder.read_text(big) == "x" * 100
    link = tmp_path / "recipes-link.json"
    link.symlink_to(big)
    assert cache_folder.read_text(link) is None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        foreign = tmp_path / "reference-verdict-x.json"
        foreign.write_text("[]")
        os.chown(foreign, 61999, 61999)  # a leased worker's uid, in a folder it could write
        assert cache_folder.read_text(foreign) is None


def test_discard_takes_every_kind_of_file_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", str(tmp_path))
    for name in ("recipes-a.json", "reference-verdict-a.json", "markers.json"):
        (tmp_path / name).write_text("{}")
    os.mkfifo(tmp_path / "recipes-b.json")
    (tmp_path / "recipes-c.json").mkdir()
    (tmp_path / "mine.txt").write_text("not the grader's")
    cache_folder.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_a_grade_keeps_what_it_learnt_with_the_files_content_not_what_it_loaded(tmp_path,
                                                                                monkeypatch):
    """A grade that loaded a book another grade's submission had rewritten, and learnt one recipe
    of its own, wrote the whole rewritten book back after that grade had removed it (probe s53:
    later grades alone scored 86 for 72)."""
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", str(tmp_path))
    path = tmp_path / "recipes-x.json"
    tampered = RecipeBook(recipes={"test_a.py::test_emptied": Recipe((), ())})
    path.write_text(recipe_cache.to_json(tampered))
    book = RecipeBook()
    recipe_cache.load(path, book)
    assert set(book.recipes) == {"test_a.py::test_emptied"}
    path.unlink()  # the other grade ends: it removes what its submission could have written
    book.recipes["test_a.py::test_learnt"] = Recipe((), ({"x": 1},))
    recipe_cache.keep(path, book)
    assert set(recipe_cache.from_json(path.read_text())) == {"test_a.py::test_learnt"}


def test_only_a_worker_of_the_sandbox_or_a_leased_uid_cannot_write_the_users_files():
    assert not could_write_users_files({"mode": "sandbox", "user": "your own uid"})
    assert not could_write_users_files({"mode": "process",
                                        "user": "an unprivileged uid of its own"})
    assert could_write_users_files({"mode": "process", "user": "your own uid"})
    assert could_write_users_files({"mode": "process", "user": "root, as the grader: no "
                                    "unprivileged uid could be used (see unavailable)"})


def test_markers_of_the_wrong_functions_are_read_again_not_a_broken_pack(tmp_path, monkeypatch):
    """A markers file that names a function the manifest does not list, or none, for the right
    digests: the grade exited 2 blaming pack.toml (probe s53). The names kept are a hint."""
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(marker_cache, "_seen", {})
    load_pack("cs224n-a1")
    kept = json.loads((tmp_path / marker_cache.FILE_NAME).read_text())
    assert len(kept["files"]) == 5
    for lists in ([["rm_rf"]], [[]]):
        kept["files"] = {key: lists[0] for key in kept["files"]}
        (tmp_path / marker_cache.FILE_NAME).write_text(json.dumps(kept))
        marker_cache._seen.clear()
        pack = load_pack("cs224n-a1")
        assert len(pack.functions) == 5
    # and the file now holds the names the checks do name
    names = {n for v in json.loads((tmp_path / marker_cache.FILE_NAME).read_text())["files"].values()
             for n in v}
    assert names == {f.name for f in pack.functions}


@pytest.mark.timeout(300)
def test_a_pipe_put_in_place_of_the_cache_files_costs_a_grade_nothing(tmp_path):
    """A named pipe planted as markers.json or as the book hung every later grade and batch before
    any deadline (probe s53: a submission graded under process isolation can plant one)."""
    cache = tmp_path / "cache"
    env = {"AUTOGRADE_CACHE_DIR": str(cache)}
    first = grade(FIXTURES / "correct_summed.py", tmp_path / "a", env=env)
    books = list(cache.glob("recipes-*.json"))
    assert first["score"] == 100 and books
    for planted in [cache / marker_cache.FILE_NAME, *books]:
        planted.unlink()
        os.mkfifo(planted)
    buggy = materialize(next(m for m in MISTAKES if m.name == "fbp_gradient_doubled"), tmp_path)
    again = grade(buggy, tmp_path / "b", env=env)
    alone = grade(buggy, tmp_path / "c", env={"AUTOGRADE_CACHE_DIR": "off"})
    assert scores(again) == scores(alone) and again["score"] < 100


# A submission that, as it is imported, empties the examples of every property check in the books
# of a cache folder it names (one under process isolation finds the folder from the grader's
# /proc/PID/environ): the grades after it, in the sandbox, passed checks they fail (65 -> 93).
_EMPTIES_THE_BOOKS = '''
import glob as _glob, json as _json
for _path in _glob.glob({folder!r} + "/recipes-*.json"):
    try:
        _data = _json.load(open(_path))
        for _recipe in _data.get("recipes", {{}}).values():
            if _recipe.get("examples") is not None:
                _recipe["examples"], _recipe["requests"] = [], []
        _json.dump(_data, open(_path, "w"))
    except Exception:
        pass
'''


@pytest.mark.timeout(600)
def test_a_submission_that_could_write_the_cache_leaves_no_book_for_the_next(tmp_path):
    cache = tmp_path / "cache"
    env = {"AUTOGRADE_CACHE_DIR": str(cache)}
    grade(FIXTURES / "correct_summed.py", tmp_path / "first", env=env)
    assert list(cache.glob("recipes-*.json"))
    attacker = tmp_path / "attacker.py"
    attacker.write_text((FIXTURES / "correct_summed.py").read_text()
                        + _EMPTIES_THE_BOOKS.format(folder=str(cache)))
    ran = grade(attacker, tmp_path / "attack", "--isolation", "process", env=env)
    assert could_write_users_files(ran["isolation"]) or ran["isolation"]["user"].startswith(
        "an unprivileged uid"), ran["isolation"]
    if could_write_users_files(ran["isolation"]):
        assert not list(cache.iterdir()), "everything its submission could have written is gone"
    buggy = materialize(next(m for m in MISTAKES if m.name == "fbp_hidden_clipped_at_10"), tmp_path)
    after = grade(buggy, tmp_path / "after", env=env)
    alone = grade(buggy, tmp_path / "alone", env={"AUTOGRADE_CACHE_DIR": "off"})
    assert scores(after) == scores(alone) and after["score"] < 100
