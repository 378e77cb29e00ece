"""The README's commands stay true: the example grades as documented and CI runs the test command."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

from conftest import ROOT, by_function, grade


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_install_and_grade_then_install_and_test():
    grade_cmd, test_cmd = readme_commands()
    assert grade_cmd.startswith("python -m pip install") and "autograde grade examples/" in grade_cmd
    assert test_cmd.startswith("python -m pip install") and "pytest" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_readme_example_runs(tmp_path):
    grade_cmd, _ = readme_commands()
    argv = grade_cmd.split("&&")[1].split()
    exe = shutil.which("autograde")
    command = [exe, *argv[1:]] if exe else [sys.executable, "-m", "grader", *argv[1:]]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "total" in proc.stdout and "What went wrong" in proc.stdout


def test_bundled_example_shows_its_two_documented_mistakes(tmp_path):
    report = grade(ROOT / "examples" / "submission.py", tmp_path)
    fns = by_function(report)
    assert [f for f in fns if fns[f]["score"] < fns[f]["max_score"]] == [
        "forward_backward_prop", "negSamplingCostAndGradient"]
    hints = " ".join(c["hint"] for c in report["checks"])
    assert "averaged over the examples but the gradient is summed" in hints
    assert "re-draw" in hints
    assert any("xrange" in w for w in report["warnings"])


def test_the_count_of_recognised_mistakes_is_the_catalogues():
    """"... N in all, listed in grader/packs/cs224n_a1/hints.py": the mistakes that cost points
    (warnings are listed apart)."""
    from grader.packs.cs224n_a1.hints import HINTS
    said = re.search(r"\.\.\. (\d+) in all,\s+listed in `grader/packs/cs224n_a1/hints\.py`",
                     (ROOT / "README.md").read_text())
    assert said, "the README no longer says how many mistakes the grader recognises"
    assert int(said[1]) == sum(1 for m in HINTS.values() if m.severity != "warning")


def test_the_worked_check_runs_as_the_readme_writes_it(tmp_path):
    """"Writing a check" shows one whole check: added to the pack the README's own `new-pack`
    command writes, with the mistake the README says to add to the catalogue that command wrote,
    it passes the reference and names the mistake it looks for. (It imported a `relu_hints`
    that new-pack never writes, probe s61.)"""
    import json
    import shlex

    from test_packs import run_cli as run_pack_cli

    readme = (ROOT / "README.md").read_text()
    code = re.search(r"\*\*Writing a check\.\*\*.*?```python\n(.*?)```", readme, re.S)
    assert code, "the README no longer shows a worked check"
    command = re.search(r"^autograde new-pack (\S+) (.+)$", readme, re.M)
    mistake = re.search(r"`(Mistake\(\"relu_abs\",.*?\))`", readme, re.S)
    assert command and mistake, "the README no longer shows how the worked check's pack is made"
    pack = tmp_path / command.group(1)
    made = run_pack_cli("new-pack", str(pack), *shlex.split(command.group(2)))
    assert made.returncode == 0, made.stderr
    catalogue = re.search(r"^from (\w+) import HINTS", code.group(1), re.M).group(1)
    hints = pack / f"{catalogue}.py"
    assert hints.is_file(), (catalogue, sorted(p.name for p in pack.glob("*.py")))
    written = hints.read_text()
    kept = "instead.\"),\n"
    assert kept in written, written
    hints.write_text(written.replace(kept, kept + "    " + " ".join(mistake.group(1).split())
                                     + ",\n"))
    checks = pack / "checks" / "test_relu.py"
    checks.write_text(checks.read_text() + "\n\n" + code.group(1))
    (pack / "reference" / "layers.py").write_text(
        "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0.0)\n\n\n"
        "def scaled_sum(x):\n    return np.sum(x) * 3.0\n")
    (tmp_path / "abs.py").write_text("import numpy as np\n\ndef relu(x):\n    return np.abs(x)\n\n"
                                     "def scaled_sum(x):\n    return np.sum(x) * 3.0\n")
    reports = {}
    for name, upload in (("reference", pack / "reference" / "layers.py"), ("abs", tmp_path / "abs.py")):
        out = tmp_path / f"{name}.json"
        done = run_pack_cli("grade", str(upload), "--pack", str(pack), "--json", str(out))
        assert done.returncode == 0, done.stderr
        reports[name] = json.loads(out.read_text())
    assert reports["reference"]["score"] == reports["reference"]["max_score"]
    worked = next(c for c in reports["abs"]["checks"] if c["name"] == "relu_on_any_shape")
    assert worked["status"] == "failed" and worked["mistake"] == "relu_abs", worked


def test_the_gradescope_timeout_the_readme_gives_is_the_one_gradescope_zip_prints():
    """Step 2 said "about 5 minutes of deadlines ... below about 6 minutes", while gradescope-zip
    printed "up to 7 minutes here (import 10 s, checks 300 s, and 60 s for the rest)" (recheck
    probe s58): the README quotes what the command computes from the pack's deadlines."""
    from grader import cli, grade_command
    from grader.packs import load_pack
    limits = grade_command.Limits(**load_pack("cs224n-a1").deadlines)
    printed = cli._gradescope_timeout_advice(limits).split(": ")[0]
    said = " ".join((ROOT / "README.md").read_text().split())
    assert printed in said, printed
