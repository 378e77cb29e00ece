"""Packs as data (grader/packs/): a pack in a folder outside the package, graded end to end;
manifest and course-config validation; `autograde packs`; the CS224n pack read from its manifest.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import CLI
from grader import grading, tolerances
from grader.packs import ManifestError, UnknownPack, load_pack, marker_cache
from grader.proxy import Limits
from grader.session import Options

ROOT = Path(__file__).resolve().parents[1]

MANIFEST = """\
name = "tiny-layers"
title = "A tiny pack: relu and a scaled sum"
total_points = 10
provided_modules = []

[[functions]]
name = "relu"
signature = "relu(x)"
points = 4
home = "layers"

[[functions]]
name = "scaled_sum"
signature = "scaled_sum(x)"
points = 6
home = "layers"
visibility = "after_due_date"

# The engine's REFERENCE_ATOL is 1e-9: the pack's own value must win while it grades.
[tolerances]
REFERENCE_ATOL = 1e-3
TINY_MARGIN = 0.5

[deadlines]
call_seconds = 7
"""

# The checks import a module of the pack's own folder by its bare name.
INPUTS = """\
import numpy as np

def arrays():
    rng = np.random.default_rng(7)
    return [rng.normal(size=(3, 4)) for _ in range(3)] + [np.array([-1.0, 0.0, 2.0])]
"""

CHECKS = """\
import numpy as np
import pytest

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close
from tiny_inputs import arrays


@pytest.mark.function("relu")
@pytest.mark.points(1)
@pytest.mark.published
def test_relu_known_values(student):
    x = np.array([-1.0, 0.0, 2.0])
    call = call_text("relu", x)
    expect_close(as_array(student(x), call, x.shape), np.array([0.0, 0.0, 2.0]), call=call,
                 rtol=0, atol=tol.REFERENCE_ATOL * tol.TINY_MARGIN)


@pytest.mark.function("relu")
@pytest.mark.points(1)
def test_relu_matches_reference(student, reference):
    for x in arrays():
        call = call_text("relu", x)
        expect_close(as_array(student(x), call, x.shape), np.asarray(reference.relu(x)),
                     call=call, rtol=0, atol=tol.REFERENCE_ATOL)


@pytest.mark.function("scaled_sum")
@pytest.mark.points(1)
def test_scaled_sum_matches_reference(student, reference):
    for x in arrays():
        call = call_text("scaled_sum", x)
        got = np.asarray(student(x), dtype=float)
        expect_close(got, np.asarray(reference.scaled_sum(x)), call=call, rtol=0,
                     atol=tol.REFERENCE_ATOL)
"""

# The course's helper module and data file, which student code and the reference both use.
SUPPORT_MODULE = """\
from pathlib import Path

def scale():
    return float(Path("scale.txt").read_text())
"""

REFERENCE = """\
import numpy as np
from course_utils import scale

def relu(x):
    return np.maximum(x, 0.0)

def scaled_sum(x):
    return np.sum(x) * 3.0
"""

TEMPLATE = """\
import numpy as np
from course_utils import scale

def relu(x):
    raise NotImplementedError

def scaled_sum(x):
    raise NotImplementedError
"""

# Correct, reading the helper module and the data file beside it as a student's machine has them.
CORRECT = """\
import numpy as np
from course_utils import scale

def relu(x):
    return np.maximum(x, 0.0)

def scaled_sum(x):
    with open("scale.txt") as f:
        assert float(f.read()) == scale()
    return np.sum(x) * scale()
"""

# Off by 2e-4 everywhere: within the pack's REFERENCE_ATOL (1e-3), far outside the engine's
# (1e-9); scaled_sum is wrong outright.
OFF_A_LITTLE = """\
import numpy as np

def relu(x):
    return np.maximum(x, 0.0) + 2e-4

def scaled_sum(x):
    return np.sum(x) * 2.0
"""

# Correct only where nothing of the grader is in sight: not the pack's own modules, not its
# reference or checks.
PROBE = """\
import importlib.util
import os
import shutil
import numpy as np

def _clean():
    if importlib.util.find_spec("tiny_inputs") is not None:
        return False
    here = set(os.listdir("."))
    return not ({"reference", "checks", "pack.toml", "test_tiny.py", "layers_ref.py"} & here)

def relu(x):
    return np.maximum(x, 0.0) if _clean() else -np.ones_like(x)

def scaled_sum(x):
    return np.sum(x) * 3.0 if _clean() else 0.0
"""


def make_pack(folder: Path, manifest: str = MANIFEST) -> Path:
    (folder / "checks").mkdir(parents=True)
    (folder / "pack.toml").write_text(manifest)
    (folder / "tiny_inputs.py").write_text(INPUTS)
    (folder / "checks" / "test_tiny.py").write_text(CHECKS)
    for sub, name, text in (("reference", "layers.py", REFERENCE),
                            ("student_template", "layers.py", TEMPLATE),
                            ("support", "course_utils.py", SUPPORT_MODULE),
                            ("support", "scale.txt", "3.0\n")):
        (folder / sub).mkdir(exist_ok=True)
        (folder / sub / name).write_text(text)
    return folder


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "courses" / "tiny")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return CLI.run(list(args), {**os.environ, **(env or {})}, ROOT, 300)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def by_function(report: dict) -> dict[str, float]:
    return {f["name"]: f["score"] for f in report["functions"]}


# ---- a pack outside the package, end to end --------------------------------------------------
def test_outside_pack_graded_through_the_cli(pack_dir: Path, tmp_path: Path) -> None:
    submission = write(tmp_path / "layers.py", CORRECT)
    out = tmp_path / "report.json"
    done = run_cli("grade", str(submission), "--pack", str(pack_dir), "--json", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["versions"]["pack"] == "tiny-layers"
    assert report["reference"] is True  # the pack's own reference/ was found and used
    assert (report["score"], report["max_score"]) == (10, 10), report["checks"]
    assert by_function(report) == {"relu": 4, "scaled_sum": 6}
    # The manifest's deadline, and the engine's for what it does not set.
    assert report["isolation"]["deadlines"]["call_seconds"] == 7
    assert report["isolation"]["deadlines"]["check_seconds"] == Limits.check_seconds
    visibility = {c["function"]: c["visibility"] for c in report["checks"]}
    assert visibility == {"relu": "visible", "scaled_sum": "after_due_date"}


def test_outside_pack_template_and_tolerances(pack_dir: Path, tmp_path: Path) -> None:
    template = grading.grade_to_files(submission=pack_dir / "student_template" / "layers.py",
                                      pack=str(pack_dir))
    assert template.score == 0 and template.max_score == 10
    assert all(c.status == "error" and "NotImplementedError" in c.message
               for c in template.checks), [c.message for c in template.checks]
    # The pack's REFERENCE_ATOL (1e-3) decides, not the engine's (1e-9): relu passes.
    off = grading.grade_to_files(submission=write(tmp_path / "off.py", OFF_A_LITTLE),
                                 pack=str(pack_dir))
    statuses = {c.name: c.status for c in off.checks}
    assert statuses == {"relu_known_values": "passed", "relu_matches_reference": "passed",
                        "scaled_sum_matches_reference": "failed"}
    # Nothing of the pack stays behind in the grader: its modules, its folder, its tolerances.
    assert "tiny_inputs" not in sys.modules
    assert str(pack_dir.resolve()) not in sys.path
    with pytest.raises(AttributeError, match="TINY_MARGIN"):
        tolerances.TINY_MARGIN  # noqa: B018
    assert tolerances.REFERENCE_ATOL == 1e-9


BARE_ASSERT_CHECK = """\
import pytest


@pytest.mark.function("scaled_sum")
@pytest.mark.points(1)
def test_scaled_sum_of_ones(student):
    assert student([1.0, 1.0]) == 6.0
"""


def test_a_pack_that_asserts_keeps_pytests_detail_in_its_messages(pack_dir: Path,
                                                                    tmp_path: Path) -> None:
    """The built-in packs' checks are not assert-rewritten (they hold no assert); a pack whose
    checks use a bare `assert` must still tell the student what was compared. Graded through
    the command line: in this process, the test suite's own rewriting would do it anyway."""
    (pack_dir / "checks" / "test_bare.py").write_text(BARE_ASSERT_CHECK)
    out = tmp_path / "report.json"
    done = run_cli("grade", str(write(tmp_path / "off.py", OFF_A_LITTLE)), "--pack",
                   str(pack_dir), "--json", str(out))
    assert done.returncode == 0, done.stderr
    check = next(c for c in json.loads(out.read_text())["checks"]
                 if c["name"] == "scaled_sum_of_ones")
    assert check["status"] == "failed"
    assert "4.0) == 6.0" in check["message"] and "= scaled_sum([1.0, 1.0])" in check["message"], \
        check["message"]


