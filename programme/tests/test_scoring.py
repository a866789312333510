"""The scoring rules of programme.scoring, one by one."""

from decimal import Decimal as D

import pytest

from programme.scoring import breakdown, competition_ranks, indicator_score, total_score


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (None, D(90), "higher", None),
        (D(90), D(90), "higher", D("100.00")),
        (D(120), D(90), "higher", D("100.00")),  # beating the target earns no more than full marks
        (D(45), D(90), "higher", D("50.00")),
        (D(0), D(90), "higher", D("0.00")),
        (D("4.2"), D("4.5"), "higher", D("93.33")),
        (D(0), D(0), "higher", D("100.00")),  # a target of 0 is met by anything
        (D(0), D(0), "lower", D("100.00")),
        (D(1), D(0), "lower", D("50.00")),  # (0 + 1) / (1 + 1)
        (D(3), D(0), "lower", D("25.00")),
        (D(5), D(5), "lower", D("100.00")),
        (D(11), D(5), "lower", D("50.00")),  # (5 + 1) / (11 + 1)
        (D(2), D(5), "lower", D("100.00")),
    ],
)
def test_an_indicator_scores_by_its_direction_and_target(value, target, direction, expected):
    assert indicator_score(value, target=target, direction=direction) == expected


def test_an_unknown_direction_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown direction"):
        indicator_score(D(1), target=D(1), direction="sideways")


def test_the_total_is_the_weighted_average_of_what_has_a_score():
    assert total_score([(60, D(100)), (40, D(50))]) == D("80.00")
    # An indicator without a score drops out; its weight is shared in proportion.
    assert total_score([(50, D(100)), (25, D(40)), (25, None)]) == D("80.00")
    assert total_score([(30, D("33.33")), (70, D("66.67"))]) == D("56.67")
    assert total_score([(50, None)]) == D("0.00")
    assert total_score([]) == D("0.00")
    # A reported indicator not shown scores 0 and keeps its weight (round_close passes it as 0).
    assert total_score([(50, D(100)), (50, D(0))]) == D("50.00")


def test_what_pulls_the_total_down_adds_up_to_the_points_lost():
    parts = breakdown([(50, D(100)), (25, D(40)), (25, None)])
    assert [p.effective_weight for p in parts] == [D("66.67"), D("33.33"), D("0.00")]
    assert [p.pull for p in parts] == [D("0.00"), D("20.00"), D("0.00")]
    total = total_score([(50, D(100)), (25, D(40)), (25, None)])
    assert sum(p.pull for p in parts) == D(100) - total
    assert [p.pull for p in breakdown([(10, None)])] == [D("0.00")]


def test_equal_totals_share_a_rank_and_the_next_rank_skips():
    ranks = competition_ranks([("a", D(70)), ("b", D(90)), ("c", D(90)), ("d", D(60)), ("e", D(70))])
    assert ranks == {"b": 1, "c": 1, "a": 3, "e": 3, "d": 5}
    assert competition_ranks([]) == {}
