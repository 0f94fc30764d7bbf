"""The OAI-PMH client side (Sickle): ask a provider, and say in a librarian's words what went wrong if it fails."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

import requests
from flask_babel import gettext as _
from lxml import etree
from sickle import Sickle, oaiexceptions
from sickle.iterator import BaseOAIIterator, OAIItemIterator, OAIResponseIterator
from sickle.response import OAIResponse

from catalog.errors import HarvestError
from catalog.models import HARVEST_URL_LENGTH

OAI = "http://www.openarchives.org/OAI/2.0/"
TIMEOUT = 120  # seconds a provider may take to answer one page
DAY_GRANULARITY = "YYYY-MM-DD"
DATE_FORMATS = {"seconds": "%Y-%m-%dT%H:%M:%SZ", "day": "%Y-%m-%d"}
# No entities, no network: the answer comes from another system.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
SICKLE_ERRORS = tuple(error for error in vars(oaiexceptions).values()
                      if isinstance(error, type) and issubclass(error, Exception))


class NotOAI(Exception):
    """The answer is not an OAI-PMH document."""


@dataclass(frozen=True)
class Provider:
    url: str
    response_date: datetime  # of its Identify answer: naive UTC, by its clock
    day_granularity: bool

    def datestamp(self, moment: datetime) -> str:
        """A from argument the provider understands: day granularity leaves the time out."""
        return moment.strftime(DATE_FORMATS["day" if self.day_granularity else "seconds"])


def checked_url(url: str) -> str:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > HARVEST_URL_LENGTH:
        raise HarvestError(_("Địa chỉ OAI-PMH phải là một URL http:// hoặc https:// (ví dụ "
                             "https://koha.example/cgi-bin/koha/oai.pl)."))
    return url


def parse_utc(value: str) -> datetime:
    """A UTC date (YYYY-MM-DD) or date and time (YYYY-MM-DDThh:mm:ssZ) as a naive UTC datetime."""
    for shape in DATE_FORMATS.values():
        try:
            return datetime.strptime(value.strip(), shape)
        except ValueError:
            continue
    raise HarvestError(_("Ngày “%(value)s” không hợp lệ; dùng dạng YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ (giờ UTC).",
                         value=value))


def identify(url: str) -> Provider:
    """Who the provider is and what time it says it is; HarvestError for anything that is not OAI-PMH."""
    root = _asked(url, lambda: _client(url).harvest(verb="Identify").xml)
    error = root.find(f"{{{OAI}}}error")
    if error is not None:
        raise HarvestError(_oai_error(url, error.get("code", "?"), error.text))
    if root.find(f"{{{OAI}}}Identify") is None:
        raise HarvestError(_not_oai(url))
    try:
        moment = datetime.fromisoformat((root.findtext(f"{{{OAI}}}responseDate") or "").strip())
    except ValueError:
        raise HarvestError(_not_oai(url)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    granularity = (root.findtext(f"{{{OAI}}}Identify/{{{OAI}}}granularity") or "").strip()
    return Provider(url, moment, granularity == DAY_GRANULARITY)


def check_set(url: str, set_spec: str) -> None:
    """Refuse a set the provider does not have: it would answer with no records, as if nothing had changed."""
    sets = _asked(url, lambda: [item.setSpec for item in _client(url, OAIItemIterator).ListSets()])
    if set_spec not in sets:
        raise HarvestError(_("Nguồn %(url)s không có tập (set) “%(set)s”; có: %(sets)s.", url=url, set=set_spec,
                             sets=", ".join(sets[:30]) or "—"))


def list_records(url: str, arguments: dict[str, str]) -> Iterator[etree._Element]:
    """Every <record> of ListRecords, a page at a time, following resumption tokens; none for noRecordsMatch."""
    pages = _asked(url, lambda: _first_page(_client(url), arguments))
    while pages is not None and (page := _asked(url, lambda: next(pages, None))) is not None:
        yield from page.xml.iterfind(f"{{{OAI}}}ListRecords/{{{OAI}}}record")


def _first_page(client: Sickle, arguments: dict[str, str]) -> OAIResponseIterator | None:
    try:
        return client.ListRecords(**arguments)
    except oaiexceptions.NoRecordsMatch:  # nothing changed since: not an error
        return None


class _Response(OAIResponse):
    @cached_property
    def xml(self) -> etree._Element:
        """The answer parsed once, strictly; anything but an OAI-PMH document is refused."""
        try:
            root = etree.fromstring(self.http_response.content, PARSER)
        except etree.XMLSyntaxError:
            raise NotOAI() from None
        if root is None or root.tag != f"{{{OAI}}}OAI-PMH":
            raise NotOAI()
        return root


class _Client(Sickle):
    def harvest(self, **kwargs) -> _Response:
        response = super().harvest(**kwargs)
        checked = _Response(response.http_response, response.params)
        checked.xml  # noqa: B018 - refuse at once what is not OAI-PMH, before Sickle reads it leniently
        return checked


def _client(url: str, iterator: type[BaseOAIIterator] = OAIResponseIterator) -> _Client:
    return _Client(url, iterator=iterator, timeout=TIMEOUT)


def _asked(url: str, ask: Callable):
    """Ask the provider; whatever goes wrong becomes a HarvestError saying what."""
    try:
        return ask()
    except NotOAI:
        raise HarvestError(_not_oai(url)) from None
    except requests.HTTPError as error:
        raise HarvestError(_("Máy chủ %(url)s trả lời mã HTTP %(code)s: đây có đúng là địa chỉ OAI-PMH không?",
                             url=url, code=error.response.status_code)) from None
    except (requests.ConnectionError, requests.Timeout):
        raise HarvestError(_("Không kết nối được tới %(url)s: máy chủ không trả lời hoặc sai địa chỉ.",
                             url=url)) from None
    except requests.RequestException as error:
        raise HarvestError(_("Không dùng được địa chỉ %(url)s: %(error)s.", url=url, error=error)) from None
    except SICKLE_ERRORS as error:
        code = type(error).__name__
        raise HarvestError(_oai_error(url, code[:1].lower() + code[1:], str(error))) from None


def _oai_error(url: str, code: str, message: str | None) -> str:
    return _("Máy chủ OAI %(url)s báo lỗi %(code)s: %(message)s", url=url, code=code,
             message=(message or "").strip() or "—")


def _not_oai(url: str) -> str:
    return _("%(url)s không trả lời theo giao thức OAI-PMH: hãy kiểm tra lại địa chỉ (với Koha, địa chỉ thường "
             "kết thúc bằng /cgi-bin/koha/oai.pl).", url=url)