def test_worker_sees_support_files_but_nothing_else_of_the_pack(pack_dir: Path,
                                                                 tmp_path: Path) -> None:
    result = grading.grade_to_files(submission=write(tmp_path / "probe.py", PROBE),
                                    pack=str(pack_dir))
    assert result.score == 10, [(c.name, c.message) for c in result.checks]
    # The support files keep the submission's precedence: a student's own course_utils wins.
    own = tmp_path / "own"
    own.mkdir()
    write(own / "layers.py", CORRECT)
    write(own / "course_utils.py", "def scale():\n    return 2.0\n")
    mixed = grading.grade_to_files(submission=own, pack=str(pack_dir))
    assert {f.name: f.score for f in mixed.functions} == {"relu": 4, "scaled_sum": 0}


def test_two_packs_with_the_same_module_names_do_not_mix(tmp_path: Path) -> None:
    first = make_pack(tmp_path / "a")
    second = make_pack(tmp_path / "b", MANIFEST.replace('"tiny-layers"', '"tiny-other"'))
    # The second pack's reference scales by 2: a pack that saw the first's modules would pass.
    (second / "reference" / "layers.py").write_text(REFERENCE.replace("* 3.0", "* 2.0"))
    submission = write(tmp_path / "layers.py", CORRECT)
    one = grading.grade_to_files(submission=submission, pack=str(first))
    two = grading.grade_to_files(submission=submission, pack=str(second))
    assert (one.score, two.score) == (10, 4)
    assert two.versions["pack"] == "tiny-other"


# ---- manifest validation ---------------------------------------------------------------------
TWICE = MANIFEST.replace('name = "scaled_sum"', 'name = "relu"')
NOT_ADDING_UP = MANIFEST.replace("total_points = 10", "total_points = 12")
NO_HOME = MANIFEST.replace('home = "layers"\nvisibility', 'visibility')
BAD_VISIBILITY = MANIFEST.replace('"after_due_date"', '"sometimes"')
BAD_POINTS = MANIFEST.replace("points = 4", 'points = "four"')
UNKNOWN_KEY = MANIFEST.replace("provided_modules = []", "provided_module = []")
NOT_TOML = MANIFEST.replace("[deadlines]", "[deadlines")
BAD_DEADLINE = MANIFEST.replace("call_seconds = 7", "call_second = 7")
USES_UNKNOWN = MANIFEST.replace('visibility = "after_due_date"',
                                'visibility = "after_due_date"\nuses = ["gelu"]')
CALLS_UNKNOWN = MANIFEST.replace('visibility = "after_due_date"',
                                 'visibility = "after_due_date"\ncalls = ["gelu"]')
CALLS_ITSELF = MANIFEST.replace('visibility = "after_due_date"',
                                'visibility = "after_due_date"\ncalls = ["scaled_sum"]')
BAD_PROVIDED = MANIFEST.replace("[deadlines]", "[provided_functions]\nhelper = 3\n\n[deadlines]")
NO_SCRIPT = MANIFEST.replace("provided_modules = []",
                             'provided_modules = []\ntraining_script = "train.py"')
# A misspelt name defined a tolerance no check read, and the override it meant never applied.
TOLERANCE_TYPO = MANIFEST.replace("REFERENCE_ATOL = 1e-3", "REFERENCE_ATOLL = 1e-3")


@pytest.mark.parametrize("manifest, message", [
    (TWICE, "function relu is listed twice"),
    (NOT_ADDING_UP, "the functions' points add up to 10, not total_points = 12 (relu 4, scaled_sum 6)"),
    (NO_HOME, "function scaled_sum: give exactly one of `home`"),
    (BAD_VISIBILITY, "function scaled_sum: visibility 'sometimes' is not one of"),
    (BAD_POINTS, "function relu: points must be a number, got 'four'"),
    (UNKNOWN_KEY, "unknown key(s) provided_module"),
    (NOT_TOML, "is not valid TOML"),
    (BAD_DEADLINE, "[deadlines]: unknown key(s) call_second"),
    (USES_UNKNOWN, "function scaled_sum: `uses` names gelu, which is not a function the manifest "
                   "lists"),
    (NO_SCRIPT, "`training_script` names train.py, which is not a file"),
    (CALLS_UNKNOWN, "function scaled_sum: `calls` names gelu, which is not another function"),
    (CALLS_ITSELF, "function scaled_sum: `calls` names scaled_sum, which is not another function"),
    (BAD_PROVIDED, "[provided_functions] maps a function's name to the starter file that holds "
                   "it (getNegativeSamples = \"q3_word2vec.py\"), got helper = 3"),
    (TOLERANCE_TYPO, "[tolerances]: REFERENCE_ATOLL is not a tolerance of the grader's "
                     "(grader/tolerances.py), and no check or module of the pack reads it "
                     "(tol.REFERENCE_ATOLL), so it would change nothing (did you mean "
                     "REFERENCE_ATOL?)"),
], ids=["twice", "points", "home", "visibility", "not-a-number", "unknown-key", "toml",
        "deadline", "uses", "training-script", "calls", "calls-itself", "provided-functions",
        "tolerance"])
def test_manifest_errors_name_the_problem(tmp_path: Path, manifest: str, message: str) -> None:
    folder = make_pack(tmp_path / "p", manifest)
    with pytest.raises(ManifestError) as caught:
        load_pack(str(folder))
    assert message in str(caught.value)
    assert str(folder / "pack.toml") in str(caught.value)


def test_a_packs_own_tolerance_is_kept_where_its_code_reads_it(tmp_path: Path) -> None:
    """A name of [tolerances] that is not the grader's stays allowed where a check or a module of
    the pack reads it (TINY_MARGIN, read by the checks); one nothing reads is refused."""
    folder = make_pack(tmp_path / "p", MANIFEST.replace("TINY_MARGIN = 0.5",
                                                        "TINY_MARGIN = 0.5\nINPUT_SCALE = 2.0"))
    with pytest.raises(ManifestError, match=r"\[tolerances\]: INPUT_SCALE is not a tolerance of "
                                            r"the grader's .*, so it would change nothing$"):
        load_pack(str(folder))
    (folder / "tiny_inputs.py").write_text(INPUTS + "\nfrom grader import tolerances as tol\n\n\n"
                                           "def scale():\n    return tol.INPUT_SCALE\n")
    assert load_pack(str(folder)).tolerances == {"REFERENCE_ATOL": 1e-3, "TINY_MARGIN": 0.5,
                                                 "INPUT_SCALE": 2.0}


def test_a_check_for_a_function_the_manifest_does_not_know(tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "p")
    (folder / "checks" / "test_more.py").write_text(
        'import pytest\n\n@pytest.mark.function("leaky_relu")\n@pytest.mark.points(1)\n'
        'def test_leaky(student):\n    pass\n')
    with pytest.raises(ManifestError, match=r"checks/test_more.py checks function 'leaky_relu', "
                                            r"which the manifest does not list \(listed: relu, "
                                            r"scaled_sum\)"):
        load_pack(str(folder))
    (folder / "checks" / "test_more.py").unlink()
    # A function no check grades would always score 0.
    (folder / "pack.toml").write_text(MANIFEST.replace("total_points = 10\n", "") +
                                      '\n[[functions]]\nname = "gelu"\npoints = 1\nhome = "layers"\n')
    with pytest.raises(ManifestError, match=r"no check in checks/ grades gelu"):
        load_pack(str(folder))


