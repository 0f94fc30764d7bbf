"""Searching the index: the query language, filters, facets, sorting. Returns ids, never rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from stdnum import isbn as isbn_numbers
from whoosh.qparser import FieldAliasPlugin, MultifieldParser
from whoosh.query import And, Every, NullQuery, NumericRange, Or, Term

from search_index import ranking
from search_index.analysis import WORD, folded_form
from search_index.documents import facet_value
from search_index.evaluate import Evaluator
from search_index.recent import RecentResults
from search_index.view import open_views

SEARCH_FIELDS = ["title", "text"]
EXACT_FIELDS = ["text_exact"]
EXACT_BOOST = 2.0
FIELD_ALIASES = {
    "title": ["nhande", "tieude", "nhan"], "author": ["tacgia", "tg"], "subject": ["chude", "cd"],
    "publisher": ["nxb", "nhaxuatban"], "series": ["tungthu"], "place": ["diadanh", "dd"],
    "year": ["nam", "namxb"], "language": ["ngonngu"], "library": ["thuvien", "tv"],
    "call_number": ["kyhieu", "sohieu"], "isbn": [],
}
FACETS = {"library": "library_facet", "place": "place_facet", "subject": "subject_facet",
          "decade": "decade", "language": "language", "publisher": "publisher_facet"}
FACET_LIMIT = 20
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
MAX_SUGGESTED_WORD = 30
_TYPED_WORDS = re.compile(rf"{WORD}(:)?")  # a word, or a field name with its colon
RECENT_RESULTS = 256
_recent = RecentResults(RECENT_RESULTS)
ISBN_LIKE = re.compile(r"(?<![\w:-])(?:isbn:)?((?:97[89][-\s]?)?\d[\d-]{7,15}[\dXx])(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    edition: str  # the union entry's key
    score: float


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None


def normalize_isbns(text: str) -> str:
    """Turn every valid ISBN in a query, 10 or 13 digits, hyphens or not, into an isbn: term of its ISBN-13."""
    def replace(match: re.Match) -> str:
        candidate = match.group(1)
        if not isbn_numbers.is_valid(candidate):
            return match.group(0)
        return f"isbn:{isbn_numbers.compact(isbn_numbers.to_isbn13(candidate))}"
    return ISBN_LIKE.sub(replace, text)


def _parser(schema, fields: list[str]) -> MultifieldParser:
    parser = MultifieldParser(fields, schema)
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    return parser


def build_query(schema, text: str):
    """Words match on their folded form; where the diacritics match exactly too, the record ranks higher."""
    text = normalize_isbns(text.strip())
    if not text:
        return Every()
    folded = _parse(schema, SEARCH_FIELDS, text)
    exact = _parse(schema, EXACT_FIELDS, text)
    if exact is NullQuery:
        return folded
    return Or([folded, exact.with_boost(EXACT_BOOST)])


def _parse(schema, fields: list[str], text: str):
    try:
        return _parser(schema, fields).parse(text)
    except Exception:  # noqa: BLE001 - an unreadable query still searches for its words
        words = " ".join(re.findall(r"\w+", text))
        return _parser(schema, fields).parse(words) if words else NullQuery


def build_filter(filters: dict[str, list[str]], year_from: int | None, year_to: int | None):
    terms = [Term(FACETS[name], _facet_term(name, value)) for name, values in filters.items()
             if name in FACETS for value in values if value]
    if year_from is not None or year_to is not None:
        terms.append(NumericRange("year", year_from, year_to))
    return And(terms) if terms else None


def _facet_term(name: str, value: str):
    return value if name in ("library", "language") else facet_value(value)


def search(directory: str, text: str, *, page: int = 1, per_page: int = 20, sort: str = "relevance",
           filters: dict[str, list[str]] | None = None, year_from: int | None = None,
           year_to: int | None = None, cache: bool = True) -> SearchResult:
    view = open_views.view(directory)
    key = (view.version, text, page, per_page, sort, _frozen(filters), year_from, year_to)
    if cache and (found := _recent.get(key)) is not None:
        return found
    matches = _matches(view, text, filters, year_from, year_to)
    docs = np.flatnonzero(matches.matched)
    page_docs = ranking.page(view, docs, matches.scores, sort, (page - 1) * per_page, per_page)
    hits = [_hit(view, doc, matches.scores[doc]) for doc in page_docs]
    facets = {name: ranking.facet_counts(view.facet(field), matches.matched, docs, FACET_LIMIT)
              for name, field in FACETS.items()}
    suggestion = None
    if not len(docs) and text.strip():
        with view.lock:
            suggestion = suggest(view, text)
    result = SearchResult(len(docs), hits, facets, suggestion)
    if cache:
        _recent.put(key, result)
    return result


def matching_editions(directory: str, text: str, *, sort: str = "relevance",
                      filters: dict[str, list[str]] | None = None, year_from: int | None = None,
                      year_to: int | None = None, limit: int) -> list[str]:
    """The edition keys of a search's first `limit` hits, in the order the search shows them (an export)."""
    view = open_views.view(directory)
    matches = _matches(view, text, filters, year_from, year_to)
    docs = np.flatnonzero(matches.matched)
    return [_hit(view, doc, 0.0).edition for doc in ranking.page(view, docs, matches.scores, sort, 0, limit)]


def _matches(view, text: str, filters, year_from, year_to):
    evaluator = Evaluator(view)
    matches = evaluator.matches(build_query(view.schema, text))
    if (condition := build_filter(filters or {}, year_from, year_to)) is not None:
        matches.matched &= evaluator.matches(condition).matched
    return matches


def warm(directory: str) -> None:
    """Open the index's current version and read what searches need, ahead of the next search."""
    open_views.view(directory).warm(facets=FACETS.values())


def _hit(view, doc: int, score: float) -> Hit:
    stored = view.stored_fields(int(doc))
    return Hit(stored["edition"], float(score))


def _frozen(filters: dict | None) -> tuple:
    return tuple(sorted((name, tuple(values)) for name, values in (filters or {}).items()))


def suggest(view, text: str) -> str | None:
    """The query with each word the catalog does not have replaced by the nearest one it has, or None.

    Word by word on the folded text field, so the suggestion is built from what was typed (field names,
    operators and punctuation kept) rather than from Whoosh's re-formatting of a parsed query."""
    reader, changed = view.searcher.reader(), False

    def nearest(match: re.Match) -> str:
        nonlocal changed
        word = match.group(0)
        folded = folded_form(word)
        if match.group(1) or word in OPERATORS or len(folded) > MAX_SUGGESTED_WORD or folded.isdigit():
            return word
        with view.lock:
            if reader.doc_frequency("text", folded):
                return word
            found = view.searcher.corrector("text").suggest(folded, limit=1, maxdist=2, prefix=1)
        if not found:
            return word
        changed = True
        return found[0]

    suggestion = _TYPED_WORDS.sub(nearest, text)
    return suggestion if changed else None
