"""A CQL tree written in the catalog's own search language (search_index.search), so that SRU searches find
what the search page finds: diacritics folded, phrases, truncation, ISBN-10 and -13 alike. Pure.
"""
from __future__ import annotations

import re
import unicodedata

from protocols import diagnostics as d
from protocols.cql import BooleanClause, SearchClause, parse
from search_index.analysis import WORD
from search_index.search import normalize_isbns

# CQL index -> field of the search language ("" every field); names as the context sets spell them.
INDEXES = {
    "cql.serverChoice": "", "cql.anywhere": "", "cql.allRecords": "*",
    "dc.title": "title", "dc.creator": "author", "dc.subject": "subject", "dc.publisher": "publisher",
    "dc.date": "year", "bath.isbn": "isbn",
}
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
}
_BY_LOWER = {name.lower(): name for name in INDEXES}
_UNPREFIXED = {name.lower().partition(".")[2]: name.lower().partition(".")[0] for name in INDEXES}
_SET_BY_URI = {uri.lower(): name for name, uri in CONTEXT_SETS.items()} | {
    "info:srw/cql-context-set/1/cql-v1.1": "cql"}

TEXT_RELATIONS = ("=", "==", "exact", "adj", "all", "any")
PHRASE_RELATIONS = ("==", "exact", "adj")
# Asking for what the search does anyway (it ignores case and diacritics, and always ranks): harmless.
IGNORED_MODIFIERS = ("relevant", "ignorecase", "ignoreaccents")
SEARCH_OPERATORS = {"and": "AND", "or": "OR", "not": "ANDNOT"}
YEAR_RANGES = {"=": "[{0} TO {0}]", "==": "[{0} TO {0}]", "<": "[TO {0}}}", "<=": "[TO {0}]",
               ">": "{{{0} TO]", ">=": "[{0} TO]"}

_WORDS = re.compile(WORD)
_YEAR = re.compile(r"[0-9]{1,4}")


def search_text(query: str) -> str:
    """The catalog's search text for a CQL query; raises a Diagnostic for what it cannot express."""
    return translate(parse(query))


def translate(tree: SearchClause | BooleanClause, negated: bool = False) -> str:
    """Search text for a tree. Inside the right side of a NOT, words stand in the `text` field: the search
    also matches unfielded words by their exact diacritics, and an exclusion must exclude either way."""
    if isinstance(tree, SearchClause):
        return _clause(tree, negated)
    if tree.operator not in SEARCH_OPERATORS:
        raise d.Diagnostic(d.UNSUPPORTED_BOOLEAN, tree.operator)
    if tree.modifiers:
        raise d.Diagnostic(d.UNSUPPORTED_BOOLEAN_MODIFIER, tree.modifiers[0].name)
    left = translate(tree.left, negated)
    right = translate(tree.right, negated or tree.operator == "not")
    return f"({left}) {SEARCH_OPERATORS[tree.operator]} ({right})"


def resolve_index(index: str, prefixes: tuple[tuple[str, str], ...] = ()) -> str:
    """The index's name as INDEXES spells it, its prefix resolved through the assignments around it."""
    prefix, _dot, name = index.lower().rpartition(".")
    assigned = dict(reversed(prefixes))
    if prefix in assigned:
        uri = assigned[prefix]
        prefix = _SET_BY_URI.get(uri.lower())
        if prefix is None:
            raise d.Diagnostic(d.UNSUPPORTED_CONTEXT_SET, uri)
    elif not prefix:
        prefix = _UNPREFIXED.get(name, "")
    if prefix not in CONTEXT_SETS:
        raise d.Diagnostic(d.UNSUPPORTED_CONTEXT_SET, index)
    found = _BY_LOWER.get(f"{prefix}.{name}")
    if found is None:
        raise d.Diagnostic(d.UNSUPPORTED_INDEX, index)
    return found