def test_check_markers_are_kept_on_disk_and_read_again_when_a_check_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack's check files are parsed for their markers once, then read from the cache folder
    (grader/packs/marker_cache.py), each under a digest of its bytes: a file edited in place, its
    size and time of change kept, is parsed again, and a cache file that says anything unexpected
    is no answer."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", str(cache))
    monkeypatch.setattr(marker_cache, "_seen", {})  # as a fresh process starts
    parsed: list[str] = []
    real_parse = marker_cache.parse

    def counting(source: str, filename: str) -> tuple[str, ...]:
        parsed.append(Path(filename).name)
        return real_parse(source, filename)

    monkeypatch.setattr(marker_cache, "parse", counting)
    folder = make_pack(tmp_path / "p")
    load_pack(str(folder))
    files = sorted(p.name for p in (folder / "checks").glob("test_*.py"))
    assert sorted(parsed) == files and (cache / marker_cache.FILE_NAME).is_file()
    parsed.clear()
    marker_cache._seen.clear()
    load_pack(str(folder))
    assert parsed == []  # every file's markers from disk
    # The same size and times, one function's name changed: the digest tells them apart.
    check = next((folder / "checks").glob("test_*.py"))
    text, stat = check.read_text(), check.stat()
    assert '"relu"' in text
    check.write_text(text.replace('"relu"', '"gelu"', 1))
    os.utime(check, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert check.stat().st_size == stat.st_size
    with pytest.raises(ManifestError, match="checks function 'gelu', which the manifest does not"):
        load_pack(str(folder))
    check.write_text(text)
    # Entries of another shape are no answer: the files are parsed again.
    kept = json.loads((cache / marker_cache.FILE_NAME).read_text())
    for key in kept["files"]:
        kept["files"][key] = [1]
    (cache / marker_cache.FILE_NAME).write_text(json.dumps(kept))
    marker_cache._seen.clear()
    parsed.clear()
    load_pack(str(folder))
    assert sorted(parsed) == files
    # With the cache off, nothing is written and every load parses.
    off = tmp_path / "off"
    monkeypatch.setenv("AUTOGRADE_CACHE_DIR", "off")
    marker_cache._seen.clear()
    parsed.clear()
    load_pack(str(make_pack(off)))
    assert sorted(parsed) == files and not (off / marker_cache.FILE_NAME).exists()


def test_cli_reports_a_broken_pack_in_one_line(tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "p", TWICE)
    done = run_cli("grade", str(ROOT / "student_template"), "--pack", str(folder))
    assert done.returncode == 2
    assert "function relu is listed twice" in done.stderr
    assert "Traceback" not in done.stderr and "usage:" not in done.stderr  # the pack, not the line
    missing = run_cli("grade", str(ROOT / "student_template"), "--pack", "no-such-pack")
    assert missing.returncode == 2
    assert "unknown assignment pack 'no-such-pack'; known: cbow, cs224n-a1, onelayer, pa6" in missing.stderr
    assert "Traceback" not in missing.stderr
    with pytest.raises(UnknownPack):
        load_pack(str(tmp_path / "nowhere") + "/")


BROKEN_CHECKS = {
    # what breaks in checks/test_tiny.py -> what the refusal says
    "a_module_that_does_not_import": (("from tiny_inputs import arrays", "from tiny_input import arrays"),
                                      "test_tiny.py: ModuleNotFoundError: No module named 'tiny_input'"),
    "a_misspelt_marker": (("@pytest.mark.published", "@pytest.mark.publishd"),
                          "test_tiny.py: 'publishd' not found in `markers` configuration option"),
    "a_check_without_points": (('@pytest.mark.points(1)\ndef test_relu_matches_reference',
                                'def test_relu_matches_reference'),
                               "test_tiny.py::test_relu_matches_reference: has no "
                               "@pytest.mark.points (every check needs one: a number >= 0, 0 "
                               "for advisory)"),
    "only_advisory_checks": (('@pytest.mark.points(1)\ndef test_scaled_sum',
                              '@pytest.mark.points(0)\ndef test_scaled_sum'),
                             "every check of scaled_sum is worth 0 (advisory), so its 6 points "
                             "have nowhere to go"),
    "a_misspelt_mistake_id": (("from tiny_inputs import arrays",
                               "from tiny_inputs import arrays\nfrom grader.hints import Catalogue, "
                               "Mistake\nHINTS = Catalogue('tiny', [Mistake('relu_negative', "
                               "'t', 'x')])\n_ = lambda: HINTS['relu_negativ']"),
                              "test_tiny.py, line 9: HINTS['relu_negativ'] is not in the catalogue "
                              "of pack tiny (did you mean 'relu_negative'?)"),
    # Beside a module that does import: pytest ends such a run with its Interrupted, a
    # KeyboardInterrupt, which grade took for a Ctrl-C ("interrupted; no report", status 130).
    "a_second_module_that_does_not_import": (("", "from tiny_hintz import HINTS\n"),
                                             "test_more.py: ModuleNotFoundError: No module named "
                                             "'tiny_hintz'"),
    # The nearer marker won silently: the check graded relu_grad, and audit blamed the reference.
    "two_function_markers": (('@pytest.mark.function("relu")\n@pytest.mark.points(1)\n'
                              'def test_relu_matches_reference',
                              '@pytest.mark.function("relu")\n@pytest.mark.function("scaled_sum")'
                              '\n@pytest.mark.points(1)\ndef test_relu_matches_reference'),
                             "test_tiny.py::test_relu_matches_reference: carries 2 "
                             "@pytest.mark.function markers ('scaled_sum', 'relu'); a check "
                             "grades one function"),
    # Checks of scaled_sum against itself only: their points wait for a values check that does
    # not exist, so every upload, the reference too, scored 0 for it (probe s61).
    "only_checks_against_itself": (
        ("def test_scaled_sum_matches_reference(student, reference):\n    for x in arrays():\n"
         "        call = call_text(\"scaled_sum\", x)\n"
         "        got = np.asarray(student(x), dtype=float)\n"
         "        expect_close(got, np.asarray(reference.scaled_sum(x)),",
         "def test_scaled_sum_is_linear(student):\n    for x in arrays():\n"
         "        call = call_text(\"scaled_sum\", x)\n"
         "        got = np.asarray(student(2 * x), dtype=float)\n"
         "        expect_close(got, 2 * np.asarray(student(x), dtype=float),"),
        "scaled_sum: no check of scaled_sum compares it with the right answers, so its checks of "
        "it against itself (scaled_sum_is_linear: 6 of its 6 points) can never earn their "
        "points, not even for the reference (they wait for a values check to pass): add a check "
        "that asks the `reference` fixture"),
    # (in a second file: within one module the later def would replace the first)
    "two_checks_of_one_name": (("", '@pytest.mark.function("relu")\n@pytest.mark.points(1)\n'
                                    'def test_relu_known_values(student):\n    pass\n'),
                               "relu has another check named relu_known_values"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_CHECKS))
def test_checks_that_cannot_run_are_refused_not_graded_zero_of_zero(tmp_path: Path,
                                                                     name: str) -> None:
    """A pack whose checks cannot run gave every upload "total 0 / 0" with exit status 0 (a class
    batch wrote 0/0 rows, known-answers an empty file over a good one). Now grade says why, in
    a few lines, with status 2; batch and known-answers refuse before doing anything."""
    (old, new), said = BROKEN_CHECKS[name]
    folder = make_pack(tmp_path / "p")
    checks = folder / "checks" / "test_tiny.py"
    if old:
        assert old in checks.read_text(), old
        checks.write_text(checks.read_text().replace(old, new, 1))
    else:
        (folder / "checks" / "test_more.py").write_text("import pytest\n\n\n" + new)
    graded = run_cli("grade", str(folder / "reference" / "layers.py"), "--pack", str(folder),
                     "--json", str(tmp_path / "r.json"))
    if name == "a_misspelt_mistake_id":
        # Read from the check's source only when a pack is validated (not in every grade): the
        # lookup itself runs only on a wrong upload.
        assert graded.returncode == 0, graded.stderr
    else:
        assert graded.returncode == 2, graded.stdout + graded.stderr
        assert said in graded.stderr and "the checks of pack tiny-layers cannot run" in graded.stderr
        assert "Traceback" not in graded.stderr and "usage:" not in graded.stderr
        assert not (tmp_path / "r.json").exists()
    uploads = tmp_path / "class"
    uploads.mkdir()
    shutil.copy(folder / "reference" / "layers.py", uploads / "alice.py")
    batch = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(tmp_path / "out"))
    assert batch.returncode == 2 and said in batch.stderr, batch.stderr
    audit = run_cli("audit", "--pack", str(folder))
    assert audit.returncode == 2 and said in audit.stderr, audit.stdout + audit.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    answers = tmp_path / "answers.json"
    made = run_cli("known-answers", "--pack", str(folder), "--out", str(answers))
    assert made.returncode == 2 and said in made.stderr and not answers.exists(), made.stderr
    # Nor is it shipped to every student's copy (a misspelt mistake id passed before).
    released = run_cli("student-release", str(tmp_path / "release"), "--pack", str(folder))
    assert released.returncode == 2 and said in released.stderr, released.stderr
    assert not (tmp_path / "release").exists()


