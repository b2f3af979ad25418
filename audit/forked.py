"""One piece of work in a forked child process while the parent does its own.

Used to write the report's files in two processes on a machine with more than one CPU: the
child inherits the finished report (copy-on-write, nothing is serialized to hand it over) and
sends back only a small result, or the exception it raised. It is an optimisation, never a
behaviour: where it cannot be used (no ``fork``, one CPU, threads running, a fork that fails,
``CDC_PREFLIGHT_PROCESSES=1``), :func:`forked` yields None and the caller does the work itself.

The child never outlives the block: leaving it (an error, an interrupt) kills and reaps the
child, and a second Ctrl-C, which ends the parent at once, kills it first. The child ignores
SIGINT (a Ctrl-C reaches the whole process group; the parent decides) and dies of SIGTERM. Its
exception is raised again in the parent (an OSError keeps its errno, so a full disk reads as
one), with the child's traceback as a note for ``--debug``; a child that dies without a word
is a :class:`ChildFailed`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from audit import interrupt

T = TypeVar("T")

#: ``1`` keeps every step in one process (the sequential path, for comparisons and debugging).
PROCESSES_ENV = "CDC_PREFLIGHT_PROCESSES"


class ChildFailed(RuntimeError):
    """The child process ended without a result (killed, or it could not send one)."""


def usable() -> bool:
    """Whether a child may be forked here: Linux-like ``fork``, 2+ CPUs, no other thread (a
    thread holding a lock at the fork would leave it held forever in the child)."""
    if os.environ.get(PROCESSES_ENV) == "1" or not hasattr(os, "fork"):
        return False
    return _cpus() > 1 and threading.active_count() == 1


def _cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Child(Generic[T]):
    """A running child; :meth:`result` waits for it."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self._reader: int | None = reader
        self._reaped = False

    def result(self) -> T:
        """The child's return value; its exception raised here."""
        assert self._reader is not None, "result() once"
        with os.fdopen(self._reader, "rb") as pipe:
            self._reader = None
            payload = pipe.read()
        status = self._reap()
        if not payload:
            raise ChildFailed(f"the writer process ended without a result ({_ended(status)})")
        outcome, value, where = pickle.loads(payload)
        if outcome == "error":
            value.add_note(f"raised in the writer process (pid {self.pid}):\n{where}")
            raise value
        result: T = value
        return result

    def kill(self) -> None:
        """SIGKILL to the child unless it has been reaped (its pid may then be another's)."""
        if not self._reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Kill the child unless it has been reaped, then reap it."""
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None
        if not self._reaped:
            self.kill()
            self._reap()

    def _reap(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self._reaped = True
        return status


@contextlib.contextmanager
def forked(work: Callable[[], T]) -> Iterator[Child[T] | None]:
    """``work()`` in a child process, or None when that is not possible here (see the module
    doc); the child is gone when the block ends."""
    child = _start(work) if usable() else None
    if child is None:
        yield None
        return
    unregister = interrupt.on_second_signal(child.kill)
    try:
        yield child
    finally:
        child.stop()
        unregister()


def _start(work: Callable[[], T]) -> Child[T] | None:
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(Exception):
            stream.flush()
    reader, writer = os.pipe()
    # signals wait until the child has its own handlers (and the parent is past the fork)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, interrupt.SIGNALS)
    try:
        pid = os.fork()
    except OSError:  # out of processes or memory: the caller does the work itself
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:
        _child(work, reader, writer, mask)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(writer)
    return Child(pid, reader)


def _child(work: Callable[[], object], reader: int, writer: int, mask: set[int]) -> None:
    """Run ``work``, send its outcome down the pipe and end the process (never returns)."""
    code = 0
    try:
        os.close(reader)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            payload = pickle.dumps(("ok", work(), ""))
        except BaseException as exc:
            payload = _error_payload(exc)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _error_payload(exc: BaseException) -> bytes:
    where = "".join(traceback.format_exception(exc))
    try:
        payload = pickle.dumps(("error", exc, where))
        pickle.loads(payload)  # some exceptions pickle but cannot be made again from it
        return payload
    except Exception:  # an exception that does not travel: its type and message
        stand_in = ChildFailed(f"{type(exc).__name__}: {exc}")
        return pickle.dumps(("error", stand_in, where))


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
