"""A Whoosh query tree evaluated over whole arrays: which documents match, and how well (BM25).

Whoosh parses the query and stores the index; the matching and scoring happen here, one numpy
operation per term instead of one Python call per posting (see segments.py for why).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from whoosh import query as q
from whoosh.query.qcore import _NullQuery

from search_index.analysis import folded_form, phrase_shingles, shingle_term
from search_index.schema import FIELD_WEIGHTS, SHINGLED_FIELDS, SHINGLES_FIELD

K1, B = 1.2, 0.75
MAX_EXPANSION = 2000  # terms a prefix like `n*` may stand for; beyond that it is too vague to help
YEAR = "year"


@dataclass
class Matches:
    matched: np.ndarray  # bool per document
    scores: np.ndarray  # float32 per document; meaningful where matched


class Evaluator:
    def __init__(self, view):
        self.view = view
        self.size = view.doc_count

    def matches(self, query) -> Matches:
        """The live documents the query matches, with their scores."""
        result = self._evaluate(query)
        return Matches(result.matched & self.view.live, result.scores)

    def _evaluate(self, query) -> Matches:
        method = _DISPATCH.get(type(query))
        if method is None:
            method = next((handler for kind, handler in _DISPATCH.items() if isinstance(query, kind)),
                          Evaluator._fallback)
        return method(self, query)

    # -- leaves -------------------------------------------------------------------------------

    def _none(self) -> Matches:
        return Matches(np.zeros(self.size, bool), np.zeros(self.size, np.float32))

    def _everything(self, _query=None) -> Matches:
        return Matches(np.ones(self.size, bool), np.zeros(self.size, np.float32))

    def _nothing(self, _query=None) -> Matches:
        return self._none()

    def _term(self, query: q.Term) -> Matches:
        if query.fieldname not in self.view.schema:
            return self._none()
        return self._scored(query.fieldname, query.text, query.boost)

    def _scored(self, field: str, text, boost: float) -> Matches:
        postings = self.view.postings(field, text)
        result = self._none()
        if not len(postings.docs):
            return result
        result.matched[postings.docs] = True
        result.scores[postings.docs] = self._bm25(field, postings, boost)
        return result

    def _bm25(self, field: str, postings, boost: float) -> np.ndarray:
        frequency, count = postings.weights, len(postings.docs)
        idf = math.log(1 + (self.size - count + 0.5) / (count + 0.5))
        weight = boost * FIELD_WEIGHTS.get(field, 1.0) * idf
        if not self.view.schema[field].scorable:
            return np.full(count, weight, np.float32)
        lengths = self.view.lengths(field)[postings.docs]
        norm = K1 * (1 - B + B * lengths / self.view.average_length(field))
        return (weight * frequency * (K1 + 1) / (frequency + norm)).astype(np.float32)

    def _phrase(self, query: q.Phrase) -> Matches:
        """Words in the field, next to each other: runs of two and three words are indexed as terms."""
        words = list(query.words)
        if len(words) == 1:
            return self._scored(query.fieldname, words[0], query.boost)
        result = self._all_of([self._scored(query.fieldname, word, query.boost) for word in words])
        fields = (query.fieldname,) if query.fieldname in SHINGLED_FIELDS[:-1] else SHINGLED_FIELDS
        for run in phrase_shingles([folded_form(word) for word in words]):
            together = np.zeros(self.size, bool)
            for field in fields:
                together[self.view.postings(SHINGLES_FIELD, shingle_term(field, run)).docs] = True
            result.matched &= together
        return result

    def _expanded(self, query) -> Matches:
        """Prefix, wildcard, fuzzy and range queries: any of the terms they stand for, scored alike."""
        if isinstance(query, q.NumericRange):
            if query.fieldname == YEAR:
                return self._years(query)
            with self.view.lock:
                simpler = query.simplify(self.view.searcher.reader())
            return self._evaluate(simpler)
        result = self._none()
        for field, term in self.view.expand(query)[:MAX_EXPANSION]:
            result.matched[self.view.postings(field, term).docs] = True
        result.scores[result.matched] = query.boost * FIELD_WEIGHTS.get(query.fieldname, 1.0)
        return result

    def _years(self, query: q.NumericRange) -> Matches:
        years = self.view.years()
        matched = years != -1
        if query.start is not None:
            matched &= (years > query.start) if query.startexcl else (years >= query.start)
        if query.end is not None:
            matched &= (years < query.end) if query.endexcl else (years <= query.end)
        return Matches(matched, np.zeros(self.size, np.float32))

    def _fallback(self, query) -> Matches:
        """A construct evaluated here by no rule of its own: Whoosh's matcher finds its documents."""
        result = self._none()
        with self.view.lock:
            docs = list(self.view.searcher.docs_for_query(query))
        result.matched[np.asarray(docs, dtype=np.int64)] = True
        result.scores[result.matched] = getattr(query, "boost", 1.0)
        return result

    # -- compounds ----------------------------------------------------------------------------

    def _children(self, query) -> list[Matches]:
        return [self._evaluate(child) for child in query.subqueries]

    def _boosted(self, result: Matches, boost: float) -> Matches:
        if boost != 1.0:
            result.scores *= boost
        return result

    def _all_of(self, results: list[Matches]) -> Matches:
        if not results:
            return self._none()
        matched, scores = results[0].matched.copy(), results[0].scores.copy()
        for result in results[1:]:
            matched &= result.matched
            scores += result.scores
        return Matches(matched, scores)

    def _any_of(self, results: list[Matches]) -> Matches:
        if not results:
            return self._none()
        matched, scores = results[0].matched.copy(), results[0].scores.copy()
        for result in results[1:]:
            matched |= result.matched
            scores += np.where(result.matched, result.scores, 0)
        return Matches(matched, scores)

    def _and(self, query) -> Matches:
        return self._boosted(self._all_of(self._children(query)), query.boost)

    def _or(self, query) -> Matches:
        return self._boosted(self._any_of(self._children(query)), query.boost)

    def _dismax(self, query) -> Matches:
        results = self._children(query)
        combined = self._any_of(results)
        combined.scores = np.max([np.where(r.matched, r.scores, 0) for r in results], axis=0).astype(np.float32)
        return self._boosted(combined, query.boost)

    def _not(self, query: q.Not) -> Matches:
        inner = self._evaluate(query.query)
        return Matches(~inner.matched, np.zeros(self.size, np.float32))

    def _and_not(self, query: q.AndNot) -> Matches:
        positive, negative = self._evaluate(query.a), self._evaluate(query.b)
        return self._boosted(Matches(positive.matched & ~negative.matched, positive.scores), query.boost)

    def _and_maybe(self, query: q.AndMaybe) -> Matches:
        required, optional = self._evaluate(query.a), self._evaluate(query.b)
        required.scores += np.where(optional.matched, optional.scores, 0).astype(np.float32)
        return self._boosted(required, query.boost)

    def _require(self, query: q.Require) -> Matches:
        scored, required = self._evaluate(query.a), self._evaluate(query.b)
        return self._boosted(Matches(scored.matched & required.matched, scored.scores), query.boost)

    def _otherwise(self, query: q.Otherwise) -> Matches:
        first = self._evaluate(query.a)
        return first if first.matched.any() else self._evaluate(query.b)

    def _constant(self, query: q.ConstantScoreQuery) -> Matches:
        inner = self._evaluate(query.child)
        inner.scores = np.full(self.size, query.score, np.float32)
        return inner


_DISPATCH = {
    q.Term: Evaluator._term, q.Phrase: Evaluator._phrase, q.Every: Evaluator._everything,
    _NullQuery: Evaluator._nothing, q.And: Evaluator._and, q.Or: Evaluator._or,
    q.DisjunctionMax: Evaluator._dismax, q.Not: Evaluator._not, q.AndNot: Evaluator._and_not,
    q.AndMaybe: Evaluator._and_maybe, q.Require: Evaluator._require, q.Otherwise: Evaluator._otherwise,
    q.ConstantScoreQuery: Evaluator._constant, q.NumericRange: Evaluator._expanded,
    q.MultiTerm: Evaluator._expanded,
}