# ---- autograde packs ---------------------------------------------------------------------------
def test_an_install_without_built_in_packs_names_the_pack_folder_it_has(tmp_path: Path) -> None:
    """An unpacked Gradescope zip of an outside pack, or a student release of one, carries no
    built-in pack: `packs` printed nothing, and `grade` without --pack said "known: " with an
    empty list (recheck probe s58). Both name the pack's folder there, or how to give one."""
    copy = tmp_path / "zip"
    shutil.copytree(ROOT / "grader", copy / "autograde" / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "cs224n_a1", "cbow", "pa6",
                                                  "onelayer", "release_default.txt"))
    (copy / "hw1.py").write_text("x = 1\n")
    env = {**os.environ, "PYTHONPATH": str(copy / "autograde"),
           "AUTOGRADE_PREFIX": str(tmp_path / "no-prefix"), "AUTOGRADE_PACKS": ""}

    def autograde(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader", *args], cwd=copy, env=env,
                              capture_output=True, text=True, timeout=300)

    listed, graded = autograde("packs"), autograde("grade", "hw1.py")
    assert "no built-in or installed pack here: give a pack's folder with --pack" in \
        listed.stdout, listed.stdout + listed.stderr
    assert graded.returncode == 2 and "known: " not in graded.stderr, graded.stderr
    assert "this install has no built-in or installed pack; give a pack's folder with " \
        "--pack FOLDER" in graded.stderr, graded.stderr
    # The zip's own pack beside autograde/, then the Gradescope image's under its prefix.
    for folder, prefix in ((copy / "pack", tmp_path / "no-prefix"),
                           (tmp_path / "opt" / "pack", tmp_path / "opt")):
        make_pack(folder)
        env["AUTOGRADE_PREFIX"] = str(prefix)
        listed, graded = autograde("packs"), autograde("grade", "hw1.py")
        assert f"the pack folder here is {folder.resolve()}: give it with --pack " \
            f"{folder.resolve()}" in listed.stdout, listed.stdout
        assert "10 points: relu 4, scaled_sum 6" in listed.stdout, listed.stdout
        assert graded.returncode == 2 and f"--pack {folder.resolve()}" in graded.stderr, \
            graded.stderr
        shutil.rmtree(folder)


