"""Run a short call inside another network namespace, on one thread kept for that.

A socket stays in the namespace it was created in, so reading a namespace over
netlink only needs its socket to be created there. ``setns(2)`` moves just the
calling thread; the scan's own threads must never move (a process they start, a
name they resolve, would then happen in the wrong namespace), so the move is made
by a thread of its own. Starting a thread per namespace cost ~0.3 ms, more than the
netlink dump itself; this module keeps one thread, which enters the namespace,
runs the call, returns to where it started and waits for the next one. It ends
after a short idle time, and if it cannot return home it ends at once, so it never
holds a namespace alive (a thread inside a namespace keeps it from being freed) nor
serves a call from the wrong place.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CLONE_NEWNET", "run_in", "setns"]

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_IDLE_S = 2.0


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace open at ``fd``.

    Raises:
        OSError: not permitted (``PermissionError``), or ``fd`` is no namespace.
    """
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class _Call:
    """One request: where, what, and its outcome once ``done`` is set."""

    __slots__ = ("done", "error", "fn", "path", "retry", "value")

    def __init__(self, path: str, fn: Callable[[], Any]) -> None:
        self.path, self.fn = path, fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.retry = False  # not served: its thread had to end; ask again


class _Entrant:
    """The namespace-entering thread and its queue (started on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def run(self, path: str, fn: Callable[[], T]) -> T:
        while True:
            call = _Call(path, fn)
            self._submit(call)
            call.done.wait()
            if not call.retry:
                break
        if call.error is not None:
            raise call.error
        value: T = call.value
        return value

    def _submit(self, call: _Call) -> None:
        with self._lock:  # the thread only leaves while holding this lock, with no call queued
            if self._thread is None or not self._thread.is_alive():
                # a new thread starts in its creator's namespace: this caller's, its home
                home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
                thread = threading.Thread(target=self._serve, args=(home,), name="netatlas-netns", daemon=True)
                try:
                    thread.start()
                except BaseException:
                    os.close(home)
                    raise
                self._thread = thread
            self._calls.put(call)

    def _serve(self, home: int) -> None:
        call: _Call | None = None
        try:
            while True:
                try:
                    call = self._calls.get(timeout=_IDLE_S)
                except queue.Empty:
                    with self._lock:
                        if self._calls.empty():
                            self._thread = None
                            return
                    continue
                if not self._one(call, home):
                    self._give_up()
                    return
        except BaseException as exc:  # a fault here must never leave a caller waiting
            error = OSError(f"the namespace-entering thread failed: {exc!r}")
            if call is not None and not call.done.is_set():
                call.error = error
                call.done.set()
            self._give_up()
        finally:
            os.close(home)

    @staticmethod
    def _one(call: _Call, home: int) -> bool:
        """Serve one call; False when this thread could not return home and must end."""
        try:
            # O_NONBLOCK: a FIFO put where a namespace should be must not stall every call
            fd = os.open(call.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            try:
                setns(fd)
            finally:
                os.close(fd)
        except BaseException as exc:  # not entered: still home
            call.error = exc
            call.done.set()
            return True
        try:
            call.value = call.fn()
        except BaseException as exc:  # handed to the caller's thread
            call.error = exc
        try:
            setns(home)
        except BaseException as exc:
            call.value, call.error = None, OSError(f"could not return from {call.path}: {exc}")
            call.done.set()
            return False
        call.done.set()
        return True

    def _give_up(self) -> None:
        """End this thread (stranded in another namespace, or broken), with no call lost.

        Calls still queued are handed back to their callers to be asked again; the
        next one starts a new thread from its caller's thread (a new thread starts in
        its creator's namespace, so never from this one).
        """
        with self._lock:
            while not self._calls.empty():
                call = self._calls.get_nowait()
                call.retry = True
                call.done.set()
            self._thread = None

    def reset(self) -> None:
        """After ``fork()``: the child has no such thread; start afresh."""
        self._lock = threading.Lock()
        self._calls = queue.SimpleQueue()
        self._thread = None


_ENTRANT = _Entrant()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ENTRANT.reset)


def run_in(netns_path: str, fn: Callable[[], T]) -> T:
    """``fn()`` called inside the network namespace at ``netns_path``; its result.

    The caller's thread never changes namespace. Calls are served one at a time, so
    ``fn`` should be short (create a socket, not read from it).

    Raises:
        OSError: ``netns_path`` is missing or no namespace, or entering it is not
            permitted (``PermissionError``); or whatever ``fn`` raised.
    """
    return _ENTRANT.run(netns_path, fn)
