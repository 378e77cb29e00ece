"""Checks of get_training_example(words, C, word2Ind, V): a generator of (context_words_vector,
center_word_vector) pairs, one per window of get_windows, each of shape (V,)."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, fail_call
from grader.packs.cbow import inputs
from grader.packs.cbow.common import expect_generator, yielded
from grader.proxy import StudentError

pytestmark = pytest.mark.function("get_training_example")


def _pairs(student, words, C, table, V):
    call = call_text("get_training_example", list(words), C, table, V)
    items, _ = yielded(student(list(words), C, dict(table), V), call, "get_training_example")
    pairs = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            fail_call(f"get_training_example yielded {item!r}; expected pairs (context_words_vector, "
                      "center_word_vector).", call)
        pairs.append(tuple(as_array(v, call, (V,), f"an item's {n}") for v, n in
                           zip(item, ("context_words_vector", "center_word_vector"))))
    return pairs, call


def _judge(got, expected, call, rtol, atol):
    if len(got) != len(expected):
        fail_call(f"{len(got)} training examples; expected {len(expected)}, one per window.", call)
    for i, ((ctx, center), (ectx, ecenter)) in enumerate(zip(got, expected)):
        if not (np.allclose(ctx, ectx, rtol=rtol, atol=atol)
                and np.allclose(center, ecenter, rtol=rtol, atol=atol)):
            fail_call(f"wrong training example {i}.", call, returned=(ctx, center),
                      expected=(ectx, ecenter))


@pytest.mark.points(3)
@pytest.mark.published  # the notebook's three training examples
def test_notebook_examples(student):
    got, call = _pairs(student, inputs.WORDS, inputs.C, inputs.WORD2IND, inputs.V)
    _judge(got, list(zip(inputs.CONTEXT_VECTORS, inputs.CENTER_VECTORS)), call,
           tol.KNOWN_VALUES_RTOL, tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(2)
@pytest.mark.published
@pytest.mark.robustness  # the form, not the values: a list of the right items keeps
# the points of every other check
def test_is_a_generator(student):
    call = call_text("get_training_example", inputs.WORDS, inputs.C, inputs.WORD2IND, inputs.V)
    expect_generator(student(list(inputs.WORDS), inputs.C, dict(inputs.WORD2IND), inputs.V), call,
                     "get_training_example")


@pytest.mark.points(1)
@pytest.mark.published
@pytest.mark.robustness
def test_is_lazy(student):
    """The notebook takes one example with next(): a generator makes nothing before it is asked.
    Here a word missing from word2Ind sits in the fourth window only: the first three examples
    come out before the KeyError, which a function that builds every example first never yields."""
    words = inputs.WORDS + ["unseen"]
    call = call_text("get_training_example", words, inputs.C, inputs.WORD2IND, inputs.V)
    try:
        value = student(words, inputs.C, dict(inputs.WORD2IND), inputs.V)
    except StudentError as exc:
        fail_call(f"get_training_example raised {exc.type_name} before yielding anything: it "
                  "makes every example before the first is asked for. Yield each example as it "
                  "is made.", call)
    expect_generator(value, call, "get_training_example")
    if len(value.items) == 0 and "unseen" in value.error:
        fail_call("get_training_example's generator yielded no example before meeting the word "
                  "missing from word2Ind in the fourth window; expected 3: it makes every "
                  "example before yielding the first (a list filled in a loop, then `yield from` "
                  "it, say). Yield each example inside the loop, as soon as it is made.", call,
                  detail=f"the generator raised {value.error}")
    if value.error and "unseen" not in value.error:
        # Not the missing word's KeyError: what stopped it (a module it cannot import, say) is
        # the lesson, and the other checks of the function meet it too (probe s60: "before
        # meeting the word" said of a generator that met no word at all).
        fail_call(f"get_training_example's generator raised {value.error} after "
                  f"{len(value.items)} examples, before it reached the fourth window (the one with "
                  "a word missing from word2Ind); expected 3 examples, then that word's KeyError.",
                  call)
    if len(value.items) != 3:
        met = ("before meeting" if value.error
               else "and no KeyError for")
        fail_call(f"get_training_example yielded {len(value.items)} examples {met} the word "
                  "missing from word2Ind in the fourth window; expected 3, then that word's "
                  "KeyError (word2Ind[word]).", call)


@pytest.mark.points(2)
@given(corpus=inputs.corpora())
def test_matches_reference(student, reference, corpus):
    words, C = corpus
    table = inputs.word2ind(words)
    V = len(table)
    got, call = _pairs(student, words, C, table, V)
    expected = [(np.asarray(reference.context_words_to_vector(list(ctx), dict(table), V)),
                 np.asarray(reference.word_to_one_hot_vector(center, dict(table), V)))
                for ctx, center in inputs.windows(words, C)]
    _judge(got, expected, call, tol.REFERENCE_RTOL,
           tol.reference_atol(*(v for pair in expected for v in pair)))
