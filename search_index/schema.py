"""The fields of the search index."""
from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint

from search_index.analysis import exact_analyzer, folded_analyzer, index_terms, shingles_analyzer

# How much a word counts in each field when it matches: a word of the title says more about the
# book than the same word in its summary.
FIELD_WEIGHTS = {"title": 3.0}
SHINGLES_FIELD = "shingles"
# The fields whose values have their runs of words indexed (documents.shingles_value); "text" stands for
# the values that are only in the text field (edition statement, summary).
SHINGLED_FIELDS = ("title", "author", "subject", "place", "publisher", "series", "text")


class VietnameseText(TEXT):
    """A text field that counts its terms in one pass when indexing (analysis.index_terms); queries
    are analysed by the equivalent Whoosh analyzer. Frequencies only, no positions."""

    ANALYZERS = {"folded": folded_analyzer, "exact": exact_analyzer, "shingles": shingles_analyzer}

    def __init__(self, form: str):
        super().__init__(analyzer=self.ANALYZERS[form](), phrase=False)
        self.form = form

    def index(self, value, **_options):
        for term, frequency in index_terms(value, self.form).items():
            yield term.encode("utf-8"), frequency, float(frequency), pack_uint(frequency)


def build_schema() -> Schema:
    """Text fields keep frequencies, not positions: phrases are matched through the shingles field,
    which is cheaper to write and to read than positions (see evaluate.Evaluator._phrase)."""
    return Schema(
        id=ID(stored=True, unique=True),
        edition=ID(stored=True),
        records=KEYWORD(),  # the ids of the edition's records: a changed record finds its old document
        title=VietnameseText("folded"),
        text=VietnameseText("folded"),  # every word of the record, title included
        text_exact=VietnameseText("exact"),  # the same words with their diacritics
        shingles=VietnameseText("shingles"),
        author=VietnameseText("folded"),
        subject=VietnameseText("folded"),
        place=VietnameseText("folded"),
        publisher=VietnameseText("folded"),
        series=VietnameseText("folded"),
        call_number=VietnameseText("folded"),
        isbn=KEYWORD(),
        library=KEYWORD(lowercase=True),
        language=ID(),
        year=NUMERIC(sortable=True, shift_step=32),  # one term a year: ranges are read off the column
        decade=ID(),
        title_sort=ID(sortable=True),
        library_facet=KEYWORD(commas=True),
        place_facet=KEYWORD(commas=True),
        subject_facet=KEYWORD(commas=True),
        publisher_facet=ID(),
        stored=STORED(),
    )
