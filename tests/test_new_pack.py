"""`autograde new-pack` writes a pack that loads and grades as written: once its reference is
written, the audit holds, a correct upload earns every point, a wrong one loses them, and the
template is told it is not implemented (grader/new_pack.py)."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

SOLUTION = """\
import numpy as np


def relu(x):
    return np.maximum(x, 0.0)


def scaled(x, s):
    return x * s
"""


def test_a_new_pack_holds_once_its_reference_is_written(tmp_path: Path) -> None:
    pack = tmp_path / "relu-pack"
    made = run_cli("new-pack", str(pack), "--function", "relu(x)", "--function", "scaled(x, s)",
                   "--home", "layers")
    assert made.returncode == 0, made.stderr
    assert "autograde audit --pack" in made.stdout
    listed = run_cli("packs", env={"AUTOGRADE_PACKS": str(tmp_path)})
    assert "relu-pack" in listed.stdout and "20 points: relu 10, scaled 10" in listed.stdout

    (pack / "reference" / "layers.py").write_text(SOLUTION)
    audit = run_cli("audit", "--pack", str(pack))
    assert audit.returncode == 0 and "The reference holds." in audit.stdout, audit.stdout

    reports = {}
    for name, code in {"right": SOLUTION,
                       "wrong": SOLUTION.replace("x * s", "x * s + (x > 5)")}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "layers.py").write_text(code)
        out = tmp_path / f"{name}.json"
        done = run_cli("grade", str(tmp_path / name), "--pack", str(pack), "--json", str(out))
        assert done.returncode == 0, done.stderr
        reports[name] = {f["name"]: f["score"] for f in json.loads(out.read_text())["functions"]}
    assert reports["right"] == {"relu": 10, "scaled": 10}
    assert reports["wrong"]["relu"] == 10 and reports["wrong"]["scaled"] < 10

    out = tmp_path / "template.json"
    done = run_cli("grade", str(pack / "student_template"), "--pack", str(pack), "--json", str(out))
    template = json.loads(out.read_text())
    assert template["score"] == 0 and template["checks"]
    assert all("not implemented" in c["message"] for c in template["checks"]), template["checks"]


def test_a_new_pack_is_never_written_over_a_folder_or_from_a_bad_signature(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    done = run_cli("new-pack", str(taken), "--function", "relu(x)")
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert sorted(p.name for p in taken.iterdir()) == ["notes.txt"]
    for signature, said in (("relu(x, x)", "twice"), ("relu(*args)", "not a Python name"),
                            ("relu()", "takes no parameter"), ("2relu", "not a function name"),
                            ("relu(reference)", "the written checks use that name"),
                            ("relu(np)", "the written checks use that name"),
                            ("relu(expected)", "the written checks use that name")):
        done = run_cli("new-pack", str(tmp_path / "fresh"), "--function", signature)
        assert done.returncode == 2 and said in done.stderr, (signature, done.stderr)
        assert not (tmp_path / "fresh").exists()
    done = run_cli("new-pack", str(tmp_path / "fresh"))
    assert done.returncode == 2 and "at least one function" in done.stderr
    # A home named after a module the grader imports, a title the manifest could not hold
    # (recheck probe s58: the audit failed in the grader itself; a pack.toml that did not load).
    for extra, said in ((("--home", "numpy"), "Python's or the grader's own"),
                        (("--home", "grader"), "Python's or the grader's own"),
                        (("--title", "a\x7fb"), "control character")):
        done = run_cli("new-pack", str(tmp_path / "fresh"), "--function", "relu(x)", *extra)
        assert done.returncode == 2 and said in done.stderr, (extra, done.stderr)
        assert not (tmp_path / "fresh").exists()


def test_the_audit_of_a_new_pack_says_first_that_its_reference_is_not_written(
        tmp_path: Path) -> None:
    # Recheck probe s58: the stub's NotImplementedError read as a check of the pack failing in the
    # grader itself ("fix the check"), and the student's words ("tell your instructor").
    pack = tmp_path / "fresh"
    made = run_cli("new-pack", str(pack), "--function", "relu(x)", "--function", "scaled(x, s)",
                   "--home", "layers")
    assert made.returncode == 0, made.stderr
    # One of the two written: only the other is named.
    (pack / "reference" / "layers.py").write_text(
        SOLUTION.replace("    return x * s", "    factor = s\n    raise NotImplementedError()"))
    out = tmp_path / "audit.json"
    audit = run_cli("audit", "--pack", str(pack), "--json", str(out))
    assert audit.returncode == 1, audit.stdout + audit.stderr
    first = audit.stdout.split("\n\n")[1]
    assert first.startswith("the reference is not written yet: scaled in reference/layers.py "
                            "still raises NotImplementedError"), audit.stdout
    assert "relu in" not in first
    assert "fix the check" not in audit.stdout and "tell your instructor" not in audit.stdout
    assert audit.stdout.rstrip().endswith("write the reference, then audit again."), audit.stdout
    assert json.loads(out.read_text())["unwritten"] == ["scaled in reference/layers.py"]