def _clause(clause: SearchClause, negated: bool) -> str:
    field = INDEXES[resolve_index(clause.index, clause.prefixes)]
    for modifier in clause.modifiers:
        if modifier.name not in IGNORED_MODIFIERS:
            raise d.Diagnostic(d.UNSUPPORTED_RELATION_MODIFIER, modifier.name)
    if field == "*":
        return "*:*"
    if field == "year":
        return _years(clause)
    if clause.relation not in TEXT_RELATIONS:
        raise d.Diagnostic(d.UNSUPPORTED_RELATION, clause.relation)
    if field == "isbn":
        return _isbns(clause)
    if not field and (isbn := _whole_isbn(clause.term)):
        return isbn  # as the search box does: a bare ISBN, hyphens or not, finds its book
    return _words_query("text" if negated and not field else field, clause)


def _words_query(field: str, clause: SearchClause) -> str:
    words = term_words(clause.term)
    prefix = f"{field}:" if field else ""
    masked = any(mask for _word, mask in words)
    # "=" is the server's choice: the words as a phrase, as CQL 1.2 suggests, unless one is truncated.
    if clause.relation in PHRASE_RELATIONS or (clause.relation == "=" and len(words) > 1 and not masked):
        if masked:
            raise d.Diagnostic(d.ADJACENCY_AND_MASKING, clause.term)
        if len(words) > 1:
            return f'{prefix}"{" ".join(word for word, _mask in words)}"'
    return _joined([f"{prefix}{word}{'*' if mask else ''}" for word, mask in words], clause.relation)


def _joined(terms: list[str], relation: str) -> str:
    joined = (" OR " if relation == "any" else " AND ").join(terms)
    return f"({joined})" if len(terms) > 1 else joined


def term_words(term: str) -> list[tuple[str, bool]]:
    """The term's words, lower case, each with whether it is right-truncated (`tr*`)."""
    words: list[tuple[str, bool]] = []
    for part in term.split():
        literal, masked = _unmasked(part)
        # Composed first: a client may send decomposed Vietnamese (MARC-8 habits), whose marks split words.
        found = [word.lower() for word in _WORDS.findall(unicodedata.normalize("NFC", literal))]
        if masked and not found:
            raise d.Diagnostic(d.MASKED_WORD_TOO_SHORT, part)
        words += [(word, masked and number == len(found) - 1) for number, word in enumerate(found)]
    if not words:
        raise d.Diagnostic(d.EMPTY_TERM, term)
    return words


def _unmasked(part: str) -> tuple[str, bool]:
    """The part with its escapes resolved, and whether it ends with the masking *."""
    literal, position, masked = [], 0, False
    while position < len(part):
        char = part[position]
        if char == "\\" and position + 1 < len(part):
            literal.append(part[position + 1])  # escaped: a literal character, never a mask
            position += 2
            continue
        if char == "*":
            if position != len(part) - 1:
                raise d.Diagnostic(d.MASKING_POSITION, part)
            masked = True
        elif char == "?":
            raise d.Diagnostic(d.MASKING_NOT_SUPPORTED, "?")
        elif char == "^":
            raise d.Diagnostic(d.ANCHORING_NOT_SUPPORTED, "^")
        else:
            literal.append(char)
        position += 1
    return "".join(literal), masked


def _whole_isbn(term: str) -> str | None:
    found = normalize_isbns(term.strip())
    return found if found.startswith("isbn:") and " " not in found else None


def _isbns(clause: SearchClause) -> str:
    numbers = [re.sub(r"[^0-9Xx]", "", part) for part in clause.term.split()]
    if not numbers or not all(numbers):
        raise d.Diagnostic(d.INVALID_TERM_FORMAT, clause.term)
    return _joined([f"isbn:{number}" for number in numbers], clause.relation)  # the search makes them ISBN-13


def _years(clause: SearchClause) -> str:
    years = clause.term.split()
    if not years or not all(_YEAR.fullmatch(year) for year in years):
        raise d.Diagnostic(d.INVALID_TERM_FORMAT, clause.term)
    if clause.relation not in (*YEAR_RANGES, "within"):
        raise d.Diagnostic(d.UNSUPPORTED_RELATION, clause.relation)
    if clause.relation == "within" and len(years) == 2:
        return f"year:[{int(years[0])} TO {int(years[1])}]"
    if len(years) != 1 or clause.relation == "within":
        raise d.Diagnostic(d.INVALID_TERM_FORMAT, clause.term)
    return "year:" + YEAR_RANGES[clause.relation].format(int(years[0]))
