"""Replaying a check: grading the next submission against the inputs the last one passed on.

Grading is derandomized, so every submission meets the same inputs: hypothesis draws the same
examples for every submission that passes a check, and the check sends the same requests. A live
run that passes leaves a Recipe: the examples hypothesis drew and the requests the check sent. The
next submission graded by the same process is asked all of a recipe's requests at once (one fork,
one round trip), and the check's own code runs on those answers, example by example, without
hypothesis's search. The verdict is the one a live run would give:

- every answer is the submission's own, to the very request a live run would send at that point
  (each request is compared byte for byte; the first that differs ends the replay);
- a check that passes on the recipe's examples passes live: hypothesis draws the same examples
  for every run in which each example passes (derandomized). A check that needs hypothesis
  while it runs (assume() rejecting an example, target(), note(), drawing from st.data()) fails
  its replay, or leaves no recipe, and so runs live;
- a hypothesis check that fails is run again live, so its counterexample is the one hypothesis
  shrinks to, and so is a check whose answers came back slowly, or crashed, or diverged.

In a student's copy (no reference) a property check the known answers hold examples for runs on
those, the same on every run: a plain check, whose recipe is its requests and whose failure is
the one a live run gives (the smallest known example that fails).

tests/test_replay.py holds these to account against grading each submission alone.
"""
from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from hypothesis.internal.reflection import function_digest

from grader import examples_run, known_answers
from grader.example_copy import fresh_copy
from grader.checks_api import forget_precision
from grader.proxy import ReplayDiverged, Request

REPLAYING = pytest.StashKey["Recipe"]()
_AHEAD = pytest.StashKey[tuple]()  # the session's checks that have recipes, by position


@dataclass(frozen=True)
class Recipe:
    requests: tuple[Request, ...]
    examples: tuple[dict, ...] | None  # hypothesis checks: the drawn arguments, in order


@dataclass
class RecipeBook:
    """The recipes of one pack's checks, by check id; kept by a grader process that grades many
    submissions (grader/server.py). Only ever holds what passing live runs sent."""

    recipes: dict[str, Recipe] = field(default_factory=dict)
    replayed: int = 0  # checks whose verdict came from a replay
    live: int = 0      # checks run live (no recipe yet, or the replay could not decide)
    kept: set = field(default_factory=set)  # checks whose recipes are on disk (recipe_cache)
    path: Any = None   # where the book is kept on disk (grader/recipe_cache.py), if anywhere

    def get(self, check_id: str) -> Recipe | None:
        return self.recipes.get(check_id)


def replayable(item: pytest.Function) -> bool:
    """False for a check marked @pytest.mark.live. A recipe hands its calls to the next
    submission, so a check whose calls carry what a submission answered (its output passed back
    in) must be marked: that answer must not reach another student's code."""
    return item.get_closest_marker("live") is None


def begin(state: Any, item: pytest.Function, function: str,
          function_of: Callable[[pytest.Item], str | None] = lambda item: None) -> None:
    """Start the check on the submission: from its recipe when there is one that the submission
    answered cleanly, live otherwise. `function_of` names the function a check grades (the
    plugin's marker), so the checks after this one can be sent ahead."""
    book: RecipeBook | None = state.recipes
    recipe = book.get(item.nodeid) if book is not None and replayable(item) else None
    if recipe is not None:
        state.submission.send_ahead(_runs_from(book, item, function_of))
    if recipe is not None and state.submission.begin_replay(item.nodeid, function,
                                                            recipe.requests):
        item.stash[REPLAYING] = recipe
        return
    state.submission.begin_check(item.nodeid, function)


def _runs_from(book: RecipeBook, item: pytest.Function,
               function_of: Callable[[pytest.Item], str | None]) -> list[tuple[str, str, Any]]:
    """The recipes of this check and of the checks after it, in the session's order: what the
    worker can answer ahead while the grader runs the checks before them."""
    ahead = item.session.stash.get(_AHEAD, None)
    if ahead is None:
        # Listed once a session: a recipe joins the book only as its own check ends, so none of
        # the checks still to come gains or loses one meanwhile.
        position = {}
        runs: list[tuple[int, tuple[str, str, Any]]] = []
        for index, later in enumerate(item.session.items):
            position[later.nodeid] = index
            recipe = book.get(later.nodeid) if replayable(later) else None
            function = function_of(later)
            if recipe is not None and function is not None:
                runs.append((index, (later.nodeid, function, recipe.requests)))
        ahead = item.session.stash[_AHEAD] = (position, runs)
    position, runs = ahead
    first = position.get(item.nodeid)
    return [] if first is None else [run for index, run in runs if index >= first]


