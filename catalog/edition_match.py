"""Decide whether records describe the same edition, and group them into editions, with reasons.

Keys, strongest first: the record's identity (003 + 001), a shared ISBN, a shared 035 number, then the
title key with year, first author, publisher and edition statement. Precision comes first: a wrong merge
hides a book, so any hard conflict (different years, volumes or parts, edition statements, or two disjoint
sets of valid ISBNs) keeps records apart whatever else they share, except the same identity.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stdnum import isbn
from stdnum.exceptions import ValidationError

from catalog.record_data import RecordData
from catalog.vietnamese import fold, normalize_title

# Volume and part markers as normalize_title leaves them ("T.1" -> "t 1"): all become "tập N" / "phần N".
_VOLUME = re.compile(r"\b(?:t|tập|q|quyển|vol)\s?(\d+|[ivx]+)\b")
_PART = re.compile(r"\b(?:p|phần)\s?(\d+|[ivx]+)\b")
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")  # 1 to 39: volumes, not years
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_MARKER = re.compile(r"\b(tập|phần) (\d+)\b")
# Publisher words that say "publishing house", and the ways of writing "no publisher" ([K.nxb.], [s.n.]).
_PRESS_WORDS = re.compile(r"^(?:nxb|nha xuat ban|nha xb|nha xban)\s+")
_NO_PUBLISHER = {"k nxb", "knxb", "khong nxb", "s n", "sn"}
# Edition statements: only forms that say the same thing in other words are equated.
_EDITION = re.compile(r"^(tai ban|in|xuat ban)(?: lan(?: thu)? (\d+|nhat|mot|hai|ba|tu|bon|nam))?\b(.*)$")
_NUMBER_WORDS = {"nhat": "1", "mot": "1", "hai": "2", "ba": "3", "tu": "4", "bon": "4", "nam": "5"}
_FILLER = {"co", "va"}
_SYSTEM_NUMBER = re.compile(r"^\((?P<org>[^)]+)\)\s*(?P<number>.+)$")
_OCLC_PREFIX = re.compile(r"^(?:ocm|ocn|on)")
MAX_CANDIDATES = 50  # distinct clusters a record is compared with inside one block: no quadratic blow-up


@dataclass(frozen=True)
class EditionKeys:
    """The normalized keys of one record that edition matching compares."""

    identity: str | None  # "ORG|001"
    isbns: frozenset[str]
    system_numbers: frozenset[str]  # "(ORG)NUMBER", also the record's own identity in that form
    title: str | None  # normalized title, volume and part markers canonical
    title_folded: str | None  # the title key without diacritics: blocking, and misspellings like "Quảng Tri"
    volumes: tuple[str, ...]  # ("tập 1", "phần 2") found in the title
    authors: tuple[str, ...]  # every name key, first author first
    year: int | None
    edition: str | None
    publisher: str | None


@dataclass(frozen=True)
class Decision:
    same: bool
    key: str  # short code: identity, isbn, system_number, title, or why not (year_differs, ...)
    score: float
    reason: str  # one sentence in Vietnamese for the librarian


STAFF_JOIN = Decision(True, "staff_join", 1.0, "Thủ thư đã xác nhận đây là cùng một ấn bản.")


@dataclass(frozen=True)
class Link:
    """A member of a cluster and the member it was joined to, with the decision that joined them."""

    member: object
    joined_to: object
    decision: Decision


@dataclass(frozen=True)
class Cluster:
    members: tuple  # caller's ids, in input order
    links: tuple[Link, ...]  # one per member after the first


def match_keys(data: RecordData) -> EditionKeys:
    """Compute the keys of one record for edition matching."""
    title, volumes = title_key(data.title)
    org, number = (data.org_code or "").strip().upper(), (data.control_number or "").strip()
    identity = f"{org}|{number}" if org and number else None
    own = {f"({org}){number}"} if identity else set()  # copy cataloguing cites its source in 035 this way
    return EditionKeys(
        identity=identity, isbns=frozenset(filter(None, map(isbn_key, data.isbns))),
        system_numbers=frozenset(filter(None, map(system_number_key, data.system_numbers))) | own,
        title=title, title_folded=fold(title) if title else None, volumes=volumes,
        authors=tuple(filter(None, map(author_key, data.authors))), year=data.year,
        edition=edition_key(data.edition_statement), publisher=publisher_key(data.publisher))


def isbn_key(value: str) -> str | None:
    try:
        return isbn.validate(value, convert=True)
    except ValidationError:
        return None


def system_number_key(value: str) -> str | None:
    """Return "(ORG)NUMBER" for a prefixed 035; a bare number is as ambiguous as 001 without 003."""
    match = _SYSTEM_NUMBER.match(value.strip())
    if not match:
        return None
    org = match["org"].strip().upper()
    number = match["number"].replace(" ", "")
    if org == "OCOLC":
        number = _OCLC_PREFIX.sub("", number).lstrip("0")
    return f"({org}){number}" if number else None


def title_key(title: str | None) -> tuple[str | None, tuple[str, ...]]:
    """Return the normalized title ("T.1", "Tập I", "Q.1", "Quyển 1" all as "tập 1") and its volume markers."""
    if not title:
        return None, ()
    text = normalize_title(title)
    text = _VOLUME.sub(lambda m: _marker("tập", m), text)
    text = _PART.sub(lambda m: _marker("phần", m), text)
    return text or None, tuple(f"{kind} {number}" for kind, number in _MARKER.findall(text))


def _marker(kind: str, match: re.Match) -> str:
    token = match[1]
    if token.isdigit():
        return f"{kind} {int(token)}"
    if not _ROMAN.fullmatch(token):
        return match[0]  # "t vi" is no volume
    return f"{kind} {_roman(token)}"


def _roman(token: str) -> int:
    values = [_ROMAN_VALUES[ch] for ch in token]
    return sum(-v if v < nxt else v for v, nxt in zip(values, values[1:] + [0]))


def author_key(name: str) -> str | None:
    """Return a name's words, tone-normalized and casefolded, in sorted order: "Hòa, Lê Văn" = "Lê Văn Hoà"."""
    words = normalize_title(name).split()
    return " ".join(sorted(words)) or None


