"""The index follower (`flask search follow`) as a child of gunicorn's master: started when the master is
ready, started again when it dies (killed, out of memory), stopped with the master. gunicorn.conf.py uses it.

It runs in a session (process group) of its own, so that stopping or restarting it also ends the writing
processes a rebuild forks, and it leaves by itself when the master dies without stopping it
(`--exit-with-parent`). It is started with posix_spawn, not subprocess.Popen: Popen, called from this watching
thread, waits on a pipe that a worker forked by the master at the same moment can inherit, and was seen to hang
there; and it is watched by polling, because the master reaps every child it has."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)
STOP_WAIT_SECONDS = 20
POLL_SECONDS = 0.5
FIRST_DELAY_SECONDS, LONGEST_DELAY_SECONDS = 1.0, 30.0  # between restarts of a follower that keeps dying
RAN_WELL_SECONDS = 60  # a follower that ran this long before dying is restarted at once


class FollowerProcess:
    def __init__(self, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "flask", "--app", "app", "search", "follow",
                                   "--exit-with-parent"]
        self.pid: int | None = None
        self.stopping = threading.Event()
        self.starts = 0
        self._lock = threading.Lock()  # between starting a follower and stopping for good
        self._watch = threading.Thread(target=self._keep_running, name="index-follower-watch", daemon=True)

    def start(self) -> FollowerProcess:
        self._watch.start()
        return self

    def _keep_running(self) -> None:
        delay = FIRST_DELAY_SECONDS
        while True:
            with self._lock:
                if self.stopping.is_set():
                    return
                self.pid = os.posix_spawn(self.command[0], self.command, dict(os.environ), setsid=True)
                self.starts += 1
            started = time.monotonic()
            while _alive(self.pid):
                if self.stopping.wait(POLL_SECONDS):
                    return  # stop() ends it
            _end_group(self.pid)  # what it forked (a rebuild's writers) goes with it
            if self.stopping.is_set():
                return
            delay = FIRST_DELAY_SECONDS if time.monotonic() - started > RAN_WELL_SECONDS else delay
            log.error("index follower exited; starting it again in %.0f s", delay)
            if self.stopping.wait(delay):
                return
            delay = min(delay * 2, LONGEST_DELAY_SECONDS)

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            pid = self.pid
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGTERM)  # it finishes the round it is in
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        if pid is not None:
            _end_group(pid)
        self._watch.join(timeout=5)


def _alive(pid: int) -> bool:
    """Whether the child runs still; reaps it if it has ended (unless the master reaped it first)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # reaped by gunicorn's master
        return False
    return done == 0


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
