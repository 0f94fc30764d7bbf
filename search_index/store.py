"""The index on disk: open or create it, write documents, and remember how far the change feed is applied."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from whoosh import index
from whoosh.writing import LockError

from search_index.schema import build_schema

WATERMARK = "watermark"


class IndexBusy(RuntimeError):
    """Another process is writing the index; its sync will bring our changes too."""


def open_index(directory: str):
    path = Path(directory)
    if index.exists_in(path):
        return index.open_dir(path)
    path.mkdir(parents=True, exist_ok=True)
    return index.create_in(path, build_schema())


def recreate(directory: str):
    """An empty index in place of the old one (rebuild)."""
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return index.create_in(path, build_schema())


def writer(ix, **options):
    try:
        return ix.writer(**options)
    except LockError:
        raise IndexBusy("Chỉ mục tìm kiếm đang được cập nhật bởi tiến trình khác.") from None


def read_watermark(directory: str) -> int:
    try:
        return int((Path(directory) / WATERMARK).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def write_watermark(directory: str, change_id: int) -> None:
    """Written after the index commit, atomically: a crash in between only re-applies some changes."""
    path = Path(directory) / WATERMARK
    temporary = path.with_suffix(".tmp")
    temporary.write_text(str(change_id))
    os.replace(temporary, path)
