"""A pack's checks configured and collected once, then run for grade after grade.

pytest.main configures pytest and its plugins and collects the pack's checks on every call: about
95 ms of CPU, the same work for every submission of a batch (a warm grade of a correct upload is
about 0.8 CPU-s). A process that grades many submissions (a batch's graders, a test run) keeps
one pytest session per pack and set of arguments: configured and collected at its first grade;
then each grade runs the items of its chosen checks through pytest's own protocol, as
pytest.main's loop does. A grade's last item runs as the session's last (nextitem None), so pytest
tears every fixture down, module and session scope included: nothing a check set up for one
submission is there for the next. The reports are those pytest.main gives (tests/test_replay.py
grades every fixture in one warm grader, and compares with a grade of its own for each).

Not kept: for a pack outside the grader's package, whose modules are forgotten after each grade
(grader/packs/imports.py) while collected checks would hold on to them; for `--debug`, which shows
pytest's own output and summary; and when the checks cannot be collected (pytest.main then says
why, as before).
"""
from __future__ import annotations

import atexit
import io
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Callable

import pytest

from grader import plugin

# Tests turn it off to grade the way pytest.main does.
ENABLED = True

# pytest.main's return for a run with no item (its ExitCode.NO_TESTS_COLLECTED), and for a run
# that broke inside pytest or a plugin (ExitCode.INTERNAL_ERROR): session.grade words each.
NO_TESTS_COLLECTED = 5
INTERNAL_ERROR = 3


class _Session:
    """One configured pytest with the pack's checks collected."""

    def __init__(self, args: list[str], plugins: list[Any]) -> None:
        # pytest's own first steps (pytest.main: _prepareconfig, then wrap_session). Its
        # terminal writes to this buffer for the session's life, never to a grade's streams.
        from _pytest.config import _prepareconfig
        self.output = io.StringIO()
        self.usable = False
        self._configured = False
        with redirect_stdout(self.output), redirect_stderr(self.output):
            self.config = _prepareconfig(list(args), list(plugins))
            self._configured = True  # from here on, close() unconfigures
            try:
                self.session = pytest.Session.from_config(self.config)
                self.config._do_configure()
                self.config.hook.pytest_sessionstart(session=self.session)
                self.config.hook.pytest_collection(session=self.session)
            except BaseException:
                self.close()
                raise
        # Every check, not the session's items: a first grade with --only left the others
        # deselected, and every later grade of the process ran its functions alone (10 of 100).
        self.items: list[pytest.Item] = list(self.config.stash.get(plugin.ALL_ITEMS,
                                                                   self.session.items))
        self.usable = bool(self.items) and not self.session.testsfailed

    def run(self, state: plugin.GradingState) -> int:
        """Run this grade's checks; pytest.main's exit code (0: ran, whatever the verdicts)."""
        items = plugin.for_this_grade(self.config, self.items, state)
        self.output.seek(0)
        self.output.truncate()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and isinstance(getattr(reporter, "stats", None), dict):
            reporter.stats.clear()  # it keeps every report of the session's life otherwise
        if not items:
            return NO_TESTS_COLLECTED
        before = os.environ.get("PYTEST_VERSION")
        os.environ["PYTEST_VERSION"] = pytest.__version__  # as pytest.main sets it, for its run
        try:
            for index, item in enumerate(items):
                nextitem = items[index + 1] if index + 1 < len(items) else None
                item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        finally:
            if before is None:
                os.environ.pop("PYTEST_VERSION", None)
            else:
                os.environ["PYTEST_VERSION"] = before
        return 0

    def close(self) -> None:
        """pytest.main's last steps; what cannot be torn down any more is left."""
        self.usable = False
        if not self._configured:
            return
        self._configured = False
        with redirect_stdout(self.output), redirect_stderr(self.output):
            try:
                if hasattr(self, "session"):
                    self.session._setupstate.teardown_exact(None)
            except BaseException:  # noqa: BLE001 (a session broken mid-grade is dropped)
                pass
            try:
                if hasattr(self, "session"):
                    self.config.hook.pytest_sessionfinish(session=self.session, exitstatus=0)
            except BaseException:  # noqa: BLE001
                pass
            try:
                self.config._ensure_unconfigure()
            except BaseException:  # noqa: BLE001
                pass


_kept: dict[tuple, _Session] = {}
# Keys whose checks could not be collected into a session: not tried again on every grade.
_refused: set[tuple] = set()


def run(key: tuple, args: list[str], plugins: Callable[[], list[Any]],
        state: plugin.GradingState) -> int | None:
    """Run a grade's checks in the session kept for `key` (made now if there is none); None when
    no session can be kept for them (the caller runs pytest.main). Call it where pytest.main
    would be called: the pack importable, the grade's input set and tolerances in force.

    Any exception a grade's run raises (an interrupt, above all) drops the session: it may have
    stopped with fixtures set up; the next grade makes another."""
    if not ENABLED or key in _refused:
        return None
    kept = _kept.get(key)
    if kept is None:
        close_all()  # one kept at a time: a process grades one pack with one set of options
        try:
            kept = _Session(args, plugins())
        except Exception:  # noqa: BLE001 (pytest.main says what is wrong with the checks)
            _refused.add(key)
            return None
        if not kept.usable:
            kept.close()
            _refused.add(key)
            return None
        _kept[key] = kept
    try:
        return kept.run(state)
    except Exception:  # noqa: BLE001 (pytest.main returns INTERNAL_ERROR for what escapes it)
        sys.stderr.write(traceback.format_exc())  # the grade's own sink, as pytest.main's
        _kept.pop(key, None)
        kept.close()
        return INTERNAL_ERROR
    except BaseException:
        _kept.pop(key, None)
        kept.close()
        raise


def close_all() -> None:
    for key in list(_kept):
        _kept.pop(key).close()


atexit.register(close_all)


def output() -> str:
    """What pytest wrote during the last grade a kept session ran."""
    return next(iter(_kept.values())).output.getvalue() if _kept else ""