def run(state: Any, item: pytest.Function, function: str) -> None:
    """Run the check's body: replayed when `begin` could, else (or when the replay cannot decide)
    live; a live run that passes leaves its recipe in the book."""
    kwargs = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    body = _known_examples(state, item, kwargs)
    recipe = item.stash.get(REPLAYING, None)
    book: RecipeBook | None = state.recipes
    if recipe is not None:
        del item.stash[REPLAYING]
        saved = state.snapshot()
        try:
            _replay(item, recipe, kwargs, body, state.submission.start_example)
            book.replayed += 1
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except ReplayDiverged:
            pass
        except BaseException:
            if recipe.examples is None:
                book.replayed += 1
                raise  # a plain check fails live exactly as it failed here
        # Start over, live: a fresh fork, and nothing the replay noted survives.
        state.restore(saved)
        forget_precision()
        state.submission.end_check()
        state.submission.begin_check(item.nodeid, function)
    if book is not None:
        book.live += 1
    recorder = _Recorder(item, set(kwargs), plain=body is not None,
                         on_example=state.submission.start_example)
    with recorder:
        if body is not None:
            body()
        else:
            item.obj(**kwargs)
    if book is not None and recorder.usable and replayable(item):
        book.recipes[item.nodeid] = Recipe(tuple(state.submission.transcript), recorder.examples)


def _known_examples(state: Any, item: pytest.Function, kwargs: dict) -> Callable[[], None] | None:
    """In a student's copy, a property check the known answers hold examples for runs on those
    examples, whatever hypothesis would draw: the check's body then, else None. Being the same
    examples on every run, they make a plain check of it: its recipe is its requests."""
    answers = state.known_answers
    entry = answers.checks.get(item.nodeid) if answers is not None and state.reference is None else None
    if entry is None or entry.examples is None or not hasattr(item.obj, "hypothesis"):
        return None
    return lambda: known_answers.run_examples(item.obj, kwargs, entry.decoded_examples(),
                                              on_example=state.submission.start_example)


def _replay(item: pytest.Function, recipe: Recipe, kwargs: dict,
            body: Callable[[], None] | None, on_example: Callable[[], None]) -> None:
    if body is not None:
        if recipe.examples is not None:
            raise ReplayDiverged("a recipe of hypothesis's examples for a known answers' check")
        body()
        return
    if recipe.examples is None:
        item.obj(**kwargs)
        return
    inner = item.obj.hypothesis.inner_test
    # As hypothesis runs each example: `random` and numpy's generator seeded alike.
    def run(example: dict) -> None:
        on_example()
        inner(**kwargs, **fresh_copy(example))
    examples_run.run_each(recipe.examples, run)


def _wrapped_like_the_recorder(original: Callable) -> Callable:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs)
    return wrapper


def _digest_probe(x: int) -> int:
    """Stands in for a check in `_wrapping_keeps_the_digest`."""
    return x


@functools.lru_cache(maxsize=None)
def _wrapping_keeps_the_digest() -> bool:
    """Whether hypothesis gives a function wrapped as the recorder wraps a check the digest of
    the check itself (its seed when derandomized, so the same examples). Asked once a process of
    a probe: the digest reads only what functools.wraps carries over (the source, found through
    __wrapped__, the signature, the name, the function's own attributes), so the answer is the
    same for every check. Comparing the two digests for each check instead cost a live grade
    about 2% of its CPU time: each reads and parses the check's source."""
    return function_digest(_wrapped_like_the_recorder(_digest_probe)) == function_digest(_digest_probe)


class _Recorder:
    """Notes the arguments hypothesis draws for each example of a property check, by standing in
    for the test hypothesis calls. Its digest (hypothesis's seed when derandomized) equals the
    test's, so the examples drawn are exactly those drawn without it."""

    def __init__(self, item: pytest.Function, fixtures: set[str], plain: bool = False,
                 on_example: Callable[[], None] = lambda: None) -> None:
        self.holder = None if plain else getattr(item.obj, "hypothesis", None)
        self.on_example = on_example
        self.fixtures = fixtures
        self.examples: tuple[dict, ...] | None = None
        self.usable = True
        self._drawn: list[dict] = []
        self._original = None

    def __enter__(self) -> "_Recorder":
        if self.holder is None:
            return self  # a plain check: its requests are its whole recipe
        original = self._original = self.holder.inner_test
        drawn, fixtures = self._drawn, self.fixtures

        @functools.wraps(original)
        def recorder(*args: Any, **kwargs: Any) -> Any:
            self.on_example()
            if args:
                self.usable = False  # only keyword arguments can be replayed by name
            try:
                drawn.append(fresh_copy({k: v for k, v in kwargs.items() if k not in fixtures}))
            except Exception:  # st.data() and the like live only inside hypothesis's run
                self.usable = False
            try:
                return original(*args, **kwargs)
            except BaseException as exc:
                # Hypothesis keeps the exception of every failing example it tried (its cache
                # of runs), and with it each frame's variables: the submission's answers. One
                # that answered every call with 240 MB took the grader to 6.6 GB. The frames
                # have returned; their variables are of no use to the report.
                traceback.clear_frames(exc.__traceback__)
                raise

        if not _wrapping_keeps_the_digest():
            self.usable = False  # it would change the examples drawn: run without it
            return self
        self.holder.inner_test = recorder
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._original is not None:
            self.holder.inner_test = self._original
        if kind is not None:
            self.usable = False  # only a passing run is a recipe
        elif self.holder is not None:
            self.examples = tuple(self._drawn)
