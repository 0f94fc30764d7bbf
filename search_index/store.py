"""The index on disk: open or create it, write documents, and remember how far the change feed is applied.

INDEX_DIR holds one or more complete indexes side by side and a file CURRENT naming the one in
use. A rebuild writes a new index next to the current one and switches CURRENT when it is whole
(an atomic rename), so searches go on answering from the old index for the minutes a rebuild
takes, and a rebuild that crashes leaves the current index as it was.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import LockError

from search_index.pool import ChunkedPostingPool
from search_index.schema import build_schema

CURRENT = "CURRENT"
WATERMARK = "watermark"
REBUILT = "rebuilt-segments"  # the segments a rebuild wrote, one id per line: syncs never merge them
PREFIX = "index-"
SMALL_SEGMENT = 10_000  # documents
MERGE_SMALL_AT = 4  # small segments


BUSY = "Chỉ mục tìm kiếm đang được cập nhật bởi tiến trình khác."


class IndexBusy(RuntimeError):
    """Another process is writing the index; its sync will bring our changes too."""


class Codec(W3Codec):
    """Whoosh's codec without per-block length statistics: they cost a lookup per posting when a
    segment is written and serve only Whoosh's own block skipping, which searches here do not use."""
    length_stats = False


def active_path(directory: str) -> Path:
    """The index in use, created empty the first time."""
    root = Path(directory)
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        name = ""
    if name and index.exists_in(root / name):
        return root / name
    path = _new_index(root)
    _switch(root, path)
    return path


def open_index(directory: str):
    return _open(active_path(directory))


def _open(path: Path):
    """Whoosh's index at `path`, its files read rather than mapped: over a mapped file Whoosh copies each
    segment's whole term table into memory at every opening (BytesIO of the map), which made reopening the
    index after a change cost 0.1-0.2 s of CPU and a private copy of the term tables in every worker."""
    return FileStorage(str(path), supports_mmap=False).open_index()


def begin_rebuild(directory: str):
    """A new, empty index beside the current one: (its path, the Whoosh index)."""
    path = _new_index(Path(directory))
    return path, _open(path)


def finish_rebuild(directory: str, path: Path, watermark: int) -> None:
    """Make a finished rebuild the index in use, and remove the ones it replaces."""
    write_watermark(path, watermark)
    segments = _open(path)._segments()
    _replace_text(path / REBUILT, "".join(f"{segment.segment_id()}\n" for segment in segments))
    _switch(Path(directory), path)
    remove_others(directory, keep=path)


def abandon_rebuild(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_others(directory: str, keep: Path) -> None:
    """Indexes no longer in use. A process still searching one keeps its open files (POSIX), and
    sees the switch on its next search."""
    for other in Path(directory).glob(f"{PREFIX}*"):
        if other != keep and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def writer(ix, **options):
    try:
        return ix.writer(codec=Codec(), poolclass=ChunkedPostingPool, **options)
    except LockError:
        raise IndexBusy(BUSY) from None


def merge_small_segments(writer, segments):
    """Whoosh merge policy for syncs: fold the small segments that syncs leave behind into the one
    being written once there are several, and never those a rebuild wrote (Whoosh's own policy would,
    once there are many segments, and hold the writer lock for minutes). A rebuild's segments are known
    by name, not by size: its rounds write segments of a few thousand documents each, and merging them
    all on the first sync after a rebuild rewrote the whole index."""
    rebuilt = _rebuilt_segments(Path(writer.storage.folder))
    small = [segment for segment in segments
             if segment.segment_id() not in rebuilt and segment.doc_count_all() < SMALL_SEGMENT]
    if len(small) < MERGE_SMALL_AT:
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in small]


def _rebuilt_segments(path: Path) -> set[str]:
    try:
        return set((path / REBUILT).read_text().split())
    except FileNotFoundError:  # an index no rebuild wrote (the first, empty one, grown by syncs)
        return set()


def read_watermark(directory: str) -> int:
    return watermark_at(active_path(directory))


def watermark_at(path: Path) -> int:
    """The last change the index at `path` (one of INDEX_DIR's indexes) holds."""
    try:
        return int((path / WATERMARK).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def peek_watermark(directory: str) -> int:
    """The last change the index in use holds, without creating an index where there is none (0 then)."""
    root = Path(directory)
    try:
        name = (root / CURRENT).read_text().strip()
        return int((root / name / WATERMARK).read_text().strip() or 0) if name else 0
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return 0


def write_watermark(path: Path, change_id: int) -> None:
    """Note that the index at `path` holds every change up to `change_id`. Written after the index commit: a
    crash in between only re-applies some changes."""
    _replace_text(path / WATERMARK, str(change_id))


def version(directory: str, attempts: int = 3):
    """Which version of the index is in use: the index's name, its generation, and the table of
    contents' identity (so that an index written again from the start is seen as new)."""
    for _attempt in range(attempts - 1):
        try:
            return _version(Path(directory))
        except FileNotFoundError:  # a commit removed the table of contents just found: look again
            continue
    return _version(Path(directory))


def _version(root: Path):
    try:
        name = (root / CURRENT).read_text().strip()
        tocs = [entry for entry in os.scandir(root / name) if entry.name.endswith(".toc")]
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name or not tocs:
        return None
    latest = max(tocs, key=lambda entry: int(entry.name.rsplit("_", 1)[-1].split(".")[0]))
    status = latest.stat()  # FileNotFoundError when a commit has just replaced it
    return name, latest.name, status.st_ino, status.st_mtime_ns


def _new_index(root: Path) -> Path:
    path = root / f"{PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    index.create_in(path, build_schema())
    return path


def _switch(root: Path, path: Path) -> None:
    _replace_text(root / CURRENT, path.name)


def _replace_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
