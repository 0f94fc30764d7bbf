"""The index follower (`flask search follow`) as a child of gunicorn's master: started when the master is
ready, started again when it dies (killed, out of memory), stopped with the master. gunicorn.conf.py uses it."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

log = logging.getLogger(__name__)
RESTART_DELAY_SECONDS = 1.0
STOP_WAIT_SECONDS = 20


class FollowerProcess:
    def __init__(self, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "flask", "--app", "app", "search", "follow"]
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.starts = 0
        self._watch = threading.Thread(target=self._keep_running, name="index-follower-watch", daemon=True)

    def start(self) -> FollowerProcess:
        self._watch.start()
        return self

    def _keep_running(self) -> None:
        while not self.stopping.is_set():
            self.process = subprocess.Popen(self.command, env=os.environ.copy())
            self.starts += 1
            code = self.process.wait()
            if not self.stopping.is_set():
                log.error("index follower exited with %s; starting it again", code)
                self.stopping.wait(RESTART_DELAY_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # it finishes the round it is in
        try:
            process.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
