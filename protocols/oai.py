"""OAI-PMH 2.0 at /oai: other systems harvest the catalog's records as oai_dc or MARCXML, by GET or POST.

Each record is an item `oai:<OAI_REPOSITORY_ID>:<record id>` in the set of its library; its datestamp is when
an import last changed it, and a deleted record stays as a deleted header (deletedRecord: persistent).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Flask, Response, current_app, request, url_for
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy.orm import Session

import database
from catalog.export import stored_record
from catalog.models import utcnow
from protocols import oai_records, oai_xml
from protocols.oai_dc import dublin_core
from protocols.oai_request import (BadArgument, BadResumptionToken, BadVerb, IdDoesNotExist, NoRecordsMatch,
                                   OAIError, checked_request, datestamp, encode_token, metadata_prefix, next_page,
                                   oai_identifier, record_id, selection)
from security import csrf

bp = Blueprint("oai", __name__)
# A harvester's POST is a read like its GET and carries no session: there is nothing for another site to forge.
csrf.exempt(bp)

CONTENT_TYPE = "text/xml; charset=utf-8"
DEFAULT_REPOSITORY_ID = "mucluc.lhtv-bmt.vn"
DEFAULT_NAME = "Mục lục liên hợp — Liên hiệp Thư viện Bắc Miền Trung"
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class Repository:
    name: str
    base_url: str
    identifier: str  # repositoryIdentifier of the oai-identifier scheme
    admin_email: str
    page_size: int


def init_app(app: Flask) -> None:
    repository_id = os.environ.get("OAI_REPOSITORY_ID", DEFAULT_REPOSITORY_ID)
    app.config.setdefault("OAI_REPOSITORY_ID", repository_id)
    app.config.setdefault("OAI_REPOSITORY_NAME", os.environ.get("OAI_REPOSITORY_NAME", DEFAULT_NAME))
    app.config.setdefault("OAI_ADMIN_EMAIL", os.environ.get("OAI_ADMIN_EMAIL", f"admin@{repository_id}"))
    app.config.setdefault("OAI_PAGE_SIZE", int(os.environ.get("OAI_PAGE_SIZE", DEFAULT_PAGE_SIZE)))
    app.register_blueprint(bp)


@bp.route("/oai", methods=["GET", "POST"])
def endpoint():
    arguments = request.form if request.method == "POST" else request.args
    return Response(answer(database.session(), arguments, repository()), content_type=CONTENT_TYPE)


def repository() -> Repository:
    config = current_app.config
    return Repository(config["OAI_REPOSITORY_NAME"], url_for("oai.endpoint", _external=True),
                      config["OAI_REPOSITORY_ID"], config["OAI_ADMIN_EMAIL"], max(1, int(config["OAI_PAGE_SIZE"])))


def answer(db: Session, args, repo: Repository) -> bytes:
    """The whole OAI-PMH answer to one request (a MultiDict of its arguments), errors included."""
    now = datestamp(utcnow())
    echoed: dict[str, str] = {}
    try:
        verb, arguments = checked_request(args)
        echoed = {"verb": verb, **arguments}
        content = VERBS[verb](db, arguments, repo)
    except OAIError as problem:
        # The protocol echoes the request's arguments, except when they were not a valid request at all.
        if isinstance(problem, (BadVerb, BadArgument)):
            echoed = {}
        content = oai_xml.error(problem.code, problem.message)
    root = oai_xml.envelope(now, repo.base_url, echoed)
    root.append(content)
    return oai_xml.document(root)


# --- the verbs ----------------------------------------------------------------------------------------------------

def identify(db: Session, _arguments: dict, repo: Repository) -> etree._Element:
    earliest = oai_records.earliest_datestamp(db) or utcnow()
    return oai_xml.identify(repo.name, repo.base_url, repo.admin_email, datestamp(earliest), repo.identifier,
                            oai_identifier(repo.identifier, 1))


def list_metadata_formats(db: Session, arguments: dict, repo: Repository) -> etree._Element:
    if "identifier" in arguments:  # every record has both formats; only its existence is in question
        _existing(db, repo, arguments["identifier"], with_marc=False)
    return oai_xml.metadata_formats()


def list_sets(db: Session, arguments: dict, _repo: Repository) -> etree._Element:
    if "resumptionToken" in arguments:  # every set fits in the first answer: no token was ever given out
        raise BadResumptionToken(_("Mã tiếp tục (resumptionToken) không hợp lệ."))
    return oai_xml.sets(oai_records.library_sets(db))


def get_record(db: Session, arguments: dict, repo: Repository) -> etree._Element:
    prefix = metadata_prefix(arguments["metadataPrefix"])
    found = _existing(db, repo, arguments["identifier"], with_marc=True)
    return oai_xml.wrapped("GetRecord", [_record(found, prefix, repo)], None)


def list_items(verb: str, db: Session, arguments: dict, repo: Repository) -> etree._Element:
    """One page of ListRecords or ListIdentifiers, with the token of the next page."""
    chosen = selection(arguments)
    items = oai_records.page(db, chosen, repo.page_size, with_marc=verb == "ListRecords")
    if not items:
        raise NoRecordsMatch(_("Không có bản ghi nào khớp với các điều kiện đã cho."))
    more, items = len(items) > repo.page_size, items[:repo.page_size]
    token = None
    if more or chosen.after:  # a list that fits in one answer has no token; the last page of a longer one an empty one
        following = encode_token(next_page(chosen, items[-1].id, len(items))) if more else None
        token = oai_xml.resumption_token(following, oai_records.list_size(db, chosen), chosen.cursor)
    if verb == "ListIdentifiers":
        return oai_xml.wrapped(verb, [_header(item, repo) for item in items], token)
    return oai_xml.wrapped(verb, [_record(item, chosen.prefix, repo) for item in items], token)


VERBS: dict[str, Callable[[Session, dict, Repository], etree._Element]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": partial(list_items, "ListIdentifiers"),
    "ListRecords": partial(list_items, "ListRecords"),
}


def _existing(db: Session, repo: Repository, identifier: str, with_marc: bool) -> oai_records.Item:
    found = oai_records.item(db, record_id(repo.identifier, identifier), with_marc)
    if found is None:
        raise IdDoesNotExist(_("Không có bản ghi mang định danh này trong kho."))
    return found


def _header(item: oai_records.Item, repo: Repository) -> etree._Element:
    return oai_xml.header(oai_identifier(repo.identifier, item.id), datestamp(item.updated_at), item.library,
                          item.deleted)


def _record(item: oai_records.Item, prefix: str, repo: Repository) -> etree._Element:
    if item.deleted:
        return oai_xml.record(_header(item, repo), None)
    if prefix == "marc21":
        return oai_xml.record(_header(item, repo), oai_xml.marcxml(item.marc))
    return oai_xml.record(_header(item, repo), oai_xml.dublin_core(dublin_core(stored_record(item.marc))))
