"""`autograde new-pack`: the folder of a new assignment pack, ready to fill in.

An installed grader has no tests/ to copy the tiny pack from, and a pack written from the README
alone meets its refusals one at a time (a check without points, a function no check grades). What
this writes loads and runs as it is: the manifest, one module of checks per function (a check on
the handout's own inputs and one against the reference on drawn inputs), the pack's catalogue of
mistakes, and the same stubs as reference/ and student_template/. Until the reference is written
every grade fails with the reference's NotImplementedError, which is what `autograde audit` says
first.
"""
from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\((.*)\))?\s*$")
POINTS_EACH = 10
# Names the written checks use themselves: a parameter called so would be a fixture or a local
# of the check (`reference` a SyntaxError, `np` every check the grader's own failure, recheck
# probe s58).
TAKEN = frozenset({"student", "reference", "args", "np", "pytest", "st", "hnp", "tol", "call",
                   "expected", "got", "given", "example", "HINTS", "ARRAYS", "SHAPES", "ELEMENTS",
                   "same_shape", "as_array", "call_text", "expect_close"})
# Modules a home may not be named after: the student's file would stand in for them (`--home
# numpy` made the audit fail in the grader itself).
SHADOWED = frozenset(sys.stdlib_module_names) | {
    "numpy", "grader", "pytest", "_pytest", "hypothesis", "jinja2", "pluggy", "nbformat",
    "IPython", "scipy", "matplotlib", "pandas", "torch"}


class NewPackError(ValueError):
    """What is wrong with the request, in one line."""


@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.parameters)})"


def parse_function(text: str) -> Function:
    """`relu(x)` or `relu` (one parameter, x) as a Function."""
    found = SIGNATURE.match(text)
    if not found:
        raise NewPackError(f"{text!r} is not a function name or a signature such as relu(x)")
    name, listed = found.group(1), found.group(2)
    parameters = tuple(p.strip() for p in (listed.split(",") if listed is not None else ["x"]))
    parameters = tuple(p for p in parameters if p)
    for word in (name, *parameters):
        if not word.isidentifier() or keyword.iskeyword(word):
            raise NewPackError(f"{word!r} in {text!r} is not a Python name (defaults and * are "
                               "not written here: name the parameters only)")
    if not parameters:
        raise NewPackError(f"{name} takes no parameter: the checks need something to call it with")
    taken = [p for p in parameters if p in TAKEN]
    if taken:
        raise NewPackError(f"{', '.join(taken)} in {text!r}: the written checks use that name "
                           "themselves; call the parameter something else (rename it in the "
                           "checks afterwards if the handout names it so)")
    if len(set(parameters)) != len(parameters):
        raise NewPackError(f"{text!r} names a parameter twice")
    return Function(name, parameters)


def write(folder: Path, functions: list[Function], home: str, name: str | None = None,
          title: str | None = None) -> list[Path]:
    """Write the pack's files into `folder` (made, or empty); return them in the order written."""
    if not functions:
        raise NewPackError("name at least one function (--function relu(x))")
    seen = [f.name for f in functions]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise NewPackError(f"{', '.join(twice)} named twice")
    if not home.isidentifier() or keyword.iskeyword(home):
        raise NewPackError(f"--home {home!r} is not a module name (the file students upload is "
                           f"HOME.py)")
    if home in SHADOWED or home.split(".")[0] in SHADOWED:
        raise NewPackError(f"--home {home}: a module of that name is Python's or the grader's "
                           f"own, and {home}.py would stand in for it; choose another name")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise NewPackError(f"{folder} already exists and is not an empty folder: nothing written")
    pack_name = name or folder.resolve().name
    for what, text in (("the pack's name", pack_name), ("--title", title)):
        if text is not None and any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
            raise NewPackError(f"{what} holds a control character or bytes that are not text: "
                               "the manifest could not be read back")
    module = re.sub(r"\W", "_", pack_name).strip("_").lower() or "pack"
    if module[0].isdigit():
        module = "pack_" + module
    files = {
        "pack.toml": _manifest(pack_name, title or f"{pack_name}: {', '.join(seen)}",
                               functions, home),
        f"{module}_hints.py": _hints(pack_name),
        f"reference/{home}.py": _stubs(functions, "the instructor's solution: write it here"),
        f"student_template/{home}.py": _stubs(functions, "your code here"),
    }
    for function in functions:
        files[f"checks/test_{function.name}.py"] = _checks(function, f"{module}_hints")
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _toml_string(text: str) -> str:
    # JSON's string escapes are TOML's basic string's (a newline in a title stays one line).
    return json.dumps(text, ensure_ascii=False)