def publisher_key(publisher: str | None) -> str | None:
    text = fold(normalize_title(publisher or ""))
    text = _PRESS_WORDS.sub("", text)
    return None if not text or text in _NO_PUBLISHER else text


def edition_key(statement: str | None) -> str | None:
    """Return "tai ban 2" for "Tái bản lần thứ 2", "Tái bản lần 2", "Tái bản lần thứ hai"; else the folded text."""
    text = fold(normalize_title(statement or ""))
    if not text:
        return None
    match = _EDITION.match(text)
    if not match:
        return text
    kind, number, rest = match[1], match[2], match[3]
    number = _NUMBER_WORDS.get(number, number)
    qualifiers = sorted(set(rest.split()) - _FILLER)
    return " ".join(filter(None, [kind, number, *qualifiers]))


def hard_conflict(a: EditionKeys, b: EditionKeys) -> Decision | None:
    """Return why two records can never be one edition (unless they are one record), or None."""
    if a.year is not None and b.year is not None and a.year != b.year:
        return _no("year_differs", f"Khác năm xuất bản: {a.year} và {b.year}.")
    if a.volumes != b.volumes:
        return _no("volume_differs", f"Khác tập/phần: {_shown(a.volumes)} và {_shown(b.volumes)}.")
    if a.edition and b.edition and a.edition != b.edition:
        return _no("edition_differs", f"Khác lần xuất bản: «{a.edition}» và «{b.edition}».")
    if a.isbns and b.isbns and not a.isbns & b.isbns:
        return _no("isbn_differs", f"ISBN khác nhau: {_shown(a.isbns)} và {_shown(b.isbns)}.")
    return None


