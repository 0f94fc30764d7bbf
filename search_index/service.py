"""Search as pages and the API see it: ids from the index, rows from the database."""
from __future__ import annotations

from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.edition_read import editions_by_key
from catalog.errors import CatalogError
from catalog.export import Reader, editions_marc
from catalog.models import Edition
from catalog.records import holdings_by_record, merge_holdings
from search_index.highlight import highlight, query_words, snippet
from search_index.search import FACETS, matching_editions, search

MAX_PER_PAGE = 100
MAX_EXPORT = 10_000  # editions in one exported result set: a catalogue's worth, not the union's
MAX_QUERY_LENGTH = 1000  # characters; a longer "query" is a pasted text, and costs seconds to parse
SORTS = ("relevance", "year", "title")


class InvalidSearch(CatalogError):
    code = 400


def search_catalog(db: Session, directory: str, params) -> dict:
    """The search API's answer for request parameters (a mapping with getlist, like request.args)."""
    page, per_page = _positive(params, "page", 1), _positive(params, "per_page", 20)
    if per_page > MAX_PER_PAGE:
        raise InvalidSearch(_("Mỗi trang tối đa %(max)s kết quả.", max=MAX_PER_PAGE))
    result = search(directory, page=page, per_page=per_page, **_criteria(params))
    editions = editions_by_key(db, [hit.edition for hit in result.hits])
    holdings = holdings_by_record(db, [record.id for records in editions.values() for record in records])
    words = query_words(params.get("q") or "")
    return {
        "total": result.total, "page": page, "per_page": per_page,
        "hits": [_hit(hit, editions[hit.edition], merge_holdings(editions[hit.edition], holdings), words)
                 for hit in result.hits if hit.edition in editions],
        "facets": {name: [{"value": value, "count": count} for value, count in values]
                   for name, values in result.facets.items()},
        "suggestion": result.suggestion,
    }


def result_set_export(db: Session, directory: str, params) -> tuple[str, Reader]:
    """A search's editions (its first MAX_EXPORT) as an export: file name and reader."""
    keys = matching_editions(directory, limit=MAX_EXPORT, **_criteria(params))
    ids = dict(db.execute(select(Edition.key, Edition.id).where(Edition.key.in_(keys))).all()) if keys else {}
    return "ket-qua-tim-kiem", partial(editions_marc, edition_ids=[ids[key] for key in keys if key in ids])


def _criteria(params) -> dict:
    """What to search for, from request parameters: text, sort, facet filters, years; checked."""
    if len(params.get("q") or "") > MAX_QUERY_LENGTH:
        raise InvalidSearch(_("Câu tìm kiếm quá dài: tối đa %(max)s ký tự.", max=MAX_QUERY_LENGTH))
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        raise InvalidSearch(_("Cách sắp xếp không hợp lệ: chọn một trong %(sorts)s.", sorts=", ".join(SORTS)))
    return {"text": params.get("q") or "", "sort": sort,
            "filters": {name: params.getlist(name) for name in FACETS if params.getlist(name)},
            "year_from": _year(params, "year_from"), "year_to": _year(params, "year_to")}


def _hit(hit, records, holdings, words) -> dict:
    """One union entry: described by its best record, with every library's record and all copies."""
    record = records[0]
    return {
        "edition": hit.edition, "title": record.title, "authors": record.authors, "year": record.year,
        "publisher": record.publisher, "isbns": record.isbns,
        "records": [{"id": member.id, "library": member.library.code, "control_number": member.control_number}
                    for member in records],
        "holdings": [{"library": h.library, "name": h.name, "copies": h.copies} for h in holdings],
        "highlight": _highlight(record, words),
    }


def _highlight(record, words) -> dict:
    """Title, authors and a summary excerpt as HTML, escaped, the searched words in <mark>."""
    return {
        "title": highlight(record.title, words),
        "authors": [highlight(author, words) for author in record.authors],
        "summary": snippet(record.summary, words) if record.summary else None,
    }


def _positive(params, name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    if not str(value).isdigit() or int(value) < 1 or int(value) > 10_000:
        raise InvalidSearch(_("Tham số “%(name)s” phải là số nguyên dương.", name=name))
    return int(value)


def _year(params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not str(value).isdigit() or len(str(value)) > 4:
        raise InvalidSearch(_("Năm “%(value)s” không hợp lệ.", value=value))
    return int(value)
