"""A throw-away PostgreSQL cluster of the test's own, to stop and start while a server uses it.

Restarting the PostgreSQL that DATABASE_URL names would break every other test run using it at the time; a
private cluster (initdb in a temporary folder, its own port) is the same server software, restarted alone.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.server_process import free_port


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: the newest under /usr/lib/postgresql, else pg_ctl's on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl and (Path(pg_ctl).resolve().parent / "initdb").exists() else None


def why_not() -> str | None:
    """Why a private cluster cannot run here, or None when it can."""
    if binaries() is None:
        return "initdb and pg_ctl (PostgreSQL's server binaries) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run initdb as"
    return None


class PrivateCluster:
    """initdb, start, stop: a cluster in a temporary folder, trusting local connections, on a free port."""

    def __init__(self):
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="mll-pg-"))
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
        try:
            if self.user:
                shutil.chown(self.root, self.user, self.user)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale",
                      "--no-sync")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown, as `pg_ctlcluster … restart` does: open sessions are ended at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run([str(self.bin / program), *args], user=self.user, capture_output=True, text=True,
                              cwd=self.root, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}")
