"""How the summary path cuts a period into pieces: the cells read the coarsest summary rows that
fit, the series the rows of its own step, and today is always live."""

from datetime import date

from dashboards.figures import Filters
from dashboards.reads import CELL_UNITS, period_pieces, series_units

TODAY = date(2026, 11, 26)  # a Thursday; the summaries reach the day before


def _filters(start: date, end: date = TODAY) -> Filters:
    return Filters(start=start, end=end, area_id=1, area_path="1/")


def test_two_years_read_a_month_and_two_years_for_the_cells_and_months_for_the_series():
    filters = _filters(date(2024, 12, 1))
    cells = period_pieces(filters, TODAY, CELL_UNITS)
    # The current year's row holds the days summarised so far, so it is taken whole.
    assert cells.summarised == [
        ("month", date(2024, 12, 1), date(2025, 1, 1)),
        ("year", date(2025, 1, 1), date(2027, 1, 1)),
    ]
    assert cells.live == (TODAY, date(2026, 11, 27))
    series = period_pieces(filters, TODAY, series_units(filters))
    assert series.summarised == [("month", date(2024, 12, 1), date(2026, 12, 1))]
    assert series.live == cells.live


def test_a_period_cut_anywhere_is_covered_once_in_order_by_months_weeks_and_days():
    filters = _filters(date(2026, 8, 20), date(2026, 11, 10))
    cells = period_pieces(filters, TODAY, CELL_UNITS)
    assert cells.summarised == [
        ("day", date(2026, 8, 20), date(2026, 8, 24)),
        ("week", date(2026, 8, 24), date(2026, 8, 31)),
        ("day", date(2026, 8, 31), date(2026, 9, 1)),
        ("month", date(2026, 9, 1), date(2026, 11, 1)),
        ("day", date(2026, 11, 1), date(2026, 11, 2)),
        ("week", date(2026, 11, 2), date(2026, 11, 9)),
        ("day", date(2026, 11, 9), date(2026, 11, 11)),
    ]
    assert cells.live is None
    series = period_pieces(filters, TODAY, series_units(filters))
    assert series.summarised == [
        ("day", date(2026, 8, 20), date(2026, 8, 24)),
        ("week", date(2026, 8, 24), date(2026, 11, 9)),
        ("day", date(2026, 11, 9), date(2026, 11, 11)),
    ]
