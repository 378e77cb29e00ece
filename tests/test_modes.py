"""A pack's grading modes ([modes] in its manifest): the default, a course config's `mode`,
`--mode`, what checks read (grader.checks_api.mode), what every report says, and a batch that
regrades when the mode changes.

The pack is test_packs.py's tiny outside pack with a second way to grade relu: "course" (the
course's relu, max(x, 0)) and "leaky" (a leaky relu, 0.1 x below 0). The reference follows the
course, so it earns everything in one mode and loses relu's points in the other.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import checks_api, grading
from grader.packs import ManifestError, load_pack
from grader.render import gradescope, html, terminal
from tests.test_packs import CORRECT, MANIFEST, make_pack, run_cli, write

MODES = """
[modes]
default = "course"
[modes.course]
description = "relu is max(x, 0), as the course's notes write it."
[modes.leaky]
description = "relu leaks 0.1 x below 0."
"""

# Its expectation depends on the mode in force, read when the check runs.
MODE_CHECK = """\
import numpy as np
import pytest

from grader.checks_api import as_array, call_text, expect_close, mode


@pytest.mark.function("relu")
@pytest.mark.points(2)
@pytest.mark.published
def test_relu_in_the_mode_in_force(student):
    x = np.array([-2.0, 0.0, 3.0])
    call = call_text("relu", x)
    expected = np.where(x > 0, x, 0.1 * x) if mode() == "leaky" else np.maximum(x, 0.0)
    expect_close(as_array(student(x), call, x.shape), expected, call=call, rtol=0, atol=1e-12)
