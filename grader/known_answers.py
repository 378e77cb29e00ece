"""Known answers: the reference's outputs on the public inputs, shipped instead of the reference.

A student's copy of the grader has no reference solution, yet its checks of values must still be
as sharp as the instructor's. `autograde known-answers` grades the reference with itself on the
public inputs and keeps, for every check that asks the reference (the `reference` and
`maybe_reference` fixtures):

- the examples hypothesis drew for it (its arguments, as plain data), and
- every call it made to the reference, with what the reference answered.

A student's copy then runs those checks on exactly those examples, in order (not through
hypothesis, whose draws change between its versions), and answers each call to the reference from
the file. The file holds outputs for those inputs only: it answers nothing else, so it is no
solution. `verify` holds a file to account against the reference (tests/test_known_answers.py).
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
ORACLE_FIXTURES = ("reference", "maybe_reference")
# Inputs computed afresh on another machine may differ from the recorded ones in the last bits
# (a libm's exp or log); answers are looked up exactly first, then within this.
MATCH_RTOL, MATCH_ATOL = 1e-10, 1e-13


class NotKnown(Exception):
    """The known answers hold no answer for this call: the check is left to the instructor."""


class KnownAnswersError(Exception):
    """A known-answers file that cannot be used (missing, unreadable, for another pack)."""


# ---- plain data <-> JSON ------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """`value` as JSON data that `decode` turns back into an equal value. Arrays keep their dtype
    and bytes exactly; cases (dataclasses) and objects of the pack keep their class's name."""
    if isinstance(value, np.generic):  # before float: a numpy float64 is a float too
        return {"scalar": value.dtype.str, "data": base64.b64encode(value.tobytes()).decode("ascii")}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"array": data.dtype.str, "shape": list(data.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    cls = type(value)
    name = f"{cls.__module__}:{cls.__qualname__}"
    if dataclasses.is_dataclass(value):
        return {"case": name, "fields": {f.name: encode(getattr(value, f.name))
                                         for f in dataclasses.fields(value)}}
    if hasattr(value, "__dict__"):
        return {"object": name, "state": encode(dict(vars(value)))}
    raise TypeError(f"cannot keep a {cls.__name__} as a known answer")


TRUSTED_MODULES = "grader.packs."


class PackClasses:
    """The classes a known-answers file may name: those defined in a module of the pack being
    graded. The file is data, so a name in it never picks what runs: a module is imported only
    when it is the pack's own, found inside the pack's folder (a built-in pack's modules are the
    grader's own `grader.packs.NAME.*`), and only a class defined in that module is used (not
    one it imports, such as subprocess.Popen). Without a pack: the built-in packs' modules."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = None if root is None else Path(root).resolve()

    def _inside(self, module: Any) -> bool:
        file = getattr(module, "__file__", None)
        if self.root is None:
            return module.__name__.startswith(TRUSTED_MODULES)
        if not file:
            return False
        path = Path(file).resolve()
        return self.root == path.parent or self.root in path.parents

    def _load(self, module: str) -> Any:
        """The pack's module `module`: imported already (its checks import it), or imported here
        from the one file inside the pack's folder that the name can mean."""
        found = sys.modules.get(module)
        if found is not None:
            return found
        if self.root is None or _builtin_package(self.root):
            package = _builtin_package(self.root) if self.root is not None else None
            prefix = f"{package}." if package else TRUSTED_MODULES
            return importlib.import_module(module) if module.startswith(prefix) else None
        if "." in module:  # a package of the pack's: imported by its checks, or not at all
            return None
        path = self.root / f"{module}.py"
        if not path.is_file():
            return None
        spec = importlib.util.spec_from_file_location(module, path)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[module] = loaded  # forgotten with the pack's other modules (packs/imports.py)
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            sys.modules.pop(module, None)
            raise
        return loaded

    def __call__(self, name: str) -> type:
        module, _, qualname = str(name).partition(":")
        if not qualname or not all(part.isidentifier() for part in module.split(".")):
            raise KnownAnswersError(f"the known answers name {name!r}, which is not a class")
        found: Any = self._load(module)
        if found is None or not self._inside(found):
            raise KnownAnswersError(f"the known answers name {name}, which is not a class of "
                                    "the pack's own modules")
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if not isinstance(found, type) or found.__module__ != module:
            raise KnownAnswersError(f"the known answers name {name}, which the pack's module "
                                    f"{module} does not define")
        return found


def _builtin_package(root: Path) -> str | None:
    """`grader.packs.NAME` when `root` is the folder of a package of the grader's own packs."""
    packs = Path(__file__).resolve().parent / "packs"
    return f"grader.packs.{root.name}" if root.parent == packs and (root / "__init__.py").is_file() \
        else None


_DEFAULT_CLASSES = PackClasses()


def decode(data: Any, classes: Callable[[str], type] = _DEFAULT_CLASSES) -> Any:
    """The value `encode` gave `data` for; a case or object only of a class that `classes` (a
    PackClasses) allows."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if "float" in data:
        return float(data["float"])
    if "array" in data:
        raw = base64.b64decode(data["data"])
        return np.frombuffer(raw, dtype=np.dtype(data["array"])).reshape(data["shape"]).copy()
    if "scalar" in data:
        return np.frombuffer(base64.b64decode(data["data"]), dtype=np.dtype(data["scalar"]))[0]
    if "tuple" in data:
        return tuple(decode(v, classes) for v in data["tuple"])
    if "list" in data:
        return [decode(v, classes) for v in data["list"]]
    if "dict" in data:
        return {decode(k, classes): decode(v, classes) for k, v in data["dict"]}
    if "case" in data:
        cls = classes(data["case"])
        if not dataclasses.is_dataclass(cls):
            raise KnownAnswersError(f"{data['case']} is not a case class")
        return cls(**{k: decode(v, classes) for k, v in data["fields"].items()})
    if "object" in data:
        obj = object.__new__(classes(data["object"]))
        obj.__dict__.update(decode(data["state"], classes))
        return obj
    raise KnownAnswersError(f"unknown entry in the known answers: {sorted(data)}")


def _key(encoded: Any) -> str:
    return hashlib.sha256(json.dumps(encoded, sort_keys=True).encode()).hexdigest()


def same_value(live: Any, stored: Any) -> bool:
    """Whether two encoded values are the same up to the last bits of their floats."""
    if isinstance(live, dict) and isinstance(stored, dict):
        if "array" in live and "array" in stored:
            if live["array"] != stored["array"] or live["shape"] != stored["shape"]:
                return False
            a, b = decode(live), decode(stored)
            if a.dtype.kind not in "fc":
                return bool(np.array_equal(a, b))
            return bool(np.allclose(a, b, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True))
        if "scalar" in live and "scalar" in stored:
            # A numpy scalar (a float64 cost) is a number like an array's element: another
            # CPU's kernels may round its last bit differently.
            if live["scalar"] != stored["scalar"]:
                return False
            x, y = decode(live), decode(stored)
            if x.dtype.kind not in "fc":
                return bool(x == y)
            return bool(np.isclose(x, y, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True))
        if live.keys() != stored.keys():
            return False
        return all(same_value(live[k], stored[k]) for k in live)
    if isinstance(live, list) and isinstance(stored, list):
        return len(live) == len(stored) and all(same_value(a, b) for a, b in zip(live, stored))
    if isinstance(live, float) and isinstance(stored, float):
        return math.isclose(live, stored, rel_tol=MATCH_RTOL, abs_tol=MATCH_ATOL)
    return live == stored


# ---- the file -----------------------------------------------------------------------------------
@dataclasses.dataclass
class CheckAnswers:
    """What one check asked the reference on the public inputs."""

    examples: list[Any] | None  # hypothesis checks: each example's arguments, encoded
    calls: list[dict[str, Any]]  # {"function", "args", "result"}, encoded
    # Which classes its cases and objects may be (the pack's own: PackClasses).
    classes: Callable[[str], type] = dataclasses.field(default=_DEFAULT_CLASSES, repr=False,
                                                       compare=False)

    def __post_init__(self) -> None:
        self._by_key = {(c["function"], _key(c["args"])): c for c in self.calls}

    def answer(self, function: str, args: tuple) -> Any:
        encoded = encode(args)
        found = self._by_key.get((function, _key(encoded)))
        if found is None:
            found = next((c for c in self.calls if c["function"] == function
                          and same_value(encoded, c["args"])), None)
        if found is None:
            raise NotKnown(f"no known answer for this call of {function}")
        return decode(found["result"], self.classes)

    def decoded_examples(self) -> list[dict[str, Any]]:
        return [decode(example, self.classes) for example in self.examples or ()]


@dataclasses.dataclass
class KnownAnswers:
    pack: str
    reference_sha256: str
    checks: dict[str, CheckAnswers]
    made_with: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> str:
        data = {"format": FORMAT, "pack": self.pack, "inputs": "public",
                "reference_sha256": self.reference_sha256, "made_with": self.made_with,
                "checks": {name: {"examples": entry.examples, "calls": entry.calls}
                           for name, entry in sorted(self.checks.items())}}
        return json.dumps(data, sort_keys=True, indent=None, separators=(",", ":")) + "\n"

    @classmethod
    def load(cls, path: Path, root: Path | None = None) -> "KnownAnswers":
        """The file at `path`; its cases and objects are decoded as classes of the pack whose
        folder is `root` (PackClasses), or of the built-in packs when None."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KnownAnswersError(f"cannot read the known answers {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KnownAnswersError(f"{path} is not a known-answers file of format {FORMAT}")
        classes = PackClasses(root)
        checks = {name: CheckAnswers(entry.get("examples"), list(entry.get("calls", ())), classes)
                  for name, entry in data.get("checks", {}).items()}
        return cls(str(data.get("pack", "")), str(data.get("reference_sha256", "")), checks,
                   dict(data.get("made_with", {})))


def reference_digest(files: Iterable[Path]) -> str:
    """One hash of the reference's files (by name and content), so a file made from another
    reference is noticed."""
    digest = hashlib.sha256()
    for path in sorted(Path(f) for f in files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# ---- the two stand-ins for the reference ----------------------------------------------------------
class _Stand:
    """What a check holds as `reference`: the functions by name, printed as a plain word (it
    shows in hypothesis's counterexamples)."""

    def __init__(self, names: Iterable[str], call: Callable[[str, tuple], Any]) -> None:
        self._names = frozenset(names)
        self._call = call

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(name)
        return lambda *args: self._call(name, args)

    def __repr__(self) -> str:
        return "reference"


class Recorder:
    """Stands in for the reference while the known answers are made: answers every call from
    the reference and keeps the call, by check."""

    def __init__(self, names: Iterable[str]) -> None:
        self.reference: Any = None
        self.current_check: Callable[[], str] = lambda: ""
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.stand_in = _Stand(names, self._call)

    def attach(self, reference: Any, current_check: Callable[[], str]) -> Any:
        """Record the calls to `reference`; returns what the checks get instead of it."""
        self.reference, self.current_check = reference, current_check
        return self.stand_in

    def _call(self, function: str, args: tuple) -> Any:
        before = encode(copy.deepcopy(args))  # the reference may change what it was given
        result = getattr(self.reference, function)(*args)
        self.calls.setdefault(self.current_check(), []).append(
            {"function": function, "args": before, "result": encode(result)})
        return result


def oracle(answers: KnownAnswers, names: Iterable[str], current_check: Callable[[], str]) -> _Stand:
    """The reference as a student's copy has it: answers from the file, for the check running."""
    def call(function: str, args: tuple) -> Any:
        entry = answers.checks.get(current_check())
        if entry is None:
            raise NotKnown(function)
        return entry.answer(function, args)
    return _Stand(names, call)


def run_examples(test: Any, fixtures: dict[str, Any], examples: list[dict[str, Any]],
                 on_example: Callable[[], None] = lambda: None) -> None:
    """Run a property check on the known answers' examples, as hypothesis would run each (its
    `random` seeded alike): the check's explicit examples (@example) first, in their order, as
    hypothesis runs them, then the others smallest first; the first failure ends it, with its
    example noted. (All smallest first, a student's copy showed another failing input than the
    instructor's grader, which reports a failing explicit example: a K = 1 case where the
    instructor's showed the long vectors the README says every grade tries first, and a mean
    over the K + 1 terms told of squares for its factor of 1/2.)"""
    from grader import examples_run
    from grader.example_copy import fresh_copy

    inner = test.hypothesis.inner_test

    def run(example: dict[str, Any]) -> None:
        on_example()
        try:
            inner(**fixtures, **fresh_copy(example))
        except BaseException as exc:
            shown = ", ".join(f"{name}={value!r}" for name, value in example.items())
            notes = list(getattr(exc, "__notes__", []))
            exc.__notes__ = notes + [f"Falsifying example (of the known answers): {shown}"]
            raise
    examples_run.run_each(explicit_first(test, examples), run)


def explicit_first(test: Any, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`examples` in the order run_examples runs them: those the check names with @example
    (keyword arguments, as the packs write them) first, in the order hypothesis runs them,
    then the rest smallest first."""
    def key(example: Any) -> str:
        try:
            return json.dumps(encode(example), sort_keys=True)
        except (TypeError, ValueError, KnownAnswersError):
            return ""

    order = {}
    for example in reversed(getattr(test, "hypothesis_explicit_examples", ())):
        kwargs = getattr(example, "kwargs", None)
        if isinstance(kwargs, dict) and kwargs:
            order.setdefault(key(dict(kwargs)), len(order))
    order.pop("", None)
    named = [(order[k], e) for e in examples if (k := key(e)) in order]
    rest = [e for e in examples if key(e) not in order]
    return [e for _, e in sorted(named, key=lambda pair: pair[0])] + sorted(rest, key=example_size)


def example_size(example: Any) -> int:
    """How big an example's arguments are, to try the small ones first: a failure then shows the
    smallest input of the file that has it."""
    if isinstance(example, np.ndarray):
        return int(example.size)
    if dataclasses.is_dataclass(example) and not isinstance(example, type):
        return sum(example_size(getattr(example, f.name)) for f in dataclasses.fields(example))
    if isinstance(example, dict):
        return sum(example_size(v) for v in example.values())
    if isinstance(example, (tuple, list)):
        return sum(example_size(v) for v in example)
    if isinstance(example, int) and not isinstance(example, bool):
        return min(abs(example), 64)  # a seed weighs as much as any other seed
    return 1


__all__ = ["CheckAnswers", "FORMAT", "KnownAnswers", "KnownAnswersError", "NotKnown",
           "ORACLE_FIXTURES", "PackClasses", "Recorder", "decode", "encode", "example_size", "oracle",
           "reference_digest", "run_examples", "same_value"]