def same_edition(a: RecordData | EditionKeys, b: RecordData | EditionKeys) -> Decision:
    """Decide whether two records describe the same edition, and say why."""
    a, b = _keys(a), _keys(b)
    if a.identity and a.identity == b.identity:
        return Decision(True, "identity", 1.0, "Cùng một biểu ghi (trùng 003 và 001).")
    conflict = hard_conflict(a, b)
    if conflict:
        return conflict
    if shared := sorted(a.isbns & b.isbns):
        return Decision(True, "isbn", 0.99, f"Trùng ISBN {shared[0]}.")
    if shared := sorted(a.system_numbers & b.system_numbers):
        return Decision(True, "system_number", 0.95, f"Trùng số hệ thống (035) {shared[0]}.")
    return _by_title(a, b)


def _by_title(a: EditionKeys, b: EditionKeys) -> Decision:
    """Title key, year, first author, publisher and edition statement, for records without a shared number."""
    if not a.title or not b.title or a.title_folded != b.title_folded:
        return _no("title_differs", "Khác nhan đề.")
    if a.year is None or b.year is None:
        return _no("year_missing", "Thiếu năm xuất bản: không đủ căn cứ để gộp theo nhan đề.")
    author, publisher = _agreement(a.authors[:1], b.authors[:1]), _agreement(a.publisher, b.publisher)
    if author is False:
        return _no("author_differs", "Cùng nhan đề và năm nhưng khác tác giả chính.")
    if publisher is False:
        return _no("publisher_differs", "Cùng nhan đề và năm nhưng khác nhà xuất bản.")
    exact = a.title == b.title
    strong = bool(author and publisher)
    if not exact and not strong:
        return _no("title_unconfirmed", "Nhan đề chỉ giống khi bỏ dấu, thiếu tác giả hoặc nhà xuất bản để khẳng định.")
    if (a.edition is None) != (b.edition is None) and not (exact and strong):
        return _no("edition_unconfirmed", "Một bên thiếu thông tin lần xuất bản, các yếu tố khác chưa đủ mạnh.")
    if not (author or publisher):
        return _no("too_weak", "Chỉ trùng nhan đề và năm: thiếu tác giả và nhà xuất bản để khẳng định.")
    score = (0.6 if exact else 0.5) + 0.1 + 0.15 * bool(author) + 0.1 * bool(publisher) + 0.05 * bool(a.edition)
    return Decision(True, "title", round(score, 2), _title_reason(exact, author, publisher, a.edition))


def _agreement(a, b) -> bool | None:
    """True when both sides say the same, False when they differ, None when one says nothing."""
    if not a or not b:
        return None
    if isinstance(a, str):  # publishers: "chinh tri quoc gia" and "chinh tri quoc gia su that" agree
        return a == b or a.startswith(b + " ") or b.startswith(a + " ")
    return a == b


def _title_reason(exact: bool, author: bool | None, publisher: bool | None, edition: str | None) -> str:
    parts = ["nhan đề" if exact else "nhan đề (khi bỏ dấu)", "năm xuất bản"]
    parts += ["tác giả chính"] * bool(author) + ["nhà xuất bản"] * bool(publisher) + ["lần xuất bản"] * bool(edition)
    return f"Trùng {', '.join(parts)}."


def _no(key: str, reason: str) -> Decision:
    return Decision(False, key, 0.0, reason)