def _manifest(name: str, title: str, functions: list[Function], home: str) -> str:
    entries = "".join(
        f"\n[[functions]]\nname = {_toml_string(f.name)}\nsignature = {_toml_string(f.signature)}\n"
        f"points = {POINTS_EACH}\nhome = {_toml_string(home)}\n" for f in functions)
    return (f"# The manifest: README.md, \"Writing a pack\", lists every key.\n"
            f"name = {_toml_string(name)}\ntitle = {_toml_string(title)}\n"
            f"total_points = {POINTS_EACH * len(functions)}\nvisibility = \"visible\"\n"
            f"{entries}")


def _hints(name: str) -> str:
    return f'''"""The mistakes this pack recognises: a check that finds one passes hint=HINTS["id"], and the
report explains it once, above every check it failed. Remove the example once you have your own."""
from grader.hints import Catalogue, Mistake

HINTS = Catalogue("{name}", (
    Mistake("example_mistake", "a short title: what the code does wrong",
            "What the student did, why it is wrong, and what to do instead."),
))
'''


def _stubs(functions: list[Function], body: str) -> str:
    defs = "\n\n".join(f"def {f.signature}:\n    # {body}\n    raise NotImplementedError"
                       for f in functions)
    return f"import numpy as np\n\n\n{defs}\n"


def _checks(function: Function, hints_module: str) -> str:
    name, params = function.name, function.parameters
    args = ", ".join(params)
    if len(params) == 1:
        drawn, unpack = f"@given({params[0]}=ARRAYS)\n", ""
        examples = f"{params[0]}=np.array([[-1.0, 0.0, 2.0]])"
        given_params = params
    else:  # one drawn tuple: arguments of one shape, which an elementwise function needs
        drawn, unpack = f"@given(args=same_shape({len(params)}))\n", f"\n    {args} = args"
        examples = "args=(" + ", ".join("np.array([[-1.0, 0.0, 2.0]])" for _ in params) + ")"
        given_params = ("args",)
    return f'''"""Checks of {function.signature}: each says what was called, what came back and what was
expected (grader.checks_api). Replace the inputs with the handout's; add a check per property
the function must have (README.md, "Writing a check")."""
import numpy as np
import pytest
from hypothesis import example, given, strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close
from {hints_module} import HINTS  # noqa: F401  (fail_call(..., hint=HINTS["example_mistake"]))

# Small float arrays of any shape up to 2-D. Arguments that must fit together otherwise (a
# matrix product's) are drawn from their sizes: st.integers for each, then hnp.arrays.
SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)
ELEMENTS = st.floats(-10, 10, allow_nan=False)
ARRAYS = hnp.arrays(np.float64, SHAPES, elements=ELEMENTS)


@st.composite
def same_shape(draw, count):
    """`count` arrays of one drawn shape."""
    shape = draw(SHAPES)
    return tuple(draw(hnp.arrays(np.float64, shape, elements=ELEMENTS)) for _ in range(count))


@pytest.mark.function("{name}")
@pytest.mark.points(5)
@pytest.mark.published
def test_{name}_handout_values(student, reference):
    """The handout's own example: the same in every copy of the grader, course secret or not."""
    {_assign_example(params)}
    call = call_text("{name}", {args})
    expected = np.asarray(reference.{name}({args}))
    got = as_array(student({args}), call, expected.shape)
    expect_close(got, expected, call=call, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)


@pytest.mark.function("{name}")
@pytest.mark.points(5)
{drawn}@example({examples})
def test_{name}_matches_reference({_fixture_params(given_params)}):
    """The reference's answer on drawn inputs (hypothesis shrinks a failure to the smallest)."""{unpack}
    call = call_text("{name}", {args})
    expected = np.asarray(reference.{name}({args}))
    got = as_array(student({args}), call, expected.shape)
    expect_close(got, expected, call=call, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)
'''


def _assign_example(params: tuple[str, ...]) -> str:
    return "\n    ".join(f"{p} = np.array([[-1.0, 0.0, 2.0]])" for p in params)


def _fixture_params(params: tuple[str, ...]) -> str:
    return ", ".join(("student", "reference", *params))