def test_packs_lists_builtin_and_installed(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "installed"
    make_pack(installed / "tiny")
    make_pack(installed / "broken", TWICE)
    done = run_cli("packs", env={"AUTOGRADE_PACKS": str(installed)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("cbow  CBOW word embeddings, step by step")  # built-in, by name
    at = lines.index("cs224n-a1  CS224n assignment 1 (2017): neural network basics and "
                     "word2vec  [built-in]")
    assert lines[at + 1].strip() == ("100 points: sigmoid 10, sigmoid_grad 5, softmax 15, "
                                     "forward_backward_prop 35, negSamplingCostAndGradient 35")
    assert "broken  [$AUTOGRADE_PACKS]" in done.stdout
    assert "cannot be used:" in done.stdout and "function relu is listed twice" in done.stdout
    assert ("tiny  A tiny pack: relu and a scaled sum  [$AUTOGRADE_PACKS]" in done.stdout)
    assert "10 points: relu 4, scaled_sum 6" in done.stdout
    # An installed pack is named like a built-in one.
    monkeypatch.setenv("AUTOGRADE_PACKS", str(installed))
    assert load_pack("tiny").root == (installed / "tiny").resolve()
    # ... and by its manifest's name, as the README's example writes it, where that is one
    # pack's (here `broken` gives the same name until it is moved away).
    with pytest.raises(UnknownPack, match="folders broken, tiny"):
        load_pack("tiny-layers")
    shutil.rmtree(installed / "broken")
    assert load_pack("tiny-layers").root == (installed / "tiny").resolve()


# ---- a course config ---------------------------------------------------------------------------
def test_course_config_overrides_points_visibility_and_deadlines(pack_dir: Path,
                                                                 tmp_path: Path) -> None:
    config = write(tmp_path / "autograde.toml", """\
        visibility = "hidden"
        [functions.relu]
        points = 20
        [functions.scaled_sum]
        visibility = "visible"
        [deadlines]
        check_seconds = 9
        """)
    out = tmp_path / "report.json"
    done = run_cli("grade", str(write(tmp_path / "layers.py", CORRECT)), "--pack", str(pack_dir),
                   "--config", str(config), "--call-timeout", "8", "--json", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert (report["score"], report["max_score"]) == (26, 26)
    assert by_function(report) == {"relu": 20, "scaled_sum": 6}
    visibility = {c["function"]: c["visibility"] for c in report["checks"]}
    assert visibility == {"relu": "hidden", "scaled_sum": "visible"}
    # Command line over config over manifest over the engine.
    assert report["isolation"]["deadlines"] == {"call_seconds": 8, "check_seconds": 9,
                                                "import_seconds": 10,
                                                "submission_seconds": 300}
    assert report["versions"]["config"].startswith("autograde.toml (sha256 ")


@pytest.mark.parametrize("text, message", [
    ("[functions.softmax]\npoints = 3\n", "the pack tiny-layers has no function softmax "
                                           "(its functions: relu, scaled_sum)"),
    ("[functions.relu]\npoints = -1\n", "[functions.relu] points must be more than 0"),
    ("[functions.relu]\nvisibility = 'later'\n", "visibility 'later' is not one of"),
    ("pack = 'cs224n-a1'\n", "is for the pack 'cs224n-a1', not 'tiny-layers'"),
    ("[deadlines]\ncall_seconds = 0\n", "[deadlines] call_seconds must be more than 0"),
], ids=["function", "points", "visibility", "pack", "deadline"])
def test_course_config_errors(pack_dir: Path, tmp_path: Path, text: str, message: str) -> None:
    config = write(tmp_path / "autograde.toml", text)
    with pytest.raises(ManifestError) as caught:
        load_pack(str(pack_dir), config)
    assert message in str(caught.value) and "course config" in str(caught.value)


def test_a_course_config_saved_with_a_byte_order_mark_is_read(pack_dir: Path,
                                                              tmp_path: Path) -> None:
    """Notepad's UTF-8 begins with a byte-order mark: TOML refused the file as "Invalid
    statement (at line 1, column 1)"."""
    config = tmp_path / "autograde.toml"
    config.write_bytes(b"\xef\xbb\xbf[functions.relu]\r\npoints = 20\r\n")
    assert {f.name: f.points for f in load_pack(str(pack_dir), config).functions}["relu"] == 20


def test_batch_applies_autograde_toml_beside_the_uploads(pack_dir: Path, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    write(uploads / "alice.py", CORRECT)
    write(uploads / "autograde.toml", "[functions.scaled_sum]\npoints = 1\n")
    out = tmp_path / "grades"
    done = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(pack_dir), "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert f"course config {uploads / 'autograde.toml'} applied" in done.stderr
    assert "ignored autograde.toml" not in done.stderr  # the config is no student's upload
    report = json.loads((out / "reports" / "alice.json").read_text())
    assert (report["score"], report["max_score"]) == (5, 5)
    # Unchanged, the report stands; a changed config regrades, as a removed one does.
    again = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(pack_dir), "--jobs", "1")
    assert "1 of 1 already graded" in again.stderr, again.stderr
    write(uploads / "autograde.toml", "[functions.scaled_sum]\npoints = 2\n")
    changed = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(pack_dir), "--jobs", "1")
    assert "regraded: the course config changed" in changed.stderr, changed.stderr
    report = json.loads((out / "reports" / "alice.json").read_text())
    assert (report["score"], report["max_score"]) == (6, 6)
    (uploads / "autograde.toml").unlink()
    removed = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(pack_dir), "--jobs", "1")
    assert "regraded: the course config changed" in removed.stderr, removed.stderr


# ---- the CS224n pack, read from its manifest ---------------------------------------------------
def test_cs224n_manifest_carries_what_the_pack_carried() -> None:
    pack = load_pack("cs224n-a1")
    assert [(f.name, f.points, f.home, f.signature) for f in pack.functions] == [
        ("sigmoid", 10, "q2_sigmoid", "sigmoid(x)"),
        ("sigmoid_grad", 5, "q2_sigmoid", "sigmoid_grad(s)"),
        ("softmax", 15, "q1_softmax", "softmax(x)"),
        ("forward_backward_prop", 35, "q2_neural",
         "forward_backward_prop(data, labels, params, dimensions)"),
        ("negSamplingCostAndGradient", 35, "q3_word2vec",
         "negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10)")]
    assert pack.provided_modules == ("q2_gradcheck",)
    assert pack.layout == ("q2_sigmoid", "q1_softmax", "q2_neural", "q3_word2vec", "q2_gradcheck")
    assert pack.default_visibility == "visible"
    assert pack.known_answers == ROOT / "grader" / "packs" / "cs224n_a1" / "known_answers.json"
    assert pack.default_reference == ROOT / "reference"
    assert pack.student_template == ROOT / "student_template"
    assert pack.checks_dir == ROOT / "grader" / "packs" / "cs224n_a1" / "checks"
    # The tolerances the checks read are the numbers they always were (and one added, below).
    assert pack.tolerances == {"SIGMOID_FD_STEP": 1e-5, "SIGMOID_FD_ATOL": 1e-8}
    assert dict(tolerances.DEFAULTS) == {
        "KNOWN_VALUES_RTOL": 1e-5, "KNOWN_VALUES_ATOL": 1e-6, "REFERENCE_RTOL": 1e-7,
        "REFERENCE_ATOL": 1e-9, "IDENTITY_ATOL": 1e-10, "GRADCHECK_STEP": 1e-4,
        "GRADCHECK_RTOL": 1e-6,
        # added on purpose: the rounding float32 leaves, which comparisons with the reference
        # allow of the largest term a value sums (tol.reference_atol; README, Tolerances)
        "SCALE_RTOL": 1e-6}


def _expected(fixture: str) -> dict[str, float]:
    for line in (ROOT / "tests" / "fixtures" / "expected_scores.tsv").read_text().splitlines():
        name, *cells = line.split("\t")
        if name == fixture:
            return {k: float(v) for k, v in (cell.split("=") for cell in cells)}
    raise KeyError(fixture)


@pytest.mark.parametrize("fixture", ["correct_summed", "missing_softmax"])
def test_cs224n_from_its_manifest_scores_as_before(fixture: str) -> None:
    result = grading.grade_to_files(
        submission=ROOT / "tests" / "fixtures" / "submissions" / f"{fixture}.py",
        pack="cs224n-a1", options=Options())
    expected = _expected(fixture)
    assert result.score == expected.pop("score")
    assert {f.name: f.score for f in result.functions} == expected


# ---- the README's worked manifest and config stay true -----------------------------------------
def _readme_blocks() -> list[str]:
    import re
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Writing a pack"):text.index("## How it is built")]
    return re.findall(r"```toml\n(.+?)```", section, re.S)


def test_readme_manifest_and_config_load(tmp_path: Path) -> None:
    manifest, config, modes = _readme_blocks()
    folder = make_pack(tmp_path / "relu-pack", manifest)
    pack = load_pack(str(folder))
    assert [(f.name, f.points, f.home) for f in pack.functions] == [("relu", 4, "layers"),
                                                                   ("scaled_sum", 6, "layers")]
    assert pack.deadlines == {"call_seconds": 7} and pack.tolerances == {"REFERENCE_ATOL": 1e-3}
    assert pack.calls == {"scaled_sum": ("relu",)}
    assert pack.support_dir == (folder / "support").resolve()
    changed = load_pack(str(folder), write(tmp_path / "autograde.toml", config))
    assert [(f.name, f.points) for f in changed.functions] == [("relu", 20), ("scaled_sum", 6)]
    assert changed.visibility_of("relu", marker="visible") == "hidden"
    assert changed.visibility_of("scaled_sum") == "after_due_date"
    assert changed.deadlines == {"call_seconds": 7, "check_seconds": 30}
    modal = load_pack(str(make_pack(tmp_path / "modal", manifest + modes)))
    assert (list(modal.modes), modal.mode) == (["course", "exact"], "course")


def test_a_notebook_home_is_the_notebook_stem(tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "nb", MANIFEST.replace('home = "layers"\nvisibility',
                                                         'notebook = "hw1.ipynb"\nvisibility'))
    spec = load_pack(str(folder)).function("scaled_sum")
    assert (spec.home, spec.notebook) == ("hw1", "hw1.ipynb")
    bad = make_pack(tmp_path / "bad", MANIFEST.replace('home = "layers"\nvisibility',
                                                       'notebook = "../hw1.ipynb"\nvisibility'))
    with pytest.raises(ManifestError, match="`notebook` must be a file name"):
        load_pack(str(bad))


def test_outside_pack_known_answers_stand_in_for_its_reference(pack_dir: Path,
                                                               tmp_path: Path) -> None:
    made = run_cli("known-answers", "--pack", str(pack_dir), "--out",
                   str(pack_dir / "known_answers.json"))
    assert made.returncode == 0, made.stderr
    assert run_cli("known-answers", "--pack", str(pack_dir), "--check").returncode == 0
    # A student's copy: the pack's known_answers.json beside its manifest, no reference.
    good = grading.grade_to_files(submission=write(tmp_path / "layers.py", CORRECT),
                                  pack=str(pack_dir), options=Options(no_reference=True))
    bad = grading.grade_to_files(submission=write(tmp_path / "off.py", OFF_A_LITTLE),
                                 pack=str(pack_dir), options=Options(no_reference=True))
    assert good.inputs["answers"] == "known answers"
    assert (good.score, bad.score) == (10, 4)


# ---- a reference that fails its own pack's checks ----------------------------------------------
BUGGY_CHECK = ("def test_scaled_sum_matches_reference(student, reference):\n",
               "def test_scaled_sum_matches_reference(student, reference):\n"
               "    assert undefined_threshold > 0  # a typo in the check: errors on any upload\n")


@pytest.mark.parametrize("broken", ["wrong_reference", "check_that_errors"])
def test_a_reference_failing_its_own_checks_is_refused_before_a_class_is_graded_or_shipped(
        tmp_path: Path, broken: str) -> None:
    """A reference edited into a wrong answer, or a check with a bug of its own, graded every
    student of a batch (or of Gradescope, or of a student's copy) against it without a word:
    correct uploads lost points, a buggy one could score above them. batch, gradescope-zip and
    student-release grade the reference first and refuse, naming the check."""
    folder = make_pack(tmp_path / "p")
    if broken == "wrong_reference":
        reference = folder / "reference" / "layers.py"
        # Its own relu no longer gives the known values the pack's check holds.
        reference.write_text(REFERENCE.replace("np.maximum(x, 0.0)", "np.abs(x)"))
        named = "relu: relu_known_values (failed: "
    else:
        checks = folder / "checks" / "test_tiny.py"
        old, new = BUGGY_CHECK
        assert old in checks.read_text()
        checks.write_text(checks.read_text().replace(old, new, 1))
        named = "scaled_sum: scaled_sum_matches_reference (error: the grader itself failed"
    uploads = tmp_path / "class"
    uploads.mkdir()
    write(uploads / "alice.py", CORRECT)
    said = f"the reference at {folder / 'reference'} does not pass the checks of its own pack"
    batch = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(tmp_path / "out"))
    assert batch.returncode == 2, batch.stdout + batch.stderr
    assert said in batch.stderr and named in batch.stderr, batch.stderr
    assert "Traceback" not in batch.stderr and "usage:" not in batch.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    if broken == "wrong_reference":  # a class graded on another function is no one's concern
        other = run_cli("batch", str(uploads), "--pack", str(folder), "--out",
                        str(tmp_path / "other"), "--only", "scaled_sum")
        assert other.returncode == 0, other.stderr
    zipped = run_cli("gradescope-zip", str(tmp_path / "gs.zip"), "--pack", str(folder))
    assert zipped.returncode == 2 and said in zipped.stderr and named in zipped.stderr, zipped.stderr
    assert not (tmp_path / "gs.zip").exists()
    released = run_cli("student-release", str(tmp_path / "release"), "--pack", str(folder))
    assert released.returncode == 2 and said in released.stderr, released.stderr
    assert not (tmp_path / "release").exists()
    if broken == "check_that_errors":
        # Where the pack's own code raised, in one line: the grade's warning and the audit (which
        # said "details with --debug", an option it does not take, and named no check).
        line = next(i for i, text in enumerate(
            (folder / "checks" / "test_tiny.py").read_text().splitlines(), 1)
            if "undefined_threshold" in text)
        place = (f"grader problem: test_scaled_sum_matches_reference: NameError at test_tiny.py, "
                 f"line {line} (`assert undefined_threshold > 0  # a typo in the check: errors "
                 "on any upload`): name 'undefined_threshold' is not defined")
        graded = run_cli("grade", str(uploads / "alice.py"), "--pack", str(folder),
                         "--json", str(tmp_path / "r.json"))
        warnings = json.loads((tmp_path / "r.json").read_text())["warnings"]
        assert any(w.startswith(place) for w in warnings), warnings
        audited = run_cli("audit", "--pack", str(folder))
        assert audited.returncode == 1 and place in audited.stdout, audited.stdout
        assert "- scaled_sum: scaled_sum_matches_reference (error)" in audited.stdout
        # The check is what must change, not the reference ("The reference does not hold").
        assert audited.stdout.rstrip().endswith(
            "a check of the pack fails in the grader itself (its own code raised: fix the check; "
            f"`autograde grade {folder / 'reference'} --pack ... --debug` shows where). See "
            "above."), audited.stdout
        assert "The pack does not hold: a check of the pack fails" in audited.stdout


def test_a_reference_folder_the_manifest_names_and_lacks_is_said_not_ignored(tmp_path: Path) -> None:
    """`reference = "solution"` in pack.toml with no such folder (a typo, a solution not copied
    to the grading machine) was ignored: batch graded a correct class as students' copies, and
    other commands said no reference was found beside the grader."""
    folder = make_pack(tmp_path / "p", MANIFEST.replace(
        'provided_modules = []\n', 'provided_modules = []\nreference = "solution"\n', 1))
    missing = (folder / "solution").resolve()
    said = f"the pack's manifest names the reference folder {missing}, which does not exist"
    uploads = tmp_path / "class"
    uploads.mkdir()
    write(uploads / "alice.py", CORRECT)
    batch = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(tmp_path / "out"))
    assert batch.returncode == 2 and said in batch.stderr, batch.stderr
    audit = run_cli("audit", "--pack", str(folder))
    assert audit.returncode == 2 and said in audit.stderr, audit.stdout + audit.stderr
    assert "usage:" not in batch.stderr and not (tmp_path / "out" / "gradebook.csv").exists()
    graded = run_cli("grade", str(uploads / "alice.py"), "--pack", str(folder),
                     "--json", str(tmp_path / "r.json"))
    assert graded.returncode == 0, graded.stderr
    warnings = json.loads((tmp_path / "r.json").read_text())["warnings"]
    assert any(said in w for w in warnings), warnings
    for command in (["audit"], ["known-answers", "--check"],
                    ["gradescope-zip", str(tmp_path / "gs.zip")]):
        done = run_cli(*command, "--pack", str(folder))
        assert done.returncode == 2 and said in done.stderr, (command, done.stderr)
    # Told to grade without one, it does.
    done = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(tmp_path / "out2"),
                   "--no-reference")
    assert done.returncode == 0, done.stderr


