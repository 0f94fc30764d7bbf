"""Records of a file read, decoded, mapped and written as normalized MARC: in this process or in workers.

Reading is the costly, pure part of an import (about four fifths of its time), so a large ISO 2709 file is
cut into batches of raw records that worker processes turn into mapped items, in file order, while this
process writes to the database. At most a few batches are in flight, so memory stays flat.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import BinaryIO

from catalog.iso2709 import Chunk, split_chunks
from catalog.marc_mapping import map_record
from catalog.marc_reader import read_chunk, read_items
from catalog.marc_writer import RecordTooLong, to_iso2709
from catalog.read_item import ReadItem, too_long_problem, unexpected_problem

BATCH = 500
# NUL and other C0 controls (tab, line breaks aside) and lone surrogates: no database stores them as text.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
CONTROL_PICTURES = 0x2400  # U+2400 ␀ is the picture of U+0000, and so on to U+241F
IN_FLIGHT_PER_WORKER = 2
PARALLEL_MIN_BYTES = 4 << 20  # below this, starting workers costs more than it saves
YOUNG_GENERATION_THRESHOLD = 50_000
DEFAULT_WORKERS = min(os.cpu_count() or 1, 4)  # what `flask catalog import` uses


def mapped_items(stream: BinaryIO, fmt: str, encoding: str | None, workers: int = 1,
                 size: int | None = None) -> Iterator[ReadItem]:
    """Yield every record of the file as a mapped item (data and marc set) or a problem, in file order.

    `fmt` is a format already decided (see marc_reader.detect_format).
    """
    if fmt == "iso2709" and workers > 1 and (size or 0) >= PARALLEL_MIN_BYTES:
        yield from _parallel(split_chunks(stream), encoding, workers)
    else:
        for item in read_items(stream, fmt, encoding):
            yield finish(item)


def relax_garbage_collection() -> None:
    """Collect young objects less often: reading makes millions of short-lived, acyclic objects."""
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 20, 100)


def finish(item: ReadItem) -> ReadItem:
    """Check, map and write a read record as stored MARC; anything unexpected rejects this record only."""
    if item.problem is not None or item.record is None:
        return _storable_rejection(item)
    try:
        problem = unstorable_text(item.record)
        if problem is None:
            marc = item.marc or to_iso2709(item.record)
            return replace(item, record=None, marc=marc, data=map_record(item.record))
    except RecordTooLong as error:
        problem = too_long_problem(error)
    except Exception as error:  # noqa: BLE001 - one odd record must not stop the file
        problem = unexpected_problem(error)
    return _storable_rejection(replace(item, record=None, problem=problem))


def _storable_rejection(item: ReadItem) -> ReadItem:
    """The reason and 001 of a rejected record as text every database stores (PostgreSQL refuses NUL).

    Reasons quote the record's own text and 001, which may hold the very control characters that broke it.
    """
    if item.problem is None:
        return item
    return replace(item, problem=visible_controls(item.problem),
                   control_number=item.control_number and visible_controls(item.control_number))


def visible_controls(text: str) -> str:
    """Control characters as their visible symbols (U+0000 as ␀), lone surrogates as �."""
    return UNSTORABLE.sub(_visible, text)


def _visible(match: re.Match) -> str:
    char = match.group()
    return chr(CONTROL_PICTURES + ord(char)) if char < " " else "\ufffd"


def unstorable_text(record) -> str | None:
    """Why a decoded record cannot be stored as text (NUL, control characters, lone surrogates), if it cannot."""
    for field in record.fields:
        values = [field.data or ""] if field.control_field else [value for _code, value in field.subfields]
        for value in values:
            bad = UNSTORABLE.search(value)
            if bad:
                return (f"Trường {field.tag} chứa ký tự không hợp lệ U+{ord(bad.group()):04X} "
                        "(ký tự điều khiển hoặc mã Unicode hỏng): hãy sửa biểu ghi ở hệ thống nguồn.")
    return None


def _read_batch(batch: list[tuple[int, Chunk]], encoding: str | None) -> list[ReadItem]:
    return [finish(read_chunk(position, chunk, encoding)) for position, chunk in batch]


def _parallel(chunks: Iterator[Chunk], encoding: str | None, workers: int) -> Iterator[ReadItem]:
    numbered = enumerate(chunks)
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers, initializer=relax_garbage_collection) as pool:
        pending: deque = deque()
        while batch := list(islice(numbered, BATCH)):
            pending.append(pool.apply_async(_read_batch, (batch, encoding)))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
