"""The course's helper module for the CBOW notebook and its week's assignment: `from utils2 import
get_dict` (the lecture notebook; its later copies `from utils2 import get_dict, get_emoji_regexp`)
or `from utils2 import sigmoid, get_batches, compute_pca, get_dict` (the assignment's first cell).

Written for this pack from what the notebooks say each helper does. None of them is graded; an
import of a name the module lacked stopped the notebook's first cell, numpy's import after it
included, and cost every graded function its points.
"""
import re
from collections import Counter

import numpy as np


def get_dict(data):
    """(word2Ind, Ind2word) for the tokens in `data`: the distinct words in sorted order, numbered
    from 0. For ['i', 'am', 'happy', 'because', 'i', 'am', 'learning'] that is
    {'am': 0, 'because': 1, 'happy': 2, 'i': 3, 'learning': 4} and its inverse."""
    words = sorted(set(data))
    word2Ind = {word: index for index, word in enumerate(words)}
    Ind2word = {index: word for index, word in enumerate(words)}
    return word2Ind, Ind2word


def get_emoji_regexp():
    """A compiled pattern whose search finds an emoji in a token: the lecture's tokenizer keeps a
    token that is a word, a full stop or holds an emoji. The course's version lists the emoji
    package's emoji (which the grader does not install); this one matches the Unicode blocks
    emoji live in, with their joiners and variation selectors."""
    return re.compile("([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+)")


def sigmoid(z):
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-z))


def get_idx(words, word2Ind):
    """The index of each word."""
    return [word2Ind[word] for word in words]


def pack_idx_with_frequency(context_words, word2Ind):
    """(index, count among the context words) for each context word, in order."""
    counts = Counter(context_words)
    return [(word2Ind[word], counts[word]) for word in context_words]


def get_vectors(data, word2Ind, V, C):
    """Endlessly, for each centre word with C words on each side: (the context words' one-hot
    vectors averaged over the 2C positions, the centre word's one-hot vector), each of size V."""
    i = C
    while True:
        y = np.zeros(V)
        y[word2Ind[data[i]]] = 1
        context_words = data[i - C:i] + data[i + 1:i + C + 1]
        x = np.zeros(V)
        for index, count in pack_idx_with_frequency(context_words, word2Ind):
            x[index] = count / len(context_words)
        yield x, y
        i += 1
        if i >= len(data) - C:
            i = C


def get_batches(data, word2Ind, V, C, batch_size):
    """Batches of get_vectors' pairs, as (V, batch_size) arrays: a column is an example."""
    batch_x, batch_y = [], []
    for x, y in get_vectors(data, word2Ind, V, C):
        batch_x.append(x)
        batch_y.append(y)
        if len(batch_x) == batch_size:
            yield np.array(batch_x).T, np.array(batch_y).T
            batch_x, batch_y = [], []


def compute_pca(data, n_components=2):
    """`data` (rows are examples) projected on its first `n_components` principal components."""
    centred = data - data.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(values)[::-1][:n_components]
    return centred @ vectors[:, order]
