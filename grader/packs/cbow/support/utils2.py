"""The course's helper module for the CBOW notebook: `from utils2 import get_dict`.

Written for this pack from what the notebook says the helper does: map every distinct word of a
list of tokens to an index, in sorted order, and back.
"""


def get_dict(data):
    """(word2Ind, Ind2word) for the tokens in `data`: the distinct words in sorted order, numbered
    from 0. For ['i', 'am', 'happy', 'because', 'i', 'am', 'learning'] that is
    {'am': 0, 'because': 1, 'happy': 2, 'i': 3, 'learning': 4} and its inverse."""
    words = sorted(set(data))
    word2Ind = {word: index for index, word in enumerate(words)}
    Ind2word = {index: word for index, word in enumerate(words)}
    return word2Ind, Ind2word
