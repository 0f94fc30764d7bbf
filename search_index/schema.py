"""The fields of the search index."""
from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search_index.analysis import exact_analyzer, folded_analyzer

TITLE_BOOST = 3.0


def build_schema() -> Schema:
    folded, exact = folded_analyzer(), exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        edition=ID(stored=True),
        title=TEXT(analyzer=folded, field_boost=TITLE_BOOST),
        title_exact=TEXT(analyzer=exact, field_boost=TITLE_BOOST),
        text=TEXT(analyzer=folded),
        text_exact=TEXT(analyzer=exact),
        author=TEXT(analyzer=folded),
        subject=TEXT(analyzer=folded),
        place=TEXT(analyzer=folded),
        publisher=TEXT(analyzer=folded),
        series=TEXT(analyzer=folded),
        call_number=TEXT(analyzer=folded),
        isbn=KEYWORD(),
        library=KEYWORD(lowercase=True),
        language=ID(),
        year=NUMERIC(sortable=True),
        decade=NUMERIC(sortable=True),
        title_sort=ID(sortable=True),
        library_facet=KEYWORD(commas=True),
        place_facet=KEYWORD(commas=True),
        subject_facet=KEYWORD(commas=True),
        publisher_facet=ID(sortable=True),
        stored=STORED(),
    )
