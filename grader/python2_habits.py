"""What Python 3 wants where a student's exception comes from a Python 2 habit.

CS224n's 2017 starter code was Python 2, and code written against it compiles under Python 3
(grader/worker/python2_source.py rewrites what does not) but still meets Python 3's semantics at
run time: map, filter and zip return iterators, a dict's keys() is a view, range() is no list,
/ gives a float, and some names are gone. The error Python raises then names a type the student
never wrote ('map' object is not subscriptable). `advice` recognises those errors from their
type and message (the same on Pythons 3.10 to 3.13) and says what to write instead; the grader
adds it to the failure's message and changes nothing else.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from grader.worker import python2_names

_ITERATOR = "In Python 3, {0}() returns an iterator, not a list as in Python 2: write list({0}(...))."
# np.array(map(f, x)) is an array of one object, the iterator (Python 2's map gave a list): the
# first error it meets is a reshape or a ufunc, which never names map. Size 1 has other causes.
_ITERATOR_IN_ARRAY = ("in Python 3 {0}() returns an iterator, and np.array of it holds that one "
                      "object, not the values, as Python 2's list did: write "
                      "np.array(list({0}(...))), or apply the function to the whole array.")
_ARRAY_OF_ITERATOR = ("If this array came from np.array(map(...)) (or filter, zip): "
                      + _ITERATOR_IN_ARRAY.format("map"))
_INDEX_OF_ITERATOR = ("If it came from np.array(map(...)) (or filter, zip): in Python 3 that array "
                      "holds the iterator itself, not its values as Python 2's list did: write "
                      "np.array(list(map(...))).")
_VIEW = ("In Python 3, d.{0}() is a view of the dict, not a list as in Python 2: write "
         "list(d.{0}()).")
_RANGE = "In Python 3, range() is not a list as in Python 2: write list(range(...))."
_DIVISION = ("If a number here came from /: in Python 3, / always gives a float (Python 2's / "
             "floored two integers); use // for a whole number.")
# numpy says this of any index it cannot use (a string too), most often floats: say both causes.
_FLOAT_INDEX = ("If an index here holds floats: np.zeros(n) and np.empty(n) make floats (pass "
                "dtype=int for indices), and in Python 3 / always gives a float (Python 2's / "
                "floored two integers); use // for a whole number.")

# NumPy 2.4 words the conversion of any array that is not 0-dimensional alike, whatever it holds
# (math.exp of a 2 x 2 array was told to take "its one number" out with .item()); earlier
# versions warned of one element and refused more. One text for all, so that the same code is
# told the same thing on every NumPy.
_A_NUMBER_NEEDED = ("float(), int() and the math module's functions (math.exp, math.log, "
                    "math.sqrt) take a single number, not an array: on arrays use NumPy's own "
                    "(np.exp, np.log, np.sqrt), which work element by element. If the array "
                    "really holds one number (a row or column of one, shape (1,) or (1, 1), as "
                    "y[k] of a column vector is), take it out with .item() or an index (y[k, 0]); "
                    "NumPy 2.4 and later refuse the conversion that earlier versions made with a "
                    "warning.")
_DICT_METHODS = {"iteritems": "items", "itervalues": "values", "iterkeys": "keys",
                 "viewitems": "items", "viewvalues": "values", "viewkeys": "keys"}
# The dicts of the standard library, as AttributeError names them: counting negatives with a
# Counter, or accumulating rows in a defaultdict, met .iteritems() with no advice.
_DICTS = r"dict|(?:collections\.)?(?:Counter|defaultdict|OrderedDict)"


def _short(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


_MODULE_NAMES = {
    **{key: now for key, (now, _) in python2_names.ATTRIBUTES.items()},
    ("sys", "maxint"): "sys.maxsize",
    ("itertools", "izip"): "zip", ("itertools", "imap"): "map", ("itertools", "ifilter"): "filter",
    ("itertools", "izip_longest"): "itertools.zip_longest",
    ("itertools", "ifilterfalse"): "itertools.filterfalse",
    ("string", "letters"): "string.ascii_letters", ("string", "lowercase"): "string.ascii_lowercase",
    ("string", "uppercase"): "string.ascii_uppercase", ("string", "maketrans"): "str.maketrans",
    ("string", "join"): "sep.join(words)", ("string", "split"): "text.split()",
    ("string", "atoi"): "int(text)", ("string", "atof"): "float(text)",
    ("os", "getcwdu"): "os.getcwd",
}
_BUILTINS = {"xrange": "range", "unicode": "str", "basestring": "str", "long": "int",
             "unichr": "chr", "raw_input": "input", "reduce": "functools.reduce", "file": "open",
             "execfile": "exec(open(path).read())", "intern": "sys.intern",
             "apply": "f(*args)", "cmp": "(a > b) - (a < b)", "buffer": "memoryview"}

def _row_wise(rows: str, columns: str, length: str) -> str:
    if rows != length or rows == columns:
        return ""
    return (f"An array of shape ({length},), such as a sum or max over axis=1 without "
            f"keepdims=True, lines up with the last axis of a ({rows}, {columns}) array, not its "
            "rows: keep the axis (np.sum(e, axis=1, keepdims=True)) to divide or subtract row by "
            "row.")


def _gone_from_module(module: str, name: str) -> str:
    if (module, name) not in _MODULE_NAMES:
        return ""
    since = python2_names.dropped_in(f"{module}.{name}") or "3.0"
    gone = "is Python 2" if since == "3.0" else f"was removed in Python {since}"
    return f"{module}.{name} {gone}: in Python 3 write {_MODULE_NAMES[module, name]}."


# (exception type, pattern its message starts with, the advice from the match). The patterns
# are compiled on first use (re keeps them): most grades never meet one.
Rule = tuple[str, str, Callable[["re.Match[str]"], str]]
_NOT_AN_ARRAY = (r"'(float|int)' object has no attribute '(astype|shape|reshape|dtype|ndim|"
                 r"size|copy|T|ravel|flatten)'")
# Names before a dot that are modules, not the value that was a number (np.shape(s) beside s.T).
_MODULES = {"np", "numpy", "math", "scipy", "self"}


def _convert_first(number: str, attribute: str, code: str) -> str:
    """A number where an array was meant: convert it first, named as the raising line names it
    (sigmoid_grad's `s.shape` was told to convert `x`, a name it does not have; probe s60), or
    "the argument" where the line does not say which value it was."""
    names = {n for n in re.findall(rf"\b([A-Za-z_]\w*)\s*\.\s*{attribute}\b", code)
             if n not in _MODULES}
    value = names.pop() if len(names) == 1 else ""
    convert = (f"convert {value} first with np.asarray({value}, dtype=float)" if value else
               "convert the argument first with np.asarray(..., dtype=float)")
    return (f"A Python {number} is not a NumPy array, so it has no .{attribute}: {convert}, "
            "which takes a number and an array alike.")


_RULES: tuple[Rule, ...] = (
    ("TypeError", r"object of type '(map|filter|zip)' has no len\(\)",
     lambda m: _ITERATOR.format(m[1])),
    ("TypeError", r"'(map|filter|zip)' object is not subscriptable",
     lambda m: _ITERATOR.format(m[1])),
    ("AttributeError", r"'(map|filter|zip)' object has no attribute '\w+'",
     lambda m: _ITERATOR.format(m[1])),
    ("TypeError", r"unsupported operand type\(s\) for [^:]+: '(?:(map|filter|zip)' and '\w+|"
                  r"\w+' and '(map|filter|zip))'", lambda m: _ITERATOR.format(m[1] or m[2])),
    ("TypeError", r"loop of ufunc does not support argument \d+ of type (map|filter|zip) ",
     lambda m: _ITERATOR.format(m[1])),
    ("TypeError", r"float\(\) argument must be a string or a (?:real )?number, not "
                  r"'(map|filter|zip)'", lambda m: _ITERATOR.format(m[1])),
    ("ValueError", r"cannot reshape array of size 1 into shape", lambda m: _ARRAY_OF_ITERATOR),
    ("TypeError", r"'dict_(keys|values|items)' object is not subscriptable",
     lambda m: _VIEW.format(m[1])),
    ("AttributeError", r"'dict_(keys|values|items)' object has no attribute '\w+'",
     lambda m: _VIEW.format(m[1])),
    ("AttributeError", r"'(%s)' object has no attribute '(%s)'" % (_DICTS, "|".join(_DICT_METHODS)),
     lambda m: f"{_short(m[1])}.{m[2]}() is Python 2: in Python 3 write "
               f"d.{_DICT_METHODS[m[2]]}()."),
    ("AttributeError", r"'(%s)' object has no attribute 'has_key'" % _DICTS,
     lambda m: f"{_short(m[1])}.has_key(k) is Python 2: in Python 3 write k in d."),
    ("TypeError", r"unsupported operand type\(s\) for \+=?: '(range' and 'list|list' and "
                  r"'range)'", lambda m: _RANGE),
    ("TypeError", r"'range' object does not support item assignment", lambda m: _RANGE),
    ("AttributeError", r"'range' object has no attribute '\w+'", lambda m: _RANGE),
    ("TypeError", r"'float' object cannot be interpreted as an integer",
     lambda m: _DIVISION),
    ("TypeError", r"slice indices must be integers or None", lambda m: _DIVISION),
    ("TypeError", r"(list|tuple|string|str) indices must be integers.*, not float",
     lambda m: _DIVISION),
    ("TypeError", r"expected a sequence of integers or a single integer, got "
                  r"'-?[0-9]*\.[0-9]*'", lambda m: _DIVISION),
    ("IndexError", r"only integers, slices \(`:`\), ellipsis \(`\.\.\.`\), "
                   r"numpy\.newaxis \(`None`\) and integer or boolean arrays are valid "
                   r"indices", lambda m: _FLOAT_INDEX),
    # An index array of objects is most often np.array(map(int, ...)): the iterator itself.
    ("IndexError", r"arrays used as indices must be of integer \(or boolean\) type",
     lambda m: _FLOAT_INDEX + " " + _INDEX_OF_ITERATOR),
    ("AttributeError", r"'str' object has no attribute 'decode'",
     lambda m: "In Python 3, a str is already text (Python 2's unicode): drop .decode(...)."),
    ("AttributeError", r"module '(\w+)' has no attribute '(\w+)'",
     lambda m: _gone_from_module(m[1], m[2])),
    # Not Python 2's: NumPy 2.4 refuses what earlier versions converted with a warning (the
    # worker makes that warning an error, grader/worker/numpy_aliases.py).
    ("TypeError", r"only 0-dimensional arrays can be converted to Python scalars",
     lambda m: _A_NUMBER_NEEDED),
    ("TypeError", r"only (length|size)-1 arrays can be converted to Python scalars",
     lambda m: _A_NUMBER_NEEDED),
    ("DeprecationWarning", r"Conversion of an array with ndim > 0 to a scalar",
     lambda m: _A_NUMBER_NEEDED),
    # Not Python 2's: array methods on an argument the handout allows to be a plain number
    # (sigmoid(x): "a scalar or numpy array"). Named as the raising line names it: advice().
    ("AttributeError", _NOT_AN_ARRAY, lambda m: _convert_first(m[1], m[2], "")),
    # Not Python 2's: a row-wise sum or max without keepdims=True, shape (M,), meeting the (M, N)
    # array it was taken from (e / np.sum(e, axis=1)).
    ("ValueError", r"operands could not be broadcast together with shapes \((\d+),(\d+)\) "
                   r"\((\d+),\)", lambda m: _row_wise(*m.groups())),
    # Not Python 2's alone: a script that asks the user something (raw_input() is rewritten to
    # input()) meets a grader that answers nothing.
    ("EOFError", r"EOF when reading a line",
     lambda m: ("input() gets no answer while your code is graded: leave out of what you hand "
                "in any code that asks for input.")),
    ("NameError", r"name '(\w+)' is not defined",
     lambda m: (f"{m[1]} is Python 2: in Python 3 write {_BUILTINS[m[1]]}."
                if m[1] in _BUILTINS else "")),
)


# Not Python 2's either: a download (the data a notebook fetches, nltk.download) meets the
# sandbox, which has no network. The resolver's or the kernel's own words, whichever library
# wrapped them (urllib's URLError, socket.gaierror, requests' ConnectionError).
_NO_NETWORK = re.compile(r"Temporary failure in name resolution|Name or service not known|"
                         r"Network is unreachable|No address associated with hostname|"
                         r"nodename nor servname provided")
_NO_NETWORK_ADVICE = ("The machine could not be reached: a grader's sandbox has no network, so a "
                      "download fails where your code is graded. Leave downloads out of what you "
                      "hand in, and upload any data file your code reads beside it.")


# Python 2 syntax the worker does not rewrite (worker/python2_source.py), said when Python 3
# refuses it: a tuple parameter, whose unpacking moves into the body (a rewrite would add a line
# and move every line number under it), and a `ur"..."` string holding a \u escape. Python 3.11
# and later name a tuple parameter; 3.10 says "invalid syntax", and the raising line tells.
_TUPLE_PARAMETER = re.compile(r"(?:Function|Lambda expression) parameters cannot be "
                              r"parenthesized")
_TUPLE_PARAMETER_CODE = re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\((?:[^()]*,)?\s*\(|"
                                   r"\blambda\s*(?:[^():]*,)?\s*\(")
_UR_STRING_CODE = re.compile(r"(?<![\w'\"])[uU][rR]['\"]")
_TUPLE_PARAMETER_ADVICE = ("A parameter that is a tuple, def f((a, b)) or lambda (a, b): ..., is "
                           "Python 2 only: in Python 3 take one parameter, def f(pair), and "
                           "unpack it in the body, a, b = pair.")
_UR_STRING_ADVICE = ('ur"..." strings are Python 2 only: Python 3\'s strings are all unicode, so '
                     'write r"..." where it holds no \\u escape, and where it does, "..." with '
                     'every other backslash doubled.')


def _python2_syntax(message: str, code: str) -> str:
    if _TUPLE_PARAMETER.match(message) or (message.startswith("invalid syntax")
                                           and _TUPLE_PARAMETER_CODE.search(code)):
        return _TUPLE_PARAMETER_ADVICE
    if message.startswith("invalid syntax") and _UR_STRING_CODE.search(code):
        return _UR_STRING_ADVICE
    return ""


def advice(type_name: str, message: str, code: str = "") -> str:
    """What to write instead, when an exception of `type_name` with `message` is a Python 2
    habit meeting Python 3, or a download meeting a grader without network; "" otherwise.
    `code`, the line that raised, names the value the advice is about where it can."""
    if type_name == "SyntaxError":
        return _python2_syntax(message, code)
    found = re.match(_NOT_AN_ARRAY, message) if type_name == "AttributeError" else None
    if found:
        return _convert_first(found[1], found[2], code)
    for kind, pattern, say in _RULES:
        if kind == type_name:
            found = re.match(pattern, message)
            if found:
                return say(found)
    if _NO_NETWORK.search(message):
        return _NO_NETWORK_ADVICE
    return ""


def with_advice(text: str, type_name: str, message: str, code: str = "") -> str:
    """`text` (a message about that exception) with the advice after it, when there is one."""
    return followed_by(text, advice(type_name, message, code))


def followed_by(text: str, sentence: str) -> str:
    """`text`, then `sentence` (if any) as a sentence of its own: how a message takes advice."""
    if not sentence:
        return text
    return f"{text} {sentence}" if text.rstrip().endswith((".", "!", "?")) else f"{text}. {sentence}"


# What came back, by its repr (the worker's Opaque text, addresses left out): an object array
# whose first item is an iterator or a dict view, as np.array(map(f, x)) makes in Python 3. Such
# an array is returned, not raised, so no error names map (probe s62-recheck, row 7).
# (np.array of a range holds its numbers, so a range is never held in one.)
_HELD_IN_ARRAY = re.compile(r"array\(\[*(?:<(map|filter|zip) object[ >]"
                            r"|dict_(keys|values|items)\()")
_VIEWS = {f"dict_{kind}": kind for kind in ("keys", "values", "items")}


def returned(type_name: str, text: str) -> str:
    """What to write instead, when a call returned what Python 2 made a list and Python 3 does
    not: a map, filter or zip iterator, a dict view or a range, or a NumPy array of dtype object
    holding one (`np.array(map(f, x))`); "" otherwise. `type_name` and `text` are the returned
    value's class and repr, as the worker describes a value that is not plain data."""
    if type_name == "numpy array of dtype object":
        found = _HELD_IN_ARRAY.match(text)
        if not found:
            return ""
        iterator, view = found.groups()
        if iterator:
            return f"The array holds a {iterator} object: " + _ITERATOR_IN_ARRAY.format(iterator)
        return (f"The array holds a dict view: in Python 3, d.{view}() is a view of the dict, "
                f"not a list as in Python 2: write np.array(list(d.{view}())).")
    if type_name in ("map", "filter", "zip"):
        return _ITERATOR.format(type_name)
    if type_name in _VIEWS:
        return _VIEW.format(_VIEWS[type_name])
    if type_name == "range":
        return _RANGE
    return ""