def test_a_reference_in_a_file_of_another_name_is_told_which_file_is_read(tmp_path: Path) -> None:
    """A reference kept as reference/solution.py (or a notebook pack's as reference/hw3.ipynb)
    "lacked" functions it defines: the file looked for is reference/HOME.py."""
    folder = make_pack(tmp_path / "p")
    (folder / "reference" / "layers.py").rename(folder / "reference" / "solution.py")
    submission = write(tmp_path / "layers.py", CORRECT)
    done = run_cli("grade", str(submission), "--pack", str(folder), "--json", str(tmp_path / "r.json"))
    # Refused, as a batch refuses it (tests/test_pack_reference_in_reports.py), in one line.
    assert done.returncode == 2, done.stderr
    assert "the reference (reference/) lacks relu, scaled_sum: it has no layers.py, the file " \
           "the pack's functions are read from (it holds solution.py)" in done.stderr, done.stderr


def test_the_markers_a_misspelling_is_matched_against_are_those_registered() -> None:
    """The suggestion for a misspelt marker (`point` -> `points`) reads plugin.MARKERS, which must
    be exactly the markers register_markers gives pytest."""
    from grader import plugin

    class Config:
        lines: list[str] = []

        def addinivalue_line(self, name: str, line: str) -> None:
            assert name == "markers"
            self.lines.append(line)

    config = Config()
    plugin.register_markers(config)  # type: ignore[arg-type]
    assert tuple(line.split(":")[0].split("(")[0] for line in config.lines) == plugin.MARKERS


def test_a_catalogue_that_raises_is_one_line_with_its_place(tmp_path: Path) -> None:
    """A module the checks import that raises (a mistake id with a space in the pack's catalogue)
    was pytest's whole traceback flattened into one 2,000-character line per check module; a
    misspelt marker came with a false "no check grades relu"."""
    folder = make_pack(tmp_path / "p")
    (folder / "tiny_inputs.py").write_text((folder / "tiny_inputs.py").read_text()
                                           + "\n\nraise ValueError('a broken helper')\n")
    done = run_cli("grade", str(folder / "reference" / "layers.py"), "--pack", str(folder))
    assert done.returncode == 2, done.stderr
    line = len((folder / "tiny_inputs.py").read_text().splitlines())
    assert f"  - test_tiny.py: tiny_inputs.py, line {line}: ValueError: a broken helper\n" \
        in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "no check grades" not in done.stderr
    misspelt = make_pack(tmp_path / "q")
    checks = misspelt / "checks" / "test_tiny.py"
    checks.write_text(checks.read_text().replace("@pytest.mark.points(", "@pytest.mark.point(", 1))
    done = run_cli("grade", str(misspelt / "reference" / "layers.py"), "--pack", str(misspelt))
    assert done.returncode == 2
    assert "'point' not found in `markers` configuration option (did you mean " \
           "@pytest.mark.points?" in done.stderr, done.stderr
    assert "no check grades" not in done.stderr


def test_a_release_of_a_pack_without_known_answers_says_what_students_lose(tmp_path: Path) -> None:
    """Written without a word, the students' copy then ran only the checks that need no
    reference."""
    folder = make_pack(tmp_path / "p")
    done = run_cli("student-release", str(tmp_path / "release"), "--pack", str(folder))
    assert done.returncode == 0, done.stderr
    assert "the pack tiny-layers has no known answers: a student's copy can run only the checks " \
           "that need no reference" in done.stderr, done.stderr


def test_a_built_in_packs_reference_missing_from_an_installed_grader_is_no_warning(tmp_path: Path) -> None:
    """A built-in pack's manifest names the source checkout's reference, outside the package: an
    installed grader (every student's copy) never has it, and every student's grade warned
    "the pack's manifest names the reference folder .../site-packages/reference, which does not
    exist". An outside pack's missing folder is still said (the test above)."""
    from dataclasses import replace

    from grader import reference as reference_mod
    from grader.packs import load_pack
    installed = replace(load_pack("cs224n-a1"), reference_named=tmp_path / "site-packages" / "reference")
    assert reference_mod.missing_named(installed) == ""
    outside = make_pack(tmp_path / "p", MANIFEST.replace(
        'provided_modules = []\n', 'provided_modules = []\nreference = "solution"\n', 1))
    assert "which does not exist" in reference_mod.missing_named(load_pack(outside))


def test_a_batch_with_no_reference_at_all_is_refused_not_graded_as_students_copies(tmp_path: Path) -> None:
    """An instructor's installed grader has no reference beside it: a batch given none graded the
    class against the known answers (public inputs only, the reference's own checks skipped)
    without a word."""
    folder = make_pack(tmp_path / "p")
    shutil.rmtree(folder / "reference")
    uploads = tmp_path / "class"
    uploads.mkdir()
    write(uploads / "alice.py", CORRECT)
    batch = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(tmp_path / "out"))
    assert batch.returncode == 2, batch.stderr
    assert ("no reference solution found beside the grader (an installed one has none); give "
            "--reference DIR (or set $AUTOGRADE_REFERENCE), or --no-reference to grade with the "
            "known answers") in batch.stderr, batch.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


