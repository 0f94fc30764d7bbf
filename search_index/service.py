"""Search as pages and the API see it: ids from the index, rows from the database."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from catalog.errors import CatalogError
from catalog.records import holdings_by_record, records_by_id
from search_index.highlight import highlight, query_words, snippet
from search_index.search import FACETS, search

MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 1000  # characters; a longer "query" is a pasted text, and costs seconds to parse
SORTS = ("relevance", "year", "title")


class InvalidSearch(CatalogError):
    code = 400


def search_catalog(db: Session, directory: str, params) -> dict:
    """The search API's answer for request parameters (a mapping with getlist, like request.args)."""
    page, per_page = _positive(params, "page", 1), _positive(params, "per_page", 20)
    if per_page > MAX_PER_PAGE:
        raise InvalidSearch(_("Mỗi trang tối đa %(max)s kết quả.", max=MAX_PER_PAGE))
    if len(params.get("q") or "") > MAX_QUERY_LENGTH:
        raise InvalidSearch(_("Câu tìm kiếm quá dài: tối đa %(max)s ký tự.", max=MAX_QUERY_LENGTH))
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        raise InvalidSearch(_("Cách sắp xếp không hợp lệ: chọn một trong %(sorts)s.", sorts=", ".join(SORTS)))
    filters = {name: params.getlist(name) for name in FACETS if params.getlist(name)}
    result = search(directory, params.get("q") or "", page=page, per_page=per_page, sort=sort, filters=filters,
                    year_from=_year(params, "year_from"), year_to=_year(params, "year_to"))
    ids = [hit.record_id for hit in result.hits]
    records, holdings = records_by_id(db, ids), holdings_by_record(db, ids)
    words = query_words(params.get("q") or "")
    return {
        "total": result.total, "page": page, "per_page": per_page,
        "hits": [_hit(hit, records[hit.record_id], holdings.get(hit.record_id, []), words)
                 for hit in result.hits if hit.record_id in records],
        "facets": {name: [{"value": value, "count": count} for value, count in values]
                   for name, values in result.facets.items()},
        "suggestion": result.suggestion,
    }


def _hit(hit, record, holdings, words) -> dict:
    return {
        "edition": hit.edition, "title": record.title, "authors": record.authors, "year": record.year,
        "publisher": record.publisher, "isbns": record.isbns,
        "records": [{"library": record.library.code, "control_number": record.control_number}],
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