"""


@pytest.fixture
def modal_pack(tmp_path: Path) -> Path:
    folder = make_pack(tmp_path / "courses" / "modal", MANIFEST + MODES)
    (folder / "checks" / "test_mode.py").write_text(MODE_CHECK)
    return folder


def relu_statuses(result) -> dict[str, str]:
    return {c.name: c.status for c in result.checks if c.function == "relu"}


def test_manifest_modes_and_the_default(modal_pack: Path) -> None:
    pack = load_pack(str(modal_pack))
    assert list(pack.modes) == ["course", "leaky"]
    assert pack.mode == "course"
    assert pack.mode_description == "relu is max(x, 0), as the course's notes write it."
    assert pack.with_mode("leaky").mode == "leaky"
    with pytest.raises(ValueError, match=r"no mode 'exact' \(its modes: course, leaky\)"):
        pack.with_mode("exact")
    # A pack of one way has no mode, and says so when one is asked for.
    single = load_pack("cs224n-a1")
    assert (single.modes, single.mode) == ({}, "")
    with pytest.raises(ValueError, match="none: it grades one way"):
        single.with_mode("exact")


def test_the_mode_decides_the_verdict_and_every_report_names_it(modal_pack: Path,
                                                                 tmp_path: Path) -> None:
    reference = modal_pack / "reference" / "layers.py"
    course = grading.grade_to_files(submission=reference, pack=load_pack(str(modal_pack)))
    assert course.score == course.max_score, [(c.name, c.message) for c in course.checks]
    assert course.mode == {"name": "course",
                           "description": "relu is max(x, 0), as the course's notes write it."}
    leaky = grading.grade_to_files(submission=reference,
                                   pack=load_pack(str(modal_pack)).with_mode("leaky"))
    assert relu_statuses(leaky)["relu_in_the_mode_in_force"] == "failed"
    assert {f.name: f.score for f in leaky.functions}["scaled_sum"] == 6
    assert leaky.mode["name"] == "leaky"
    # The mode is read while grading only: nothing is left set afterwards.
    assert checks_api.mode() == ""
    sentence = "Graded in mode leaky: relu leaks 0.1 x below 0."
    assert sentence in terminal.render(leaky, color=False).replace("\n  ", " ")
    assert sentence in html.render(leaky)
    assert sentence in gradescope.summary(leaky)
    assert gradescope.results(leaky)["extra_data"]["mode"] == "leaky"
    # A pack of one way says nothing about modes.
    plain = grading.grade_to_files(submission=modal_pack / "reference" / "layers.py",
                                   pack=str(make_pack(tmp_path / "plain")))
    assert plain.mode == {} and "Graded in mode" not in terminal.render(plain, color=False)


def test_mode_from_the_command_line_and_from_a_course_config(modal_pack: Path,
                                                             tmp_path: Path) -> None:
    submission = write(tmp_path / "layers.py", CORRECT)
    out = tmp_path / "report.json"
    done = run_cli("grade", str(submission), "--pack", str(modal_pack), "--mode", "leaky",
                   "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["mode"]["name"] == "leaky"
    assert "Graded in mode leaky" in done.stdout
    config = write(tmp_path / "autograde.toml", 'mode = "leaky"\n')
    done = run_cli("grade", str(submission), "--pack", str(modal_pack), "--config", str(config),
                   "--json", str(out))
    assert json.loads(out.read_text())["mode"]["name"] == "leaky", done.stderr
    # The command line beats the config.
    done = run_cli("grade", str(submission), "--pack", str(modal_pack), "--config", str(config),
                   "--mode", "course", "--json", str(out))
    assert json.loads(out.read_text())["mode"]["name"] == "course", done.stderr
    # A mode the pack does not have: a usage error that lists the pack's modes.
    done = run_cli("grade", str(submission), "--pack", str(modal_pack), "--mode", "exact")
    assert done.returncode == 2
    assert "--mode exact: pack tiny-layers has no mode 'exact' (its modes: course, leaky)" \
        in done.stderr
    bad = write(tmp_path / "bad.toml", 'mode = "exact"\n')
    with pytest.raises(ManifestError, match="course config .*mode: pack tiny-layers has no mode"):
        load_pack(str(modal_pack), bad)


def test_packs_lists_the_modes(modal_pack: Path) -> None:
    done = run_cli("packs", env={"AUTOGRADE_PACKS": str(modal_pack.parent)})
    assert done.returncode == 0, done.stderr
    assert "mode course (default): relu is max(x, 0)" in done.stdout
    assert "mode leaky: relu leaks 0.1 x below 0." in done.stdout


@pytest.mark.parametrize("modes, message", [
    ('[modes]\ndefault = "course"\n', "[modes] lists no mode"),
    ('[modes]\ndefault = "fast"\n[modes.course]\ndescription = "x"\n',
     "`default` must name one of the modes (course), got 'fast'"),
    ('[modes]\ndefault = "course"\n[modes.course]\n', "`description` is required"),
    ('[modes]\ndefault = "course"\n[modes.course]\ndescription = "x"\nstrict = true\n',
     "[modes.course]: unknown key(s) strict"),
], ids=["none", "default", "description", "unknown-key"])
def test_mode_manifest_errors(tmp_path: Path, modes: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_pack(str(make_pack(tmp_path / "broken", MANIFEST + modes)))
    assert message in str(caught.value) and "pack.toml" in str(caught.value)


def test_batch_grades_in_the_mode_and_regrades_when_it_changes(modal_pack: Path,
                                                               tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    write(uploads / "alice.py", CORRECT)
    out = tmp_path / "grades"
    done = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(modal_pack),
                   "--jobs", "1", "--mode", "leaky")
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "reports" / "alice.json").read_text())
    assert report["mode"]["name"] == "leaky" and report["score"] < report["max_score"]
    again = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(modal_pack),
                    "--jobs", "1", "--mode", "leaky")
    assert "1 of 1 already graded" in again.stderr
    back = run_cli("batch", str(uploads), "--out", str(out), "--pack", str(modal_pack),
                   "--jobs", "1")
    assert "regraded: another grading mode" in back.stderr, back.stderr
    report = json.loads((out / "reports" / "alice.json").read_text())
    assert report["mode"]["name"] == "course" and report["score"] == report["max_score"]


def test_gradescope_zip_ships_the_mode_and_the_course_config(modal_pack: Path,
                                                            tmp_path: Path) -> None:
    import subprocess
    import zipfile

    from test_gradescope import autograde_shim, layout, valid

    config = write(tmp_path / "course.toml", "[functions.scaled_sum]\npoints = 2\n")
    out = tmp_path / "autograder.zip"
    done = run_cli("gradescope-zip", str(out), "--pack", str(modal_pack), "--mode", "leaky",
                   "--config", str(config))
    assert done.returncode == 0, done.stderr
    # The config moved the total: the Gradescope assignment must be worth what is graded.
    total = sum(f.points for f in load_pack(str(modal_pack), config).functions)
    assert f"make the assignment worth {total:g} points" in done.stdout, done.stdout
    with zipfile.ZipFile(out) as zf:
        assert zf.read("mode") == b"leaky\n"
        assert zf.read("course-config/course.toml") == config.read_bytes()
        zf.extractall(tmp_path / "source")
    source = tmp_path / "source"
    (source / "run_autograder").chmod(0o755)
    # setup.sh puts both where run_autograder looks by default; here the environment points there.
    setup = (source / "setup.sh").read_text()
    assert 'cp -R "$SOURCE/course-config" "$PREFIX/course-config"' in setup
    assert 'install -m 0644 "$SOURCE/mode" "$PREFIX/mode"' in setup
    upload = tmp_path / "up" / "layers.py"
    upload.parent.mkdir()
    write(upload, CORRECT)
    root = layout(tmp_path / "gs", [upload])
    shim = autograde_shim(tmp_path / "bin", pythonpath=source / "autograde")
    env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
           "AUTOGRADE_PREFIX": str(root / "installed"),
           "AUTOGRADE_REFERENCE": str(source / "reference"), "AUTOGRADE_PACK": str(source / "pack"),
           "AUTOGRADE_CONFIG": str(source / "course-config" / "course.toml"),
           "AUTOGRADE_MODE": (source / "mode").read_text().strip()}
    proc = subprocess.run([str(source / "run_autograder")], capture_output=True, text=True,
                          env=env, cwd="/", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = valid(json.loads((root / "results" / "results.json").read_text()))
    assert results["extra_data"]["mode"] == "leaky"
    assert "Graded in mode leaky" in results["output"]
    # relu (4 points) loses its leaky check; scaled_sum is worth the config's 2.
    assert results["score"] < 6 and results["extra_data"]["max_score"] == 6
    # A mode the pack does not have is refused before any zip is written.
    bad = run_cli("gradescope-zip", str(tmp_path / "bad.zip"), "--pack", str(modal_pack),
                  "--mode", "exact")
    assert bad.returncode == 2 and "has no mode 'exact'" in bad.stderr
    assert not (tmp_path / "bad.zip").exists()