# A check of the pack's own with a bug only some correct answers reach: `.item()` exists on the
# reference's numpy float, not on a Python float (probe s55). The batch's check of the reference
# passes it; a correct upload returning a float met "the grader itself failed ... not your fault"
# with its points taken, and the batch named it nowhere (the overview counted it a failed check).
ITEM_CHECK = """\
import numpy as np
import pytest


@pytest.mark.function("scaled_sum")
@pytest.mark.points(1)
def test_scaled_sum_is_one_number(student):
    student(np.ones(3)).item()
"""

# Calls relu from a check of scaled_sum without @pytest.mark.uses("relu").
CALLS_ANOTHER_CHECK = """\
import numpy as np
import pytest


@pytest.mark.function("scaled_sum")
@pytest.mark.points(1)
def test_scaled_sum_of_relu(student, reference):
    x = np.array([-1.0, 2.0])
    assert student(student.other("relu")(x)) == reference.scaled_sum(reference.relu(x))
"""


def test_a_check_calling_another_function_unmarked_is_told_the_marker_to_add(
        tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "p")
    (folder / "checks" / "test_other.py").write_text(CALLS_ANOTHER_CHECK)
    result = grading.grade_to_files(submission=folder / "reference" / "layers.py",
                                    pack=str(folder))
    (check,) = [c for c in result.checks if c.name == "scaled_sum_of_relu"]
    assert check.grader_error and check.status == "error", check
    # Where the pack's author reads the check's own error: the grader problems' warning.
    assert any("a check of scaled_sum may not call relu: mark the check "
               "@pytest.mark.uses('relu') to let it" in w for w in result.warnings), result.warnings
    # Marked, it runs and passes.
    (folder / "checks" / "test_other.py").write_text(CALLS_ANOTHER_CHECK.replace(
        "@pytest.mark.points(1)\n", "@pytest.mark.points(1)\n@pytest.mark.uses(\"relu\")\n"))
    result = grading.grade_to_files(submission=folder / "reference" / "layers.py",
                                    pack=str(folder))
    assert {c.name: c.status for c in result.checks}["scaled_sum_of_relu"] == "passed"


RETURNS_A_FLOAT = CORRECT.replace("return np.sum(x) * scale()", "return float(np.sum(x) * scale())")


def test_a_check_that_fails_in_the_grader_is_named_to_the_instructor_and_graded_again(
        tmp_path: Path) -> None:
    import csv
    folder = make_pack(tmp_path / "p")
    broken = folder / "checks" / "test_item.py"
    broken.write_text(ITEM_CHECK)
    uploads = tmp_path / "class"
    uploads.mkdir()
    write(uploads / "floaty.py", RETURNS_A_FLOAT)
    write(uploads / "numpyish.py", CORRECT)
    out = tmp_path / "out"
    env = {"AUTOGRADE_CACHE_DIR": "off"}
    first = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(out), env=env)
    assert first.returncode == 0, first.stderr
    assert ("1 check failed in the grader itself, not in the students' code, in 1 of 2 uploads: "
            "scaled_sum/scaled_sum_is_one_number for 1 (test_scaled_sum_is_one_number: "
            "AttributeError at test_item.py, line 8") in first.stderr
    rows = {r["submission"]: r for r in csv.DictReader((out / "gradebook.csv").read_text().splitlines())}
    assert rows["floaty"]["grader_problems"] == "scaled_sum/scaled_sum_is_one_number"
    assert rows["numpyish"]["grader_problems"] == ""
    report = json.loads((out / "reports" / "floaty.json").read_text())
    (check,) = [c for c in report["checks"] if c["name"] == "scaled_sum_is_one_number"]
    assert check["grader_error"] and check["status"] == "error" and check["score"] == 0
    assert "its points are withheld until the check is fixed" in check["message"]
    assert not any(c["grader_error"] for c in report["checks"] if c is not check)
    overview = (out / "index.html").read_text()
    assert "failed in the grader itself" in overview
    # Not among the class's failures: the students' answers are not what failed.
    assert "scaled_sum_is_one_number" not in overview.split("failed in the grader itself")[1] \
        .split("Most failed checks")[-1].split("Pass rate")[0]
    # Run again as it stands: the undecided upload is graded again, the other kept.
    again = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(out), env=env)
    assert "floaty: " in again.stderr and "(regraded: a check failed in the grader itself when " \
        "it was graded)" in again.stderr
    assert "1 of 2 already graded, unchanged since" in again.stderr, again.stderr
    # The check fixed: every upload is graded again, with the pack as it now is.
    broken.write_text(ITEM_CHECK.replace("student(np.ones(3)).item()",
                                         "float(student(np.ones(3)))"))
    fixed = run_cli("batch", str(uploads), "--pack", str(folder), "--out", str(out), env=env)
    assert fixed.stderr.count("(regraded: the pack's checks or the reference changed)") == 2, \
        fixed.stderr
    assert "in the grader itself" not in fixed.stderr
    rows = {r["submission"]: r for r in csv.DictReader((out / "gradebook.csv").read_text().splitlines())}
    assert {s: (r["score"], r["grader_problems"]) for s, r in rows.items()} == {
        "floaty": ("10", ""), "numpyish": ("10", "")}


def test_a_pack_without_a_reference_or_known_answers_says_what_it_could_not_check(
        tmp_path: Path) -> None:
    """An instructor's pack folder without reference/ was graded as a student's copy with no
    word: 9 of 20, `warnings: []` (probe s55)."""
    folder = make_pack(tmp_path / "p")
    shutil.rmtree(folder / "reference")
    upload = write(tmp_path / "layers.py", CORRECT)
    shutil.copytree(folder / "support", tmp_path, dirs_exist_ok=True)
    report = tmp_path / "r.json"
    graded = run_cli("grade", str(upload), "--pack", str(folder), "--json", str(report))
    assert graded.returncode == 0, graded.stderr
    warnings = json.loads(report.read_text())["warnings"]
    assert any("reference not used: pack tiny-layers has no reference solution here" in w
               and "no known answers (known_answers.json)" in w for w in warnings), warnings
    # A student's copy says nothing of a reference it is not meant to have.
    plain = run_cli("grade", str(upload), "--pack", str(folder), "--no-reference", "--json",
                    str(report))
    assert plain.returncode == 0 and not any(
        "no reference solution here" in w for w in json.loads(report.read_text())["warnings"])


def test_known_answers_that_no_longer_hold_are_not_shipped(pack_dir: Path, tmp_path: Path) -> None:
    """A check edited after `known-answers --out` shipped in student-release and gradescope-zip
    with exit 0 and no word, where `known-answers --check` said they no longer hold (probe s55):
    every student's copy would ask other inputs than the instructor's grader."""
    answers = pack_dir / "known_answers.json"
    assert run_cli("known-answers", "--pack", str(pack_dir), "--out", str(answers)).returncode == 0
    inputs = pack_dir / "tiny_inputs.py"
    inputs.write_text(inputs.read_text().replace("np.array([-1.0, 0.0, 2.0])]",
                                                 "np.array([-1.0, 0.0, 2.0]), np.ones(5)]"))
    for command, out in (("student-release", tmp_path / "release"),
                         ("gradescope-zip", tmp_path / "autograder.zip")):
        refused = run_cli(command, str(out), "--pack", str(pack_dir))
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert (f"autograde {command}: the pack's known answers ({answers}) do not hold for its "
                "checks") in refused.stderr and "known-answers --pack" in refused.stderr
        assert not out.exists()
    # The audit blamed the reference for them ("The reference does not hold").
    audited = run_cli("audit", "--pack", str(pack_dir))
    assert audited.returncode == 1 and audited.stdout.rstrip().endswith(
        "The pack does not hold: the known answers do not hold (`autograde known-answers --out` "
        "makes them again). See above."), audited.stdout
    assert run_cli("known-answers", "--pack", str(pack_dir), "--out", str(answers)).returncode == 0
    shipped = run_cli("student-release", str(tmp_path / "release"), "--pack", str(pack_dir))
    assert shipped.returncode == 0 and "do not hold" not in shipped.stderr, shipped.stderr


