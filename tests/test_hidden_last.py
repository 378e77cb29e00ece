"""A hidden check runs after every visible one: what a check's calls leave in the worker (here a
shared mapping made at import, which every check's fork shares) can reach a later check's
output, and a visible check's output must never show a hidden check's inputs (hostile probe
s62: a course secret's hidden inputs in a visible test's feedback on Gradescope). The report
keeps the pack's order whatever order the checks ran in."""
from __future__ import annotations

from conftest import FIXTURES, grade

DIARY = '''
import mmap as _mmap
_DIARY = _mmap.mmap(-1, 1 << 16)  # anonymous and shared: every check's fork writes the same pages


def _write(text):
    _DIARY.seek(0)
    _DIARY.write(text.encode()[:60000] + b"\\0")


def _read():
    _DIARY.seek(0)
    return _DIARY.read(60000).split(b"\\0", 1)[0].decode()


_sigmoid_of_file = sigmoid


def sigmoid(x):
    _write("SIGMOID SAW " + repr(x))
    return _sigmoid_of_file(x)


_softmax_of_file = softmax


def softmax(x):
    print("DIARY:", _read() or "empty")
    return _softmax_of_file(x)
'''


def test_a_visible_checks_output_never_holds_a_hidden_checks_inputs(tmp_path):
    upload = tmp_path / "diary.py"
    upload.write_text((FIXTURES / "correct_summed.py").read_text() + DIARY)
    config = tmp_path / "course.toml"
    config.write_text('[functions.sigmoid]\nvisibility = "hidden"\n')
    report = grade(upload, tmp_path / "out", "--config", str(config))
    assert report["score"] == 100
    visible = [c for c in report["checks"] if c["visibility"] == "visible"]
    shown = "\n".join(c["output"] for c in visible)
    assert "DIARY: empty" in shown  # softmax's checks printed the diary: it was empty then
    assert "SIGMOID SAW" not in shown
    # the report's order is the pack's: sigmoid's checks first, though they ran last
    assert report["checks"][0]["function"] == "sigmoid"
    assert [c["function"] for c in report["checks"]] == sorted(
        (c["function"] for c in report["checks"]),
        key=["sigmoid", "sigmoid_grad", "softmax", "forward_backward_prop",
             "negSamplingCostAndGradient"].index)
