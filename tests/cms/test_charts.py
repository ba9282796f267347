"""The geometry of the record's pictures (cms.charts), without a database: the expected numbers are
worked out by hand from the layout constants (a plot from x 36 to 392 and y 12 to 212, bars 70% of
their band, horizontal bars up to 356 long on rows 44 apart)."""

import pytest

from cms import charts
from cms.charts import Row, Span
from partnership.models import CooperationEntry

KINDS = CooperationEntry.Kind.choices  # milestone, programme, contribution, post, exercise, operation


def test_stacked_bars_are_as_tall_as_their_counts():
    chart = charts.entries_by_year({(2014, "milestone"): 2, (2014, "post"): 1, (2016, "milestone"): 1}, KINDS)
    milestone, post = charts.KIND_COLOURS["milestone"], charts.KIND_COLOURS["post"]
    # Three years (2015 has no bar), each a band of 356 / 3 = 118.67; the tallest bar (3) is the top
    # tick (3), so one entry is 200 / 3 = 66.67 high.
    assert chart.bars == [
        charts.Rect(53.8, 78.67, 83.07, 133.33, milestone, 2),
        charts.Rect(53.8, 12.0, 83.07, 66.67, post, 1),  # stacked on the milestones
        charts.Rect(291.13, 145.33, 83.07, 66.67, milestone, 1),
    ]
    assert [(t.position, t.label) for t in chart.y_ticks] == [(212, "0"), (145.33, "1"), (78.67, "2"), (12, "3")]
    assert [(t.position, t.label) for t in chart.x_ticks] == [(95.33, "2014"), (214.0, "2015"), (332.67, "2016")]
    # The legend lists only the kinds drawn, in stack order (the first at the bottom).
    assert [s.key for s in chart.legend] == ["milestone", "post"]
    assert chart.rows == [Row("2014", (2, 1), 3), Row("2016", (1, 0), 1)]
    assert chart.span_heading == "Year"
    assert chart.undated is None
    assert not chart.empty


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (2014, 2014, [Span(2014, 2014)]),
        (1993, 2020, [Span(year, year) for year in range(1993, 2021)]),  # 28 years: one bar each
        (1990, 2026, [Span(start, start + 4) for start in range(1990, 2030, 5)]),  # 37 years: 8 spans of 5
        (1992, 2026, [Span(start, start + 4) for start in range(1990, 2030, 5)]),  # spans start at a multiple of 5
        (1900, 2100, [Span(start, start + 9) for start in range(1900, 2110, 10)]),  # 41 spans of 5: too many
    ],
)
def test_long_periods_are_grouped_in_spans_of_years(first, last, expected):
    assert charts.spans_for(first, last) == expected


def test_a_long_period_is_drawn_in_spans_with_sparse_labels():
    chart = charts.entries_by_year({(1991, "milestone"): 1, (1994, "post"): 2, (2026, "programme"): 4}, KINDS)
    assert len({bar.x for bar in chart.bars}) == 2  # two spans have entries, of 8 drawn
    assert chart.rows == [Row("1990–1994", (1, 0, 2), 3), Row("2025–2029", (0, 4, 0), 4)]
    assert [s.key for s in chart.legend] == ["milestone", "programme", "post"]
    assert [t.label for t in chart.x_ticks] == ["1990", "2000", "2010", "2020"]  # every other span
    assert chart.span_heading == "Years"
    assert "Each bar counts 5 years." in chart.description
    assert "7 dated entries from 1991 to 2026." in chart.description


def test_undated_entries_are_counted_in_the_table_and_the_description_not_drawn():
    chart = charts.entries_by_year({(None, "milestone"): 2, (None, "post"): 1, (2014, "milestone"): 1}, KINDS)
    assert [bar.value for bar in chart.bars] == [1]
    assert chart.rows == [Row("2014", (1, 0), 1)]
    assert chart.undated == Row("No date", (2, 1), 3)
    assert "3 entries have no date and are not drawn." in chart.description
    assert chart.note == "3 entries have no date and are not drawn."  # shown under the caption


def test_nothing_to_draw_is_said():
    empty = charts.entries_by_year({}, KINDS)
    assert empty.empty and empty.bars == [] and empty.rows == [] and empty.undated is None
    assert empty.empty_message == "There is nothing to draw: there are no entries."
    undated = charts.entries_by_year({(None, "exercise"): 4}, KINDS)
    assert undated.empty
    assert undated.empty_message == "There is nothing to draw: none of these entries has a date."
    assert undated.undated == Row("No date", (4,), 4)
    areas = charts.entries_by_area([])
    assert areas.empty and areas.rows == []
    assert areas.empty_message == "There is nothing to draw: none of these entries is in an area."


def test_horizontal_bars_the_most_first_as_long_as_their_counts():
    chart = charts.entries_by_area([("Cyber defence", 3), ("Maritime security", 6), ("Nothing here", 0)])
    assert [(b.label, b.bar.x, b.bar.y, b.bar.width, b.bar.height, b.bar.value) for b in chart.bars] == [
        ("Maritime security", 0, 18, 356, 16, 6),
        ("Cyber defence", 0, 62, 178, 16, 3),
    ]
    assert [(b.label_y, b.value_x, b.value_y) for b in chart.bars] == [(13, 362, 31), (57, 184, 75)]
    assert chart.height == 78
    assert chart.rows == [Row("Maritime security", (6,), 6), Row("Cyber defence", (3,), 3)]
    assert "Maritime security: 6, Cyber defence: 3" in chart.description


def test_only_the_largest_areas_are_drawn_and_the_table_lists_them_all():
    chart = charts.entries_by_area([(f"Area {n:02}", 30 - n) for n in range(20)])
    assert len(chart.bars) == 15 and chart.bars[-1].label == "Area 14"
    assert len(chart.rows) == 20 and chart.rows[-1] == Row("Area 19", (11,), 11)
    assert "The 15 largest are drawn" in chart.note


def test_at_a_glance_counts_loaded_entries_by_kind():
    """No query: this test has no database access, and a query would raise."""
    entries = [CooperationEntry(kind=kind) for kind in ["post", "milestone", "post", "exercise", "post"]]
    chart = charts.at_a_glance(entries)
    assert [(b.label, b.bar.value, b.bar.width, b.bar.colour) for b in chart.bars] == [
        # Drawn 288 units wide (the side column), 44 of them for the count: the longest bar is 244.
        ("Milestone", 1, 81.33, charts.KIND_COLOURS["milestone"]),
        ("Personnel post", 3, 244, charts.KIND_COLOURS["post"]),
        ("Exercise or training", 1, 81.33, charts.KIND_COLOURS["exercise"]),
    ]
    assert chart.width == 288
    assert chart.rows == [
        Row("Milestone", (1,), 1),
        Row("Personnel post", (3,), 3),
        Row("Exercise or training", (1,), 1),
    ]
    assert charts.at_a_glance([]).empty


def contrast(colour, background="#ffffff"):
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(colour), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("colour", [*charts.KIND_COLOURS.values(), charts.OTHER_COLOUR, charts.BAR_COLOUR])
def test_every_colour_stands_out_from_the_white_background(colour):
    assert contrast(colour) >= 3  # WCAG 1.4.11, non-text contrast


def test_the_colour_check_can_fail():
    assert contrast("#aaaaaa") < 3
    assert set(charts.KIND_COLOURS) == {key for key, _label in KINDS}
