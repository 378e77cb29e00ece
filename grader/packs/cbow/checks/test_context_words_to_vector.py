"""Checks of context_words_to_vector(context_words, word2Ind, V): the mean of the context words'
one-hot vectors, shape (V,)."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call
from grader.packs.cbow import inputs
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("context_words_to_vector")


def _vector(student, context, table, V):
    call = call_text("context_words_to_vector", list(context), table, V)
    return as_array(student(list(context), dict(table), V), call, (V,)), call


def _hint(got, expected, n):
    if n > 1 and np.allclose(got, expected * n):
        return HINTS["context_summed_not_averaged"], {"sum": float(got.sum()), "context_words": n}
    return None, None


@pytest.mark.points(3)
@pytest.mark.published  # the notebook's two context vectors
def test_notebook_vectors(student):
    for (context, _), expected in zip(inputs.WINDOWS[:2], inputs.CONTEXT_VECTORS[:2]):
        got, call = _vector(student, context, inputs.WORD2IND, inputs.V)
        hint, evidence = _hint(got, expected, len(context))
        expect_close(got, expected, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL, hint=hint, evidence=evidence)


@pytest.mark.points(3)
@given(corpus=inputs.corpora())
def test_matches_reference(student, reference, corpus):
    words, C = corpus
    table = inputs.word2ind(words)
    V = len(table)
    for context, _ in inputs.windows(words, C)[:3]:
        got, call = _vector(student, context, table, V)
        expected = np.asarray(reference.context_words_to_vector(list(context), dict(table), V))
        hint, evidence = _hint(got, expected, len(context))
        expect_close(got, expected, call=call, rtol=tol.REFERENCE_RTOL,
                     atol=tol.reference_atol(expected), hint=hint, evidence=evidence)


@pytest.mark.points(2)
@given(corpus=inputs.corpora())
def test_is_a_distribution_over_the_context(student, corpus):
    """Entries are counts / (2C): non-negative, summing to 1, non-zero exactly at the context
    words' indices."""
    words, C = corpus
    table = inputs.word2ind(words)
    for context, _ in inputs.windows(words, C)[:3]:
        got, call = _vector(student, context, table, len(table))
        where = sorted(table[w] for w in set(context))
        if not np.isclose(got.sum(), 1.0, atol=tol.IDENTITY_ATOL) or np.any(got < 0) \
                or sorted(np.flatnonzero(got).tolist()) != where:
            hint, evidence = _hint(got, got / max(got.sum(), 1e-300), len(context))
            fail_call("the context vector should be non-negative, sum to 1 and be non-zero exactly "
                      f"at the context words' indices {where}.", call, returned=got, hint=hint,
                      evidence=evidence)
