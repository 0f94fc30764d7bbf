"""Which edition key each new cluster keeps: pure, so that keys stay stable across re-clustering.

A cluster keeps the edition most of its members already belonged to (ties go to the older edition),
and each old edition goes to at most one cluster: the one holding most of its members. An old edition
no cluster keeps is merged into the cluster that took most of its members, or retired when none of its
records is left. So a re-clustering that leaves an edition's membership alone leaves its key alone.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Assignment:
    kept: dict[int, int] = field(default_factory=dict)  # cluster index -> the old edition id it keeps
    fresh: list[int] = field(default_factory=list)  # cluster indexes that need a new edition
    merged: dict[int, int] = field(default_factory=dict)  # old edition id -> cluster index it went into
    retired: set[int] = field(default_factory=set)  # old editions with no record left


def assign(clusters: Sequence[Sequence[int]], old_edition: Mapping[int, int | None],
           former: Mapping[int, int] | None = None) -> Assignment:
    """clusters: record ids per new cluster; old_edition: each record's edition before (None if new).

    old_edition may name records that are in no cluster (deleted ones): their editions still count as
    affected, and are retired when nothing else of them is left. former names, for records whose edition
    was once merged into another, that merged edition: a cluster that keeps no current edition takes it
    back (a wrong merge split again gets its old key, and its old links lead to it again).
    """
    counts = [Counter(old_edition.get(member) for member in members) for members in clusters]
    for count in counts:
        count.pop(None, None)
    # Claims, strongest first: most members shared, then the larger share of the old edition, then the
    # older edition, then the cluster with the oldest record (clusters come ordered by their first record).
    sizes = Counter(edition for edition in old_edition.values() if edition is not None)
    claims = sorted(((shared, shared / sizes[edition], -edition, -index)
                     for index, count in enumerate(counts) for edition, shared in count.items()), reverse=True)
    result = Assignment()
    taken: set[int] = set()
    for _shared, _share, negative_edition, negative_index in claims:
        edition, index = -negative_edition, -negative_index
        if index in result.kept or edition in taken:
            continue
        result.kept[index] = edition
        taken.add(edition)
    for index, members in enumerate(clusters):
        if index in result.kept:
            continue
        formerly = Counter(former.get(member) for member in members) if former else Counter()
        formerly.pop(None, None)
        if candidates := [(shared, -edition) for edition, shared in formerly.items() if edition not in taken]:
            edition = -max(candidates)[1]
            result.kept[index] = edition
            taken.add(edition)
    result.fresh = [index for index in range(len(clusters)) if index not in result.kept]
    for edition in sorted(set(sizes) - taken):
        holders = [(count[edition], -index) for index, count in enumerate(counts) if count[edition]]
        if holders:
            result.merged[edition] = -max(holders)[1]
        else:
            result.retired.add(edition)
    return result
