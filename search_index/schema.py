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
        # Phrases are matched on the folded fields; the exact forms only lift exact matches.
        title_exact=TEXT(analyzer=exact, field_boost=TITLE_BOOST, phrase=False),
        text=TEXT(analyzer=folded),
        text_exact=TEXT(analyzer=exact, phrase=False),
        author=TEXT(analyzer=folded),
        subject=TEXT(analyzer=folded, phrase=False),
        place=TEXT(analyzer=folded, phrase=False),
        publisher=TEXT(analyzer=folded, phrase=False),
        series=TEXT(analyzer=folded, phrase=False),
        call_number=TEXT(analyzer=folded, phrase=False),
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
