"""Searching the index: the query language, filters, facets, sorting. Returns ids, never rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from stdnum import isbn as isbn_numbers
from whoosh import sorting
from whoosh.qparser import FieldAliasPlugin, MultifieldParser
from whoosh.query import And, Every, NullQuery, NumericRange, Or, Phrase, QueryError, Term

from search_index import store
from search_index.documents import facet_value

SEARCH_FIELDS = ["title", "text"]
EXACT_FIELDS = ["title_exact", "text_exact"]
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
ISBN_LIKE = re.compile(r"(?<![\w:-])(?:isbn:)?((?:97[89][-\s]?)?\d[\d-]{7,15}[\dXx])(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    record_id: int
    edition: str
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
    without_positions = _phrase_as_words(schema)
    folded = _parse(schema, SEARCH_FIELDS, text).accept(without_positions)
    exact = _parse(schema, EXACT_FIELDS, text).accept(without_positions)
    if exact is NullQuery:
        return folded
    return Or([folded, exact.with_boost(EXACT_BOOST)])


def _phrase_as_words(schema):
    """Fields that keep no positions (the exact forms, subjects, places...) match a phrase by its words."""
    def convert(query):
        if isinstance(query, Phrase) and query.fieldname in schema.names() \
                and not schema[query.fieldname].format.supports("positions"):
            return And([Term(query.fieldname, word) for word in query.words], boost=query.boost)
        return query
    return convert


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
    if name == "decade":
        return int(value) if str(value).isdigit() else -1
    return value if name in ("library", "language") else facet_value(value)


def search(directory: str, text: str, *, page: int = 1, per_page: int = 20, sort: str = "relevance",
           filters: dict[str, list[str]] | None = None, year_from: int | None = None,
           year_to: int | None = None) -> SearchResult:
    ix = store.open_index(directory)
    with ix.searcher() as searcher:
        query = build_query(ix.schema, text)
        options = {"pagelen": per_page, "filter": build_filter(filters or {}, year_from, year_to),
                   "groupedby": _facets(), "maptype": sorting.Count, **_sorting(sort)}
        try:
            results = searcher.search_page(query, page, **options)
        except QueryError:  # a construct this index cannot answer: search for the words alone
            query = build_query(ix.schema, " ".join(re.findall(r"\w+", text)))
            results = searcher.search_page(query, page, **options)
        hits = [Hit(int(hit["id"]), hit["edition"], hit.score or 0.0) for hit in results]
        facets = {name: _top(results.results.groups(name)) for name in FACETS}
        suggestion = _suggest(searcher, query, text) if results.total == 0 and text.strip() else None
        return SearchResult(results.total, hits, facets, suggestion)


def _facets() -> dict:
    multi = {"library", "place", "subject"}
    return {name: sorting.FieldFacet(fieldname, allow_overlap=name in multi) for name, fieldname in FACETS.items()}


def _sorting(sort: str) -> dict:
    if sort == "year":
        return {"sortedby": "year", "reverse": True}
    if sort == "title":
        return {"sortedby": "title_sort"}
    return {}


def _top(groups: dict) -> list[tuple[str, int]]:
    pairs = [(str(value), count) for value, count in groups.items() if value not in (None, "")]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:FACET_LIMIT]


def _suggest(searcher, query, text: str) -> str | None:
    corrected = searcher.correct_query(query, text, prefix=1)
    return corrected.string if corrected.query != query else None
