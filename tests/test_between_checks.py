"""No check's verdict depends on the checks before it: what one check's calls write to the
scratch folder (HOME, the working folder, the upload's own files) is put back before the next
check, and every process a check started and left is killed
(grader/worker/between_checks.py). Each submission below answers correctly unless it finds what
a call of another check left, so it loses points exactly when something outlived a check."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, by_function, grade_many
from grader.isolation import bwrap_problem

FINDS_FILES = '''
import os as _os

_SIZE_AT_IMPORT = _os.path.getsize(__file__)
_STATE = "0" * 64
with open("state.txt", "w") as _f:  # a file the import writes: it must stay as written
    _f.write(_STATE)
_CHECKS_SEEN = set()  # each check runs in a fork of its own: a process id of its own


def _left_by_another_check():
    if _os.getpid() in _CHECKS_SEEN:
        return None
    _CHECKS_SEEN.add(_os.getpid())
    if _os.path.getsize(__file__) != _SIZE_AT_IMPORT:
        return "the upload's own file was changed"
    if _os.path.exists("many") or _os.path.exists("locked0") or _os.path.exists("locked555"):
        return "a folder of another check"
    with open("state.txt") as f:
        if f.read() != _STATE:
            return "a file of the import, rewritten"
    for place in (_os.path.expanduser("~"), "."):
        if _os.path.exists(_os.path.join(place, ".diary")):
            return "a file in " + place
        with open(_os.path.join(place, ".diary"), "w") as f:
            f.write(str(_os.getpid()))
        _os.makedirs(_os.path.join(place, "cache", "deep"), exist_ok=True)
    with open(__file__, "a") as f:
        f.write("\\n# %d was here\\n" % _os.getpid())
    # Past what a walk of 1000 entries saw; a folder no one else may open or write into; a file
    # of the import rewritten at its size with its modification time set back.
    _os.makedirs("many", exist_ok=True)
    for i in range(1200):
        open(_os.path.join("many", "f%04d" % i), "w").close()
    for mode in (0o000, 0o555):
        _os.makedirs("locked%o" % mode, exist_ok=True)
        open(_os.path.join("locked%o" % mode, "diary"), "w").close()
        _os.chmod("locked%o" % mode, mode)
    st = _os.stat("state.txt")
    with open("state.txt", "w") as f:
        f.write("1" * st.st_size)
    _os.utime("state.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    _os.chmod(".", 0o500)  # no file can be made here any more, unless the mode is put back
    return None


def sigmoid(x):
    if _left_by_another_check():
        return x
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
'''


FINDS_PROCESSES = '''
import os as _os

_MINE = set()


def _left_by_another_check():
    for pid in _os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in _MINE:
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().strip() == "left-behind":
                        return True
            except OSError:
                pass
    if not _MINE:  # once a check: a detached process that outlives the call, and the check
        read, write = _os.pipe()
        if _os.fork() == 0:
            if _os.fork() == 0:  # its parent ends at once: it is nobody's child
                with open("/proc/self/comm", "w") as f:
                    f.write("left-behind")
                _os.write(write, str(_os.getpid()).encode())
                import time
                time.sleep(120)
            _os._exit(0)
        _os.close(write)
        _MINE.add(int(_os.read(read, 20)))
        _os.close(read)
    return False


def sigmoid(x):
    if _left_by_another_check():
        return x
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
'''


# Honest, if unusual: a data file of the upload read once and removed "to clean up". Each check
# starts from the import's state, so each finds it again (it scored 22 when it stayed removed).
READS_ONCE_AND_REMOVES = '''
import os as _os

_SCALE = []


def _scale():
    if not _SCALE:
        with open("scale.txt") as f:
            _SCALE.append(float(f.read()))
        _os.remove("scale.txt")
    return _SCALE[0]


def sigmoid(x):
    return _scale() / (1.0 + np.exp(-np.asarray(x, dtype=float)))
'''


@pytest.mark.parametrize("isolation", ["sandbox", "process"])
def test_no_check_finds_what_an_earlier_check_left(tmp_path, isolation):
    if isolation == "sandbox" and bwrap_problem() is not None:
        pytest.skip(f"no sandbox here: {bwrap_problem()}")
    base = (FIXTURES / "correct_summed.py").read_text()
    paths = {}
    for name, code in (("files", FINDS_FILES), ("processes", FINDS_PROCESSES)):
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(base + code)
    folder = paths["removes"] = tmp_path / "removes"
    folder.mkdir()
    (folder / "hw.py").write_text(base + READS_ONCE_AND_REMOVES)
    (folder / "scale.txt").write_text("1.0\n")
    reports = grade_many(paths, tmp_path / "out", "--isolation", isolation)
    for name, report in reports.items():
        sigmoid = by_function(report)["sigmoid"]
        assert report["isolation"]["mode"] == isolation
        assert sigmoid["score"] == sigmoid["max_score"] == 10, (name, [
            (c["name"], c["message"]) for c in report["checks"] if c["status"] != "passed"])
        assert report["score"] == 100, name
