"""Checks of word_to_one_hot_vector(word, word2Ind, V): zeros of length V, a 1 at word2Ind[word]."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call
from grader.packs.cbow import inputs
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("word_to_one_hot_vector")


def _one_hot(student, word, table, V):
    call = call_text("word_to_one_hot_vector", word, table, V)
    return as_array(student(word, dict(table), V), call, (V,)), call


def _hint(got):
    return HINTS["one_hot_wrong_index"] if np.count_nonzero(got) == 1 and got.max() == 1 else None


@pytest.mark.points(2)
@pytest.mark.published  # the notebook's 'happy' and 'learning'
def test_notebook_vectors(student):
    for word, index in (("happy", 2), ("learning", 4)):
        got, call = _one_hot(student, word, inputs.WORD2IND, inputs.V)
        expected = np.eye(inputs.V)[index]
        expect_close(got, expected, call=call, rtol=0, atol=0, hint=_hint(got))


@pytest.mark.points(2)
@given(corpus=inputs.corpora())
def test_matches_reference(student, reference, corpus):
    words, _ = corpus
    table = inputs.word2ind(words)
    V = len(table)
    for word in dict.fromkeys(words):
        got, call = _one_hot(student, word, table, V)
        expected = np.asarray(reference.word_to_one_hot_vector(word, dict(table), V), dtype=float)
        expect_close(got, expected, call=call, rtol=0, atol=tol.REFERENCE_ATOL, hint=_hint(got))


@pytest.mark.points(1)
@given(corpus=inputs.corpora())
def test_exactly_one_one(student, corpus):
    words, _ = corpus
    table = inputs.word2ind(words)
    for word in dict.fromkeys(words):
        got, call = _one_hot(student, word, table, len(table))
        if np.count_nonzero(got) != 1 or got.sum() != 1:
            fail_call("a one-hot vector holds exactly one 1 and zeros elsewhere.", call, returned=got)
