"""SRU 1.2 at /sru: cataloguing systems search the union catalog in CQL and copy its records (MARCXML or DC).

HTTP GET only: a POST would need the forms' CSRF token, and no SRU client sends one. Every refusal is a
numbered diagnostic in a 200 answer, as the protocol wants (protocols/diagnostics.py).
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import Session

import database
from catalog.export import editions_marc_by_key
from protocols import diagnostics as d
from protocols import sru_xml
from protocols.cql_search import search_text
from search_index.search import Hit, search

bp = Blueprint("sru", __name__)

VERSION = "1.2"
VERSIONS = ("1.1", "1.2")  # 1.1 asks the same as 1.2 and is answered the same way
FIRST = 1  # positions in the result set count from 1
DEFAULT_RECORDS = 10
MAX_RECORDS = 100  # a client asking for more gets this many, and nextRecordPosition for the rest
CONTENT_TYPE = "text/xml; charset=utf-8"
NUMBER = re.compile(r"[0-9]{1,9}")
# Parameters asking for what this server does not do, and the diagnostic each gets.
REFUSED = {"recordXPath": d.XPATH_UNSUPPORTED, "sortKeys": d.SORT_NOT_SUPPORTED,
           "stylesheet": d.STYLESHEETS_NOT_SUPPORTED}
ECHOED = ("query", "startRecord", "maximumRecords", "recordPacking", "recordSchema")


@bp.get("/sru")
def sru():
    answer = respond(database.session(), current_app.config["INDEX_DIR"], request.args, _server())
    return Response(answer, content_type=CONTENT_TYPE)


def _server() -> sru_xml.Server:
    """Where this server is, for the explain record: as the client addressed it."""
    host, _colon, port = request.host.rpartition(":")
    if not NUMBER.fullmatch(port):
        host, port = request.host, ("443" if request.is_secure else "80")
    return sru_xml.Server(host, int(port), request.path.strip("/"))


def respond(db: Session, directory: str, params, server: sru_xml.Server) -> bytes:
    """The answer to an SRU request (params: a mapping like request.args); explain unless a query is given."""
    operation = params.get("operation") or ("searchRetrieve" if params.get("query") else "explain")
    failure = sru_xml.search_failure if operation == "searchRetrieve" else sru_xml.explain_failure
    version = params.get("version") or VERSION
    if version not in VERSIONS:  # answered in the version this server speaks, which the details name
        return failure(VERSION, d.Diagnostic(d.UNSUPPORTED_VERSION, VERSION))
    try:
        for name, number in REFUSED.items():
            if params.get(name):
                raise d.Diagnostic(number, params[name])
        if operation == "explain":
            return sru_xml.explain_response(version, server, _packing(params), (DEFAULT_RECORDS, MAX_RECORDS))
        if operation == "searchRetrieve":
            return sru_xml.search_response(search_retrieve(db, directory, params, version))
        raise d.Diagnostic(d.UNSUPPORTED_OPERATION, operation)
    except d.Diagnostic as diagnostic:
        return failure(version, diagnostic)


def search_retrieve(db: Session, directory: str, params, version: str) -> sru_xml.SearchAnswer:
    query = (params.get("query") or "").strip()
    if not query:
        raise d.Diagnostic(d.MANDATORY_PARAMETER_MISSING, "query")
    start = _number(params, "startRecord", FIRST, smallest=FIRST)
    count = min(_number(params, "maximumRecords", DEFAULT_RECORDS, smallest=0), MAX_RECORDS)
    echo = {"version": version} | {name: params[name] for name in ECHOED if params.get(name)}
    answer = sru_xml.SearchAnswer(version, 0, sru_xml.record_schema(params.get("recordSchema")), _packing(params),
                                  echo=echo)
    answer.total, hits = _hits(directory, search_text(query), start, count)
    if start > max(answer.total, FIRST):  # an empty result still has its first page
        answer.diagnostics.append(d.Diagnostic(d.FIRST_RECORD_OUT_OF_RANGE, str(start)))
        return answer
    answer.records = _records(db, hits, start)
    if hits and start + len(hits) <= answer.total:
        answer.next_position = start + len(hits)
    return answer


def _hits(directory: str, text: str, start: int, count: int) -> tuple[int, list[Hit]]:
    """The total and the hits at positions start..start+count-1 (from 1), read from at most two of the
    search's own pages: SRU starts anywhere, the search pages in steps of per_page."""
    size = max(count, 1)
    page, skip = divmod(start - 1, size)
    result = search(directory, text, page=page + 1, per_page=size)
    hits = list(result.hits)
    if skip and count:
        hits += search(directory, text, page=page + 2, per_page=size).hits
    return result.total, hits[skip:skip + count]


def _records(db: Session, hits: list[Hit], start: int) -> list[tuple[int, bytes | d.Diagnostic]]:
    """Each hit's MARC, as the edition export writes it (the union's record: the best description, an 852 for
    every holding library), read for the whole page at once; an edition gone since it was indexed is a
    diagnostic in its place, and the client still gets the others."""
    marcs = editions_marc_by_key(db, [hit.edition for hit in hits])
    return [(position, marcs.get(hit.edition) or d.Diagnostic(d.RECORD_DOES_NOT_EXIST, hit.edition))
            for position, hit in enumerate(hits, start)]


def _number(params, name: str, default: int, smallest: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    if not NUMBER.fullmatch(value) or int(value) < smallest:
        raise d.Diagnostic(d.UNSUPPORTED_PARAMETER_VALUE, name)
    return int(value)


def _packing(params) -> str:
    packing = params.get("recordPacking") or "xml"
    if packing not in sru_xml.PACKINGS:
        raise d.Diagnostic(d.UNSUPPORTED_RECORD_PACKING, packing)
    return packing
