"""The index follower (`flask search follow`) as a child of gunicorn's master: started when the master is
ready, started again when it dies (killed, out of memory), stopped with the master. gunicorn.conf.py uses it.

It runs in a process group of its own, so that stopping or restarting it also ends the writing processes a
rebuild forks (left waiting, they would hold nothing, but they would linger), and it leaves by itself when the
master dies without stopping it (`--exit-with-parent`)."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)
STOP_WAIT_SECONDS = 20
FIRST_DELAY_SECONDS, LONGEST_DELAY_SECONDS = 1.0, 30.0  # between restarts of a follower that keeps dying
RAN_WELL_SECONDS = 60  # a follower that ran this long before dying is restarted at once


class FollowerProcess:
    def __init__(self, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "flask", "--app", "app", "search", "follow",
                                   "--exit-with-parent"]
        self.process: subprocess.Popen | None = None
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
                self.process = subprocess.Popen(self.command, env=os.environ.copy(), start_new_session=True)
                self.starts += 1
            started = time.monotonic()
            self.process.wait()  # gunicorn's master may reap it first: then the exit code is unknown
            _end_group(self.process.pid)  # what it forked (a rebuild's writers) goes with it
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
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()  # it finishes the round it is in
            try:
                process.wait(timeout=STOP_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        if process is not None:
            _end_group(process.pid)
        self._watch.join(timeout=5)


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
