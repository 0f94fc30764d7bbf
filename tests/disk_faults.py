"""Folders the application cannot write: a read-only mount (without root: no write permission) and a full disk
(a small tmpfs filled to its last byte). Mounting needs root; where it is refused the test skips, saying why."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

ROOT = os.geteuid() == 0


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"mount {' '.join(args)} failed")


def _unmount(path: Path) -> None:
    """Unmount what the test mounted there (os.path.ismount misses a folder bound onto itself)."""
    mounted = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for _mount_point in range(mounted.count(str(path))):
        subprocess.run(["umount", "-l", str(path)], check=True)


class ReadOnlyFolder:
    """A folder whose files stay readable while nothing can be written in it, until `recover()`."""

    error = "Read-only file system" if ROOT else "Permission denied"

    def __init__(self, path: Path):
        self.path = path

    def prepare(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def fail(self) -> None:
        if ROOT:  # root writes through any permission: make the folder a read-only mount of itself
            try:
                _mount("--bind", str(self.path), str(self.path))
                _mount("-o", "remount,bind,ro", str(self.path))
            except OSError as error:
                self.remove()
                pytest.skip(f"running as root, and a read-only bind mount is refused here: {error}")
        else:
            self._chmod(0o555)

    def recover(self) -> None:
        if ROOT:
            _mount("-o", "remount,bind,rw", str(self.path))
        else:
            self._chmod(0o755)

    def remove(self) -> None:
        if ROOT:
            _unmount(self.path)
        else:
            self._chmod(0o755)

    def _chmod(self, mode: int) -> None:
        for folder, _subfolders, _files in os.walk(self.path):
            os.chmod(folder, mode)


class FullDisk:
    """A small file system of its own for the folder, filled by one file until writing fails, until `recover()`."""

    error = "No space left on device"

    def __init__(self, path: Path, megabytes: int = 16):
        self.path, self.megabytes = path, megabytes
        self.filler = path / "filler"

    def prepare(self) -> None:
        if not ROOT:
            pytest.skip("a full disk is a small tmpfs mounted for the test, which needs root")
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            _mount("-t", "tmpfs", "-o", f"size={self.megabytes}m", "tmpfs", str(self.path))
        except OSError as error:
            pytest.skip(f"mounting a small tmpfs is refused here: {error}")

    def fail(self) -> None:
        handle = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        block = 1 << 20
        try:
            while block:
                try:
                    os.write(handle, b"\0" * block)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    block //= 2
        finally:
            os.close(handle)

    def recover(self) -> None:
        self.filler.unlink()

    def remove(self) -> None:
        _unmount(self.path)
