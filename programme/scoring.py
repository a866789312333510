"""How a community is scored in an assessment round (考核评分) — pure functions, the one place that
says it.

**An indicator's score** (0–100, two decimals), from its value, target and direction:

- *higher is better*: ``min(1, value ÷ target) × 100`` — reaching the target earns full marks, half
  of it half marks. A target of 0 is met by any value: 100.
- *lower is better*: ``100`` when ``value ≤ target``; above it ``(target + 1) ÷ (value + 1) × 100``.
  The "+ 1" keeps a target of 0 meaningful for counts (security incidents: none → 100, one → 50,
  three → 25) and joins the full marks smoothly at the target; a lower-is-better indicator is
  therefore measured in whole units (counts, percents), not fractions.
- no value (None: nothing to measure, e.g. no request resolved in the period) → no score.

**A reported indicator** the community did not report, or whose report was rejected (finally), scores
0: the community did not show it. Only an accepted report (at check or on appeal) counts with its
value. (programme.assessment.round_close applies this.)

**The community's total** is the weighted average of the indicators that have a score: an indicator
without one drops out and its weight is shared among the others in proportion (as the workforce's
yearly assessment does). ``effective weight = weight × 100 ÷ (sum of the weights with a score)``.
Nothing scored at all → 0.

**What pulls the total down**: ``effective weight × (100 − score) ÷ 100`` per indicator; these add
up to ``100 − total`` (up to rounding), so the breakdown explains every lost point.

**Ranks** are competition ranks over the totals (two equal first → 1, 1, 3), in the subdistrict and
in the district.

Every figure is rounded half up to two decimals.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
HIGHER = "higher"
LOWER = "lower"


def _two(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def indicator_score(value: Decimal | None, *, target: Decimal, direction: str) -> Decimal | None:
    """The indicator's score 0–100 (see the module), or None when there is no value."""
    if value is None:
        return None
    value, target = Decimal(value), Decimal(target)
    if direction == LOWER:
        if value <= target:
            return _two(HUNDRED)
        return _two((target + 1) / (value + 1) * HUNDRED)
    if direction != HIGHER:
        raise ValueError(f"unknown direction {direction!r}")
    if target <= 0:
        return _two(HUNDRED)
    return _two(min(Decimal(1), max(Decimal(0), value) / target) * HUNDRED)


@dataclass(frozen=True)
class Part:
    """One indicator's share of a community's total."""

    weight: int
    score: Decimal | None
    effective_weight: Decimal  # its weight once the unscored ones' weight is shared (0 without a score)
    pull: Decimal  # points of the total it loses: effective_weight × (100 − score) ÷ 100


def total_score(parts: Iterable[tuple[int, Decimal | None]]) -> Decimal:
    """The weighted average of the (weight, score) pairs that have a score (see the module)."""
    scored = [(Decimal(weight), Decimal(score)) for weight, score in parts if score is not None]
    weight = sum((w for w, _score in scored), Decimal(0))
    if not weight:
        return _two(Decimal(0))
    return _two(sum((w * score for w, score in scored), Decimal(0)) / weight)


def breakdown(parts: list[tuple[int, Decimal | None]]) -> list[Part]:
    """Each (weight, score) pair with its effective weight and what it pulls the total down by, in
    the order given."""
    scored_weight = sum((Decimal(w) for w, score in parts if score is not None), Decimal(0))
    result = []
    for weight, score in parts:
        if score is None or not scored_weight:
            result.append(Part(weight, score, _two(Decimal(0)), _two(Decimal(0))))
            continue
        effective = Decimal(weight) * HUNDRED / scored_weight
        result.append(Part(weight, score, _two(effective), _two(effective * (HUNDRED - Decimal(score)) / HUNDRED)))
    return result


def competition_ranks(totals: Iterable[tuple[Hashable, Decimal]]) -> dict[Hashable, int]:
    """{key: rank} with the highest total first; equal totals share a rank and the next rank skips
    (1, 1, 3)."""
    ordered = sorted(totals, key=lambda item: item[1], reverse=True)
    ranks: dict[Hashable, int] = {}
    previous = None
    rank = 0
    for position, (key, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks
