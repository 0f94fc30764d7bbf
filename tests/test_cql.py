"""CQL read into a tree and written in the catalog's search language: pure, no application needed."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.cql import BooleanClause, Modifier, SearchClause, parse
from protocols.cql_search import search_text, term_words
from protocols.diagnostics import Diagnostic

DC = "info:srw/cql-context-set/1/dc-v1.1"


def clause(term: str, index: str = "cql.serverChoice", relation: str = "=") -> SearchClause:
    return SearchClause(index, relation, term)


def diagnostic(query: str) -> tuple[int, str]:
    with pytest.raises(Diagnostic) as raised:
        search_text(query)
    return raised.value.number, raised.value.details


# --- reading ----------------------------------------------------------------------------------------------------


def test_booleans_have_one_precedence_and_group_left_to_right():
    assert parse("a or b and c") == BooleanClause("and", BooleanClause("or", clause("a"), clause("b")), clause("c"))
    assert parse("a and b or c") == BooleanClause("or", BooleanClause("and", clause("a"), clause("b")), clause("c"))
    assert parse("a not b not c") == BooleanClause("not", BooleanClause("not", clause("a"), clause("b")),
                                                   clause("c"))


def test_parentheses_group_first():
    assert parse("a and (b or c)") == BooleanClause("and", clause("a"), BooleanClause("or", clause("b"), clause("c")))
    assert parse("((a))") == clause("a")


def test_index_relation_and_term_with_any_case():
    assert parse('DC.Title ANY "quảng trị"') == clause("quảng trị", "DC.Title", "any")
    assert parse("dc.title cql.adj x") == clause("x", "dc.title", "adj")
    assert parse("a AND b") == BooleanClause("and", clause("a"), clause("b"))


@pytest.mark.parametrize("relation", ["=", "==", "<>", "<", ">", "<=", ">=", "all", "any", "adj", "exact", "within"])
def test_every_relation_is_read(relation):
    assert parse(f"dc.date {relation} 2000").relation == relation


def test_quoted_terms_keep_escaped_quotes_and_reserved_words():
    assert parse(r'dc.title="say \"hi\""').term == r"say \"hi\""
    assert term_words(r"say \"hi\"") == [("say", False), ("hi", False)]
    assert parse('"and"') == clause("and")
    assert parse('dc.title = "a=b (c)"').term == "a=b (c)"


def test_relation_modifiers_are_read():
    assert parse("dc.title =/relevant/cql.locale=vi x").modifiers == (Modifier("relevant"),
                                                                      Modifier("locale", "=", "vi"))


def test_prefix_assignments_reach_the_clauses_after_them():
    with pytest.raises(Diagnostic):
        parse(f'a and >"{DC}" b')  # an assignment starts a query: after a boolean, only in parentheses
    tree = parse(f'>t="{DC}" (t.title=x and (>"{DC}" title=y))')
    assert tree.left.prefixes == (("t", DC),)
    assert tree.right.prefixes == (("", DC), ("t", DC))


@pytest.mark.parametrize("query, number", [
    ("", 10), ("dc.title=", 10), ("dia chi", 10), ("a and", 10), ("=a", 10), ('dc.title = "x" y', 10),
    ("dc.title=x/stem", 10),
    ("(a", 13), ("a)", 13), ("(" * 21 + "a" + ")" * 21, 13),
    ('"abc', 14), ('dc.title="abc\\"', 14),
    ("a or " * 51 + "a", 38),
    ("x" * 1001, 12),
    ("a sortby dc.title", 80),
])
def test_what_cannot_be_read_gets_its_diagnostic(query, number):
    with pytest.raises(Diagnostic) as raised:
        parse(query)
    assert raised.value.number == number


def test_the_limits_still_allow_real_queries():
    parse("(" * 20 + "a" + ")" * 20)
    parse("a or " * 50 + "a")
    parse("x" * 1000)


# --- writing in the search language ---------------------------------------------------------------------------


@pytest.mark.parametrize("query, text", [
    ("quang", "quang"),
    ("Quảng", "quảng"),
    ("Qua\u0309ng", "quảng"),  # decomposed, as some clients send it
    ('"lịch sử quảng bình"', '"lịch sử quảng bình"'),  # "=" on several words: a phrase (CQL 1.2)
    ('cql.serverChoice all "quang tri"', "(quang AND tri)"),
    ('cql.anywhere any "quang tri"', "(quang OR tri)"),
    ('dc.title="dia chi"', 'title:"dia chi"'),
    ('dc.title adj "dia chi"', 'title:"dia chi"'),
    ('dc.title exact "dia chi"', 'title:"dia chi"'),
    ('dc.title == "dia chi"', 'title:"dia chi"'),
    ('dc.title all "dia chi"', "(title:dia AND title:chi)"),
    ('dc.creator any "Lê Nguyễn"', "(author:lê OR author:nguyễn)"),
    ("dc.subject=lich", "subject:lich"),
    ("dc.publisher=thuan", "publisher:thuan"),
    ("title=quang*", "title:quang*"),
    ('dc.title="quang tr*"', "(title:quang AND title:tr*)"),  # a truncated word: the words, not a phrase
    (r'dc.title="tr\*"', "title:tr"),  # an escaped star is no mask
    ("dc.title=Hồ-Chí-Minh", 'title:"hồ chí minh"'),
    ("dc.title all Hồ-Chí-Minh", "(title:hồ AND title:chí AND title:minh)"),
    ("bath.isbn=978-604-57-1405-8", "isbn:9786045714058"),
    ('bath.isbn any "6045714059 0306406152"', "(isbn:6045714059 OR isbn:0306406152)"),
    ("978-604-57-1405-8", "isbn:9786045714058"),  # a bare ISBN, as in the search box
    ("dc.date=2006", "year:[2006 TO 2006]"),
    ("dc.date<2006", "year:[TO 2006}"),
    ("dc.date<=2006", "year:[TO 2006]"),
    ("dc.date>2006", "year:{2006 TO]"),
    ("dc.date>=2006", "year:[2006 TO]"),
    ('dc.date within "1990 2000"', "year:[1990 TO 2000]"),
    ("cql.allRecords=1", "*:*"),
    ("dc.title=x and dc.creator=y", "(title:x) AND (author:y)"),
    ("a or b and c", "((a) OR (b)) AND (c)"),
    ("dc.title =/relevant/ignoreCase/cql.ignoreAccents x", "title:x"),
])
def test_translation(query, text):
    assert search_text(query) == text


def test_prefixes_resolve_through_their_uris():
    assert search_text(f'>t="{DC}" t.title=x') == "title:x"
    assert search_text(f'>"{DC}" title=x') == "title:x"
    assert search_text("TITLE=x") == "title:x"  # an index without prefix: the set that has it


def test_words_excluded_by_not_are_searched_folded_in_every_field():
    # The search also matches unfielded words by their exact diacritics; "tri" typed plainly must still
    # exclude Quảng Trị there, so the excluded words go to the folded text field.
    assert search_text("quảng not tri") == "(quảng) ANDNOT (text:tri)"
    assert search_text("a not (b or (c not d))") == "(a) ANDNOT ((text:b) OR ((text:c) ANDNOT (text:d)))"
    assert search_text("a not dc.title=b") == "(a) ANDNOT (title:b)"


@pytest.mark.parametrize("query, number, details", [
    ("foo.title=x", 15, "foo.title"),
    ('>x="urn:nowhere" x.title=y', 15, "urn:nowhere"),
    ("dc.foo=x", 16, "dc.foo"),
    ("isbn2=x", 15, "isbn2"),
    ("dc.title<x", 19, "<"),
    ("dc.title within x", 19, "within"),
    ("dc.date any 2000", 19, "any"),
    ("bath.isbn>1", 19, ">"),
    ("dc.title =/stem x", 20, "stem"),
    ("dc.title =/respectAccents x", 20, "respectaccents"),
    ('dc.title=""', 27, ""),
    ('dc.title="!!"', 27, "!!"),
    ("a?", 28, "?"),
    ("*", 29, "*"),
    ("^a", 31, "^"),
    ('dc.title adj "quang tr*"', 33, "quang tr*"),
    ("dc.date=abc", 36, "abc"),
    ('dc.date within "2000"', 36, "2000"),
    ("bath.isbn=abc", 36, "abc"),
    ("a prox b", 37, "prox"),
    ("a and/rel.combine=sum b", 46, "rel.combine"),
    ("a*b", 49, "a*b"),
])
def test_what_cannot_be_searched_gets_its_diagnostic(query, number, details):
    assert diagnostic(query) == (number, details)


@given(st.text(max_size=200))
def test_any_text_is_translated_or_refused_with_a_diagnostic(query):
    try:
        assert isinstance(search_text(query), str)
    except Diagnostic as refused:
        assert refused.number in (10, 12, 13, 14, 15, 16, 19, 20, 27, 28, 29, 31, 33, 36, 37, 38, 46, 49, 80)
