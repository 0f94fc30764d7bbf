"""An OAI-PMH request checked as the protocol defines it: verbs, arguments, dates, identifiers, resumption tokens.

Everything here is pure; each way a request can be wrong is an OAIError whose code is the protocol's own.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _

LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
METADATA_PREFIXES = ("oai_dc", "marc21")
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DATE_FORMATS = {DAY: "%Y-%m-%d", SECONDS: "%Y-%m-%dT%H:%M:%SZ"}
DATE_SHAPES = {DAY: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
               SECONDS: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")}
# setSpec as the protocol's schema defines it (a library code always is one).
SET_SPEC = re.compile(r"[A-Za-z0-9_.!~*'()-]+(?::[A-Za-z0-9_.!~*'()-]+)*")
LONGEST_TOKEN = 1000


class OAIError(Exception):
    code = "badArgument"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadVerb(OAIError):
    code = "badVerb"


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


@dataclass(frozen=True)
class VerbArguments:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    exclusive: str | None = None  # an argument that may only come alone (resumptionToken)


VERBS = {
    "Identify": VerbArguments(),
    "ListMetadataFormats": VerbArguments(optional=("identifier",)),
    "ListSets": VerbArguments(exclusive="resumptionToken"),
    "GetRecord": VerbArguments(required=("identifier", "metadataPrefix")),
    "ListIdentifiers": VerbArguments(("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": VerbArguments(("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
}


def checked_request(args) -> tuple[str, dict[str, str]]:
    """The verb and its arguments from a MultiDict, or badVerb / badArgument as the protocol says."""
    verbs = args.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise BadVerb(_("Thiếu động từ (verb), động từ lặp lại hoặc không phải động từ của OAI-PMH."))
    verb, allowed = verbs[0], VERBS[verbs[0]]
    arguments = {name: values for name, values in args.lists() if name != "verb"}
    for name, values in arguments.items():
        if name not in (*allowed.required, *allowed.optional, allowed.exclusive):
            raise BadArgument(_("Tham số “%(name)s” không dùng được với %(verb)s.", name=name[:50], verb=verb))
        if len(values) > 1:
            raise BadArgument(_("Tham số “%(name)s” lặp lại.", name=name))
    given = {name: values[0] for name, values in arguments.items()}
    if allowed.exclusive in given and len(given) > 1:
        raise BadArgument(_("Tham số %(name)s phải đứng một mình.", name=allowed.exclusive))
    missing = [name for name in allowed.required if not given.get(name)]
    if missing and allowed.exclusive not in given:
        raise BadArgument(_("Thiếu tham số bắt buộc: %(names)s.", names=", ".join(missing)))
    return verb, given


def metadata_prefix(value: str) -> str:
    if value not in METADATA_PREFIXES:
        raise CannotDisseminateFormat(_("Không cung cấp định dạng “%(prefix)s”; có: %(prefixes)s.",
                                        prefix=value[:50], prefixes=", ".join(METADATA_PREFIXES)))
    return value


# --- identifiers --------------------------------------------------------------------------------------------------

def oai_identifier(repository_id: str, record_id: int) -> str:
    return f"oai:{repository_id}:{record_id}"


def record_id(repository_id: str, identifier: str) -> int:
    """The record id an identifier of this repository names; idDoesNotExist for any other."""
    prefix = f"oai:{repository_id}:"
    number = identifier[len(prefix):] if identifier.startswith(prefix) else ""
    # One identifier per record: "0012" is not record 12's, and a thousand digits are no record's.
    if not (number.isascii() and number.isdigit() and number[0] != "0" and int(number[:11]) <= LARGEST_ID):
        raise IdDoesNotExist(_("Không có bản ghi mang định danh này trong kho."))
    return int(number)


# --- dates --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """What a list request asks for; a resumption token carries it, with how far the list has come."""

    prefix: str
    from_: str | None = None  # as given, for the next token: the granularity says what until means
    until: str | None = None
    set_spec: str | None = None
    after: int = 0  # the last record id already sent: ids only grow, so inserts never shift a page
    cursor: int = 0  # how many items earlier pages held

    @property
    def start(self) -> datetime | None:
        return parse_datestamp(self.from_)[0] if self.from_ else None

    @property
    def end(self) -> datetime | None:
        """The first moment after the list's until (a day's until takes in the whole day), or None."""
        if not self.until:
            return None
        moment, granularity = parse_datestamp(self.until)
        try:
            return moment + (timedelta(days=1) if granularity == DAY else timedelta(seconds=1))
        except OverflowError:  # until the last day of year 9999: no end
            return None


def parse_datestamp(value: str) -> tuple[datetime, str]:
    """A UTC datestamp of either granularity, as a naive UTC datetime and the granularity."""
    for granularity, shape in DATE_SHAPES.items():
        if shape.fullmatch(value):
            try:
                return datetime.strptime(value, DATE_FORMATS[granularity]), granularity
            except ValueError:
                break
    raise BadArgument(_("Ngày giờ không hợp lệ; dùng dạng YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ (giờ UTC)."))


def datestamp(moment: datetime) -> str:
    return moment.strftime(DATE_FORMATS[SECONDS])


def selection(arguments: dict[str, str]) -> Selection:
    """The list a ListIdentifiers or ListRecords request asks for, from its arguments or its token."""
    if "resumptionToken" in arguments:
        return decode_token(arguments["resumptionToken"])
    return checked_selection(Selection(metadata_prefix(arguments["metadataPrefix"]), arguments.get("from"),
                                       arguments.get("until"), arguments.get("set")))


def checked_selection(chosen: Selection) -> Selection:
    dates = [parse_datestamp(value) for value in (chosen.from_, chosen.until) if value is not None]
    if len(dates) == 2 and dates[0][1] != dates[1][1]:
        raise BadArgument(_("Tham số from và until phải cùng độ chi tiết (cùng là ngày, hoặc cùng là ngày giờ)."))
    if len(dates) == 2 and dates[0][0] > dates[1][0]:
        raise BadArgument(_("Tham số from phải trước until."))
    if chosen.set_spec is not None and not SET_SPEC.fullmatch(chosen.set_spec):
        raise BadArgument(_("Tên tập (set) không hợp lệ."))
    return chosen


# --- resumption tokens --------------------------------------------------------------------------------------------

TOKEN_FIELDS = {"p": str, "f": (str, type(None)), "u": (str, type(None)), "s": (str, type(None)), "a": int, "c": int}


def encode_token(chosen: Selection) -> str:
    """The arguments and the last id sent, so the next page is the same list whatever was inserted since."""
    fields = {"p": chosen.prefix, "f": chosen.from_, "u": chosen.until, "s": chosen.set_spec,
              "a": chosen.after, "c": chosen.cursor}
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> Selection:
    bad = BadResumptionToken(_("Mã tiếp tục (resumptionToken) không hợp lệ."))
    if len(token) > LONGEST_TOKEN or not token.isascii():
        raise bad
    try:
        fields = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise bad from None
    if not isinstance(fields, dict) or fields.keys() != TOKEN_FIELDS.keys() or not all(
            isinstance(fields[name], kind) and not isinstance(fields[name], bool)
            for name, kind in TOKEN_FIELDS.items()):
        raise bad
    if not (0 <= fields["a"] <= LARGEST_ID and 0 <= fields["c"] <= LARGEST_ID) or fields["p"] not in METADATA_PREFIXES:
        raise bad
    try:
        return checked_selection(Selection(fields["p"], fields["f"], fields["u"], fields["s"], fields["a"], fields["c"]))
    except OAIError:
        raise bad from None


def next_page(chosen: Selection, last_id: int, sent: int) -> Selection:
    return replace(chosen, after=last_id, cursor=chosen.cursor + sent)
