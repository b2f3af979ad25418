"""audit.forked: work in a forked child, its result or its exception back, never left behind."""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

from audit import forked


@pytest.fixture
def forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forking allowed here: pytest-xdist's worker runs a thread of its own (the work in these
    tests takes no lock it could hold); and the sequential switch off."""
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    monkeypatch.delenv(forked.PROCESSES_ENV, raising=False)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_result_comes_back_from_another_process(forkable: None) -> None:
    with forked.forked(lambda: (os.getpid(), [1, 2.5, "three"])) as child:
        assert child is not None
        pid, value = child.result()
    assert pid == child.pid != os.getpid()
    assert value == [1, 2.5, "three"]
    assert _gone(child.pid)


def test_the_childs_exception_is_raised_here_with_its_errno(forkable: None) -> None:
    def full_disk() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "report.json")

    with forked.forked(full_disk) as child, pytest.raises(OSError) as raised:
        assert child is not None
        child.result()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == "report.json"
    assert any("raised in the writer process" in note for note in raised.value.__notes__)


def test_an_exception_that_does_not_travel_keeps_its_type_and_message(forkable: None) -> None:
    class Local(Exception):  # a local class cannot be pickled
        pass

    def fails() -> None:
        raise Local("template missing")

    with forked.forked(fails) as child, pytest.raises(forked.ChildFailed, match="Local: template"):
        assert child is not None
        child.result()


def test_a_child_killed_without_a_word_is_an_error(forkable: None) -> None:
    with forked.forked(lambda: time.sleep(30)) as child:
        assert child is not None
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(forked.ChildFailed, match="killed by SIGKILL"):
            child.result()


@pytest.mark.parametrize("leaving", [RuntimeError, KeyboardInterrupt])
def test_leaving_the_block_early_kills_the_child(
    forkable: None, leaving: type[BaseException]
) -> None:
    with pytest.raises(leaving), forked.forked(lambda: time.sleep(30)) as child:
        assert child is not None
        raise leaving()
    assert _gone(child.pid)


def test_the_child_ignores_ctrl_c_which_the_parent_handles(forkable: None) -> None:
    with forked.forked(lambda: time.sleep(0.5) or "done") as child:
        assert child is not None
        time.sleep(0.1)
        os.kill(child.pid, signal.SIGINT)  # what a Ctrl-C sends the whole process group
        assert child.result() == "done"


def test_one_process_when_asked_or_with_other_threads(
    forkable: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert forked.usable()
    monkeypatch.setenv(forked.PROCESSES_ENV, "1")
    with forked.forked(os.getpid) as child:
        assert child is None
    monkeypatch.delenv(forked.PROCESSES_ENV)
    monkeypatch.setattr(forked.threading, "active_count", lambda: 2)
    assert not forked.usable()


def test_nothing_is_left_in_a_directory_when_the_child_fails(
    forkable: None, tmp_path: Path
) -> None:
    """The parent's clean-up runs after the child is gone: no file appears afterwards."""
    target = tmp_path / "late"

    def writes_late() -> None:
        time.sleep(0.3)
        target.write_text("too late")

    with pytest.raises(RuntimeError), forked.forked(writes_late):
        raise RuntimeError("the parent failed first")
    time.sleep(0.5)
    assert not target.exists()