def test_audit_names_a_check_that_a_function_which_only_raises_passes(tmp_path: Path) -> None:
    """A check comparing the reference with itself, or swallowing the student's exception, gave
    points to a function that raises or returns a string; audit said "The reference holds", and
    grading the template hid it (an unimplemented function scores 0 outright; probe s55)."""
    folder = make_pack(tmp_path / "p")
    (folder / "checks" / "test_itself.py").write_text(
        "import numpy as np\nimport pytest\n\n\n"
        "@pytest.mark.function('relu')\n@pytest.mark.points(1)\n"
        "def test_relu_swallows(student, reference):\n"
        "    try:\n        student(np.ones(3))\n    except Exception:\n        pass\n")
    done = run_cli("audit", "--pack", str(folder))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- relu: relu_swallows (a stand-in that raises, 1.34 points)" in done.stdout, done.stdout
    assert "- relu: relu_swallows (a stand-in that returns None, 1.34 points)" in done.stdout
    # It passes a wrong answer too: it asks the reference, a values check that cannot fail.
    assert "- relu: relu_swallows (a values check that a stand-in passes: it answers wrongly" \
        in done.stdout
    assert done.stdout.rstrip().endswith(
        "The pack does not hold: a check passes functions that only raise or return None; a "
        "values check passes a wrong answer of the right type and shape. See above.")
    (folder / "checks" / "test_itself.py").unlink()
    fine = run_cli("audit", "--pack", str(folder))
    assert fine.returncode == 0 and "stand-ins: every check fails functions that only raise or " \
        "return None" in fine.stdout, fine.stdout


# ---- an upload of another pack ------------------------------------------------------------------
FIXTURES = ROOT / "tests" / "fixtures"
# The cbow lecture notebook as a probe uploaded it to a CS224n class (probe s59): relu and
# softmax, with the lecture's parameters, which are cbow's and pa6's alike.
LECTURE_CELLS = ["import numpy as np\n",
                 "def relu(z):\n    return np.maximum(0, z)\n",
                 "def softmax(z):\n    e = np.exp(z)\n    return e / np.sum(e, axis=0)\n"]


def _notebook(path: Path, cells: list[str]) -> Path:
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {},
                                           "outputs": [], "execution_count": None}
                                          for c in cells],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_another_packs_upload_is_told_which_pack_it_looks_like(tmp_path: Path) -> None:
    """The cbow notebook graded as CS224n scored 0 with no word of the wrong assignment (probe
    s59). Read with the parser: a file, a notebook, a folder and a zip of it."""
    from grader import other_pack
    cs224n = load_pack("cs224n-a1")
    told = other_pack.warning(cs224n, FIXTURES / "cbow" / "correct.ipynb")
    assert told.startswith("this looks like the cbow pack's notebook, not cs224n-a1's: grade it "
                           "with --pack cbow. It defines 10 of cbow's 10 graded functions "
                           "(get_windows, "), told
    assert "and none of the 5 graded here" in told, told
    assert other_pack.warning(cs224n, FIXTURES / "pa6" / "correct.py").startswith(
        "this looks like the pa6 pack's file, not cs224n-a1's: grade it with --pack pa6.")
    assert other_pack.warning(load_pack("cbow"), FIXTURES / "submissions" / "correct_summed.py"
                              ).startswith("this looks like the cs224n-a1 pack's file")
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(FIXTURES / "onelayer" / "correct.py", folder / "mine.py")
    assert "--pack onelayer" in other_pack.warning(cs224n, folder)
    shutil.make_archive(str(tmp_path / "upload"), "zip", tmp_path, "upload")
    assert "--pack onelayer" in other_pack.warning(cs224n, tmp_path / "upload.zip")
    # The lecture's two functions fit cbow and pa6 alike: both are named.
    lecture = _notebook(tmp_path / "C2_W4_lecture.ipynb", LECTURE_CELLS)
    assert other_pack.warning(cs224n, lecture) == (
        "this looks like the notebook of another pack than cs224n-a1 (cbow or pa6): grade it with "
        "--pack cbow or --pack pa6. It defines relu and softmax, graded functions of the cbow "
        "and pa6 packs, with their parameters, and none of the 5 graded here; the points below "
        "are cs224n-a1's.")


@pytest.mark.parametrize("pack", ["cs224n-a1", "cbow", "pa6", "onelayer"])
def test_a_packs_own_uploads_are_never_told_they_look_like_another(pack: str,
                                                                   tmp_path: Path) -> None:
    """Every fixture of a pack, right or wrong, graded with its own pack; and a CS224n student
    who wrote softmax alone beside a relu helper of their own."""
    from grader import other_pack
    folder = FIXTURES / ("submissions" if pack == "cs224n-a1" else pack.split("-")[0])
    uploads = [p for p in folder.rglob("*") if p.suffix in (".py", ".ipynb")
               and not p.name.startswith("make_")]
    assert uploads
    told = {p.name: other_pack.warning(load_pack(pack), p) for p in uploads}
    assert not any(told.values()), told
    partial = tmp_path / "hw1.py"
    partial.write_text("import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n\n"
                       "def softmax(x):\n    e = np.exp(x - x.max(axis=-1, keepdims=True))\n"
                       "    return e / e.sum(axis=-1, keepdims=True)\n")
    assert other_pack.warning(load_pack("cs224n-a1"), partial) == ""


def test_what_an_upload_defines_is_read_never_run(tmp_path: Path) -> None:
    """The decision reads the code's trees in the grading process: an upload whose top level
    would write a file (or stop the process) does neither."""
    from grader import other_pack
    marker = tmp_path / "ran"
    source = (FIXTURES / "cbow" / "correct.py").read_text()
    hostile = tmp_path / "hostile.py"
    hostile.write_text(f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(3)\n" + source)
    assert "--pack cbow" in other_pack.warning(load_pack("cs224n-a1"), hostile)
    assert not marker.exists()


def test_another_packs_notebook_is_said_first_in_every_view_and_in_the_overview(
        tmp_path: Path) -> None:
    """End to end: `autograde grade that.ipynb` with the default pack says it first on the
    terminal, in the HTML and the JSON, its points unchanged; a batch's overview lists it apart
    and leaves its softmax out of the class's mistakes."""
    from conftest import run_cli
    notebook = shutil.copy(FIXTURES / "cbow" / "correct.ipynb", tmp_path / "that.ipynb")
    proc = run_cli("grade", str(notebook), "--json", str(tmp_path / "r.json"),
                   "--html", str(tmp_path / "r.html"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["warnings"][0].startswith("this looks like the cbow pack's notebook"), report[
        "warnings"]
    assert report["score"] == 0
    terminal = proc.stdout.splitlines()
    assert terminal[1].startswith("  ! this looks like the cbow pack's notebook"), terminal[:4]
    assert 'id="another-pack"' in (tmp_path / "r.html").read_text()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "submissions" / "correct_summed.py", uploads / "alice.py")
    _notebook(uploads / "wes_78901_44444_C2_W4_lecture.ipynb", LECTURE_CELLS)
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (out / "index.html").read_text()
    listed = page.split('id="another-pack-list">', 1)[1].split("</ul>", 1)[0]
    assert "wes" in listed and "--pack cbow or --pack pa6" in listed, listed
    mistakes = page.split('id="mistakes"', 1)[1].split('id="identical"', 1)[0]
    assert "normalises columns" not in mistakes, mistakes


def test_an_upload_with_a_function_right_here_is_not_told_it_looks_like_another(
        tmp_path: Path) -> None:
    """A q1_softmax.py holding a relu(z) helper and a right softmax(z) fits cbow's and pa6's
    names and parameters: it was told it "looks like the file of another pack ... none of the 5
    graded here", above `ok softmax 15 / 15` (recheck probe s60)."""
    from conftest import grade
    upload = tmp_path / "q1_softmax.py"
    upload.write_text("import numpy as np\n\ndef relu(z):\n    return np.maximum(z, 0)\n\n"
                      "def softmax(z):\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                      "    return e / e.sum(axis=-1, keepdims=True)\n")
    report = grade(upload, tmp_path / "out", "--only", "softmax")
    assert report["score"] == 15, report["score"]
    assert not [w for w in report["warnings"] if "looks like" in w], report["warnings"]
