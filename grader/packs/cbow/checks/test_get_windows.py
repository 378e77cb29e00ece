"""Checks of get_windows(words, C): a generator of (context_words, center_word), one per center
word that has C words on each side, in order."""
import pytest
from hypothesis import given

from grader.checks_api import call_text, fail_call
from grader.packs.cbow import inputs
from grader.packs.cbow.common import expect_generator, yielded
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("get_windows")


def _windows(student, words, C):
    call = call_text("get_windows", list(words), C)
    value = student(list(words), C)
    items, _ = yielded(value, call, "get_windows")
    got = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (list, tuple))):
            fail_call(f"get_windows yielded {item!r}; expected pairs (context_words, center_word) "
                      "with context_words a list of words.", call, returned=items)
        context, center = list(item[0]), item[1]
        if not isinstance(center, str) or not all(isinstance(w, str) for w in context):
            # The words of the corpus are strings: an array there made the comparison itself
            # raise, and the grader took the blame (probe s55).
            odd = center if not isinstance(center, str) else next(
                w for w in context if not isinstance(w, str))
            fail_call(f"get_windows yielded {item!r}; its words must be the corpus's words "
                      f"(strings), not {type(odd).__name__} values.", call, returned=items)
        got.append((context, center))
    return got, call, value


def _judge(got, expected, call, words, C):
    if got == expected:
        return
    hint, detail = None, ""
    if got and all(len(ctx) == 2 * C + 1 for ctx, _ in got):
        hint = HINTS["window_includes_center"]
    elif abs(len(got) - len(expected)) == 1 or (got and expected and got[0][1] != expected[0][1]):
        hint = HINTS["windows_off_by_one"]
        detail = (f"{len(got)} windows, expected len(words) - 2C = {len(words)} - {2 * C} = "
                  f"{len(expected)}, centers {[c for _, c in expected]}")
    fail_call("wrong windows: the (context_words, center_word) pairs differ from the expected ones.",
              call, returned=repr(got), expected=repr(expected), detail=detail, hint=hint)


@pytest.mark.points(3)
@pytest.mark.published  # the notebook's corpus and its printed windows
def test_notebook_windows(student):
    got, call, _ = _windows(student, inputs.WORDS, inputs.C)
    _judge(got, inputs.WINDOWS, call, inputs.WORDS, inputs.C)


@pytest.mark.points(2)
@pytest.mark.published
@pytest.mark.robustness  # the form, not the values: a list of the right items keeps
# the points of every other check
def test_is_a_generator(student):
    """The notebook writes get_windows with `yield`: a list of the same pairs loses these points."""
    call = call_text("get_windows", inputs.WORDS, inputs.C)
    expect_generator(student(list(inputs.WORDS), inputs.C), call, "get_windows")


@pytest.mark.points(3)
@given(corpus=inputs.corpora())
def test_windows_of_any_corpus(student, corpus):
    """len(words) - 2C windows, centers words[C:-C] in order, C words each side (compared with the
    rule written out in grader/packs/cbow/inputs.py)."""
    words, C = corpus
    got, call, _ = _windows(student, words, C)
    _judge(got, inputs.windows(words, C), call, words, C)