def _shown(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "không ghi"


def _keys(value: RecordData | EditionKeys) -> EditionKeys:
    return value if isinstance(value, EditionKeys) else match_keys(value)


def blocking_keys(keys: EditionKeys) -> list[tuple]:
    """Return the blocks a record is compared within, strongest first; records never share no block."""
    blocks: list[tuple] = [("identity", keys.identity)] if keys.identity else []
    blocks += [("isbn", number) for number in sorted(keys.isbns)]
    blocks += [("system_number", number) for number in sorted(keys.system_numbers)]
    if keys.title_folded and keys.year is not None:
        blocks.append(("title", keys.title_folded, keys.year))
    return blocks


def cluster(items: Iterable[tuple[object, RecordData | EditionKeys]], *, must_link: Iterable[tuple] = (),
            cannot_link: Iterable[tuple] = ()) -> list[Cluster]:
    """Group records (caller's id, data) into editions; a join that would conflict with any member is refused.

    must_link and cannot_link are librarians' decisions, pairs of the caller's ids: a must-link joins
    whatever the keys say (never across a cannot-link), a cannot-link keeps two records apart.
    """
    ids, keys = [], []
    for item_id, data in items:
        ids.append(item_id)
        keys.append(_keys(data))
    position = {item_id: index for index, item_id in enumerate(ids)}
    groups = _Groups(keys)
    for a, b in cannot_link:
        if a in position and b in position:
            groups.keep_apart(position[a], position[b])
    for a, b in must_link:
        if a in position and b in position:
            groups.join(position[a], position[b], STAFF_JOIN, force=True)
    blocks: dict[tuple, list[int]] = {}
    for index, record_keys in enumerate(keys):
        for block in blocking_keys(record_keys):
            blocks.setdefault(block, []).append(index)
    order = {"identity": 0, "isbn": 1, "system_number": 2, "title": 3}
    for block in sorted((b for b, members in blocks.items() if len(members) > 1), key=lambda b: order[b[0]]):
        _join_block(groups, blocks[block])
    return groups.clusters(ids)


def _join_block(groups: _Groups, members: list[int]) -> None:
    for position, index in enumerate(members):
        settled, compared = {groups.find(index)}, 0
        for other in members[:position]:
            if groups.find(other) in settled:
                continue
            if compared == MAX_CANDIDATES:
                break
            compared += 1
            decision = same_edition(groups.keys[index], groups.keys[other])
            if decision.same:  # joined, or refused for a conflict with a member: that cluster is settled
                settled.add(groups.find(other))
                groups.join(index, other, decision)
                settled.add(groups.find(index))


class _Groups:
    """Union-find over record positions that refuses joins with a hard conflict between any two members."""

    def __init__(self, keys: list[EditionKeys]) -> None:
        self.keys = keys
        self.parent = list(range(len(keys)))
        self.members: dict[int, list[int]] = {index: [index] for index in range(len(keys))}
        self.links: list[tuple[int, int, Decision]] = []
        self.apart: dict[int, set[int]] = {}  # librarians' splits, both ways
        self.vouched: set[int] = set()  # records a librarian joined

    def _kept_apart(self, a: int, b: int) -> bool:
        if not self.apart:
            return False
        other = set(self.members[b])
        return any(self.apart.get(x, set()) & other for x in self.members[a])

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def keep_apart(self, index: int, other: int) -> None:
        self.apart.setdefault(index, set()).add(other)
        self.apart.setdefault(other, set()).add(index)

    def join(self, index: int, other: int, decision: Decision, force: bool = False) -> bool:
        """Join the groups of two records unless they conflict; force (a librarian's join) only
        yields to a librarian's split, and the records it joins are vouched for: their differences
        with other members (a year, an edition statement) no longer keep anything apart."""
        a, b = self.find(index), self.find(other)
        if a != b and self._kept_apart(a, b):
            return False
        if force:
            self.vouched.update((index, other))
        if a == b or (not force and self._conflicts(a, b)):
            return False
        if len(self.members[a]) > len(self.members[b]):
            a, b = b, a
        self.parent[a] = b
        self.members[b].extend(self.members.pop(a))
        self.links.append((index, other, decision))
        return True

    def _conflicts(self, a: int, b: int) -> bool:
        # Two versions of one record (the same identity) are not checked against each other.
        return any(hard_conflict(self.keys[x], self.keys[y])
                   for x in self.members[a] if x not in self.vouched for y in self.members[b]
                   if y not in self.vouched
                   and not (self.keys[x].identity and self.keys[x].identity == self.keys[y].identity))

    def clusters(self, ids: list) -> list[Cluster]:
        links_by_root: dict[int, list[Link]] = {}
        for index, other, decision in self.links:
            links_by_root.setdefault(self.find(index), []).append(Link(ids[index], ids[other], decision))
        return [Cluster(tuple(ids[i] for i in sorted(members)), tuple(links_by_root.get(root, ())))
                for root, members in sorted(self.members.items(), key=lambda item: min(item[1]))]
