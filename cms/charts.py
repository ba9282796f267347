"""Pictures of cooperation entries, drawn on the server as SVG: the geometry of bar charts.

Pure functions and dataclasses, no database and no request: they turn counts into rectangles in an
SVG user space (``viewBox="0 0 width height"``, units that scale with the picture), axis ticks, a
legend and the rows of the table that gives the same numbers. The templates
``templates/includes/chart_stacked.html`` and ``chart_bars.html`` only render what is computed here.

- ``entries_by_year``: a stacked bar per year (or per span of years when there are many), one
  segment per kind, bottom-up in the legend's order. Undated entries are not drawn; they are
  counted in the description and the table's last row.
- ``entries_by_area``: a horizontal bar per area, the most entries first.
- ``at_a_glance``: a partner page's entries by kind, from entries already loaded (no query).

Colours: each kind's colour has a contrast of at least 3:1 against the white background (WCAG
1.4.11, non-text contrast; checked in tests/cms/test_charts.py), stacked segments are separated
by a white gap, and the picture never relies on colour alone: the legend lists the kinds in stack
order and the table gives every number.
"""

from collections import Counter
from dataclasses import dataclass, field
from math import ceil, floor, log10

from django.utils.translation import gettext, gettext_lazy, ngettext

from partnership.models import CooperationEntry

# One colour per kind of entry (the keys of partnership.models.CooperationEntry.Kind).
KIND_COLOURS = {
    "milestone": "#a35200",
    "programme": "#1f5f9e",
    "contribution": "#7a3d8c",
    "post": "#00695c",
    "exercise": "#b3261e",
    "operation": "#4d4d4d",
}
OTHER_COLOUR = "#4a4f55"
BAR_COLOUR = "#12355b"  # the site's brand colour

# Spans of years a time axis may be grouped in, the smallest that keeps the bars readable on a phone.
SPAN_SIZES = (1, 5, 10, 25, 50, 100)
MAX_BARS = 30
MAX_TICK_LABELS = 6
# Horizontal bars drawn at most (the table lists them all).
MAX_ROWS = 15

WIDTH = 400
# The stacked chart's plot area inside the picture: room on the left for the counts, below for the years.
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 36, 392, 12, 212
STACKED_HEIGHT = 240
# A horizontal bar's row: its label on a line of its own, then the bar and its count.
ROW_LABEL, ROW_BAR, ROW_GAP = 18, 16, 10
ROW_HEIGHT = ROW_LABEL + ROW_BAR + ROW_GAP
# The partner page's side column is 18rem (288 CSS px) wide: drawn that wide, the chart's words keep the
# page's size instead of shrinking with a 400-unit picture.
GLANCE_WIDTH = 288
COUNT_ROOM = 44  # on the right of the longest bar, for its count

NOTHING_DATED = gettext_lazy("There is nothing to draw: none of these entries has a date.")
NOTHING_IN_AREAS = gettext_lazy("There is nothing to draw: none of these entries is in an area.")
NOTHING_AT_ALL = gettext_lazy("There is nothing to draw: there are no entries.")


@dataclass(frozen=True)
class Series:
    """One kind of thing counted (a kind of entry): its key, its name for readers and its colour."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Span:
    """Years ``start`` to ``end`` inclusive (the same year for a single one)."""

    start: int
    end: int

    @property
    def label(self):
        """'2014', or '1990–1994' (an en dash)."""
        return str(self.start) if self.start == self.end else f"{self.start}\u2013{self.end}"


@dataclass(frozen=True)
class Rect:
    """A bar or a segment of one, in the picture's units (y grows downwards), and the count it stands for."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int


@dataclass(frozen=True)
class Tick:
    """An axis mark: where it is (x for the time axis, y for the count axis) and its label."""

    position: float
    label: str


@dataclass(frozen=True)
class Row:
    """A row of the chart's table: its heading, a count per column (the legend's order) and their total."""

    label: str
    cells: tuple
    total: int


@dataclass(frozen=True)
class LabelledBar:
    """A horizontal bar with its label written above it and its count after it."""

    label: str
    label_y: float
    bar: Rect
    value_x: float
    value_y: float


@dataclass
class StackedBars:
    """A stacked bar chart over time; ``empty`` (and ``empty_message``) when there is nothing to draw."""

    id: str
    title: str
    description: str = ""
    width: int = WIDTH
    height: int = STACKED_HEIGHT
    bars: list = field(default_factory=list)  # Rect, every segment of every bar
    x_ticks: list = field(default_factory=list)  # Tick, under the bars
    y_ticks: list = field(default_factory=list)  # Tick, counts from 0 up
    legend: list = field(default_factory=list)  # Series, in stack order (the first at the bottom)
    span_heading: str = ""  # the table's first column
    rows: list = field(default_factory=list)  # Row per span with entries, oldest first
    undated: Row | None = None  # Row of the entries without a date, if any
    note: str = ""  # shown under the caption: the entries not drawn (no date), so every reader sees it
    empty_message: str = ""

    template = "includes/chart_stacked.html"
    plot_left, plot_right, plot_bottom = PLOT_LEFT, PLOT_RIGHT, PLOT_BOTTOM
    y_label_x = PLOT_LEFT - 6  # the counts' labels end there
    x_label_y = PLOT_BOTTOM + 18  # the years' labels' baseline

    @property
    def empty(self):
        return not self.bars


@dataclass
class HorizontalBars:
    """A horizontal bar chart; ``empty`` (and ``empty_message``) when there is nothing to draw."""

    id: str
    title: str
    description: str = ""
    width: int = WIDTH
    height: int = 0
    bars: list = field(default_factory=list)  # LabelledBar, the most first
    row_heading: str = ""  # the table's first column
    rows: list = field(default_factory=list)  # Row (one cell) per item, drawn or not
    note: str = ""  # what the reader should know about the numbers (an entry in several areas, …)
    empty_message: str = ""

    template = "includes/chart_bars.html"

    @property
    def empty(self):
        return not self.bars


def _round(value):
    return round(value, 2)


def spans_for(first, last, max_bars=MAX_BARS):
    """The spans of years from ``first`` to ``last`` (ints, first <= last), as few as readable:
    single years when there are at most ``max_bars`` of them, else spans of 5, 10, 25, … years
    starting at a multiple of their size (1990–1994, 1995–1999). Returns a list of Span, oldest first."""
    for size in SPAN_SIZES:
        start = first - first % size
        if (last - start) // size + 1 <= max_bars:
            return [Span(year, year + size - 1) for year in range(start, last + 1, size)]
    size = SPAN_SIZES[-1] * ceil((last - first + 1) / (SPAN_SIZES[-1] * max_bars))
    start = first - first % size
    return [Span(year, year + size - 1) for year in range(start, last + 1, size)]


def nice_step(maximum, ticks=4):
    """A step of 1, 2 or 5 times a power of ten (at least 1) giving about ``ticks`` ticks up to ``maximum``."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** floor(log10(raw))
    return next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= raw)


def kind_series(kinds, present):
    """The Series of each kind in ``kinds`` (``(key, label)`` pairs, in order) whose key is in ``present``."""
    return [Series(key, str(label), KIND_COLOURS.get(key, OTHER_COLOUR)) for key, label in kinds if key in present]


def entries_by_year(counts, kinds, *, chart_id="chart-years", max_bars=MAX_BARS):
    """A stacked bar chart of entries over time, a segment per kind.

    ``counts``: {(year or None, kind key): number of entries}, None for entries without a date;
    ``kinds``: ``(key, label)`` pairs in the order to stack them (bottom first) and list them.
    Bars are per year, or per span of years when there are more than ``max_bars`` years (see
    ``spans_for``). Returns StackedBars; it is ``empty`` when no entry has a date.
    """
    chart = StackedBars(id=chart_id, title=gettext("Entries over time, by kind"))
    counts = {key: n for key, n in counts.items() if n}
    series = kind_series(kinds, {kind for (_year, kind) in counts})
    undated = [sum(n for (year, kind), n in counts.items() if year is None and kind == s.key) for s in series]
    total = sum(counts.values())
    if any(undated):
        chart.undated = Row(gettext("No date"), tuple(undated), sum(undated))
    years = sorted({year for (year, _kind) in counts if year is not None})
    if not years:
        chart.empty_message = str(NOTHING_DATED if total else NOTHING_AT_ALL)
        chart.legend = series
        return chart
    spans = spans_for(years[0], years[-1], max_bars)
    per_span = [
        [sum(n for (year, kind), n in counts.items() if year is not None and s.start <= year <= s.end and kind == k.key)
         for k in series]
        for s in spans
    ]  # fmt: skip
    tallest = max(sum(cells) for cells in per_span)
    step = nice_step(tallest)
    top = ceil(tallest / step) * step
    plot_height = PLOT_BOTTOM - PLOT_TOP
    band = (PLOT_RIGHT - PLOT_LEFT) / len(spans)
    bar_width = band * 0.7
    for index, cells in enumerate(per_span):
        x = PLOT_LEFT + index * band + (band - bar_width) / 2
        base = 0.0
        for kind, value in zip(series, cells, strict=True):
            if not value:
                continue
            height = value / top * plot_height
            chart.bars.append(
                Rect(
                    _round(x),
                    _round(PLOT_BOTTOM - base - height),
                    _round(bar_width),
                    _round(height),
                    kind.colour,
                    value,
                )
            )
            base += height
    every = ceil(len(spans) / MAX_TICK_LABELS)
    chart.x_ticks = [
        Tick(_round(PLOT_LEFT + (index + 0.5) * band), str(span.start))
        for index, span in enumerate(spans)
        if index % every == 0
    ]
    chart.y_ticks = [
        Tick(_round(PLOT_BOTTOM - value / top * plot_height), str(value)) for value in range(0, top + 1, step)
    ]
    chart.legend = series
    chart.rows = [
        Row(span.label, tuple(cells), sum(cells)) for span, cells in zip(spans, per_span, strict=True) if sum(cells)
    ]
    size = spans[0].end - spans[0].start + 1
    chart.span_heading = gettext("Year") if size == 1 else gettext("Years")
    dated = total - sum(undated)
    busiest = max(chart.rows, key=lambda row: row.total)
    parts = [
        ngettext(
            "%(count)s dated entry from %(first)s to %(last)s.",
            "%(count)s dated entries from %(first)s to %(last)s.",
            dated,
        )
        % {"count": dated, "first": years[0], "last": years[-1]},
    ]
    if size > 1:
        parts.append(gettext("Each bar counts %(size)s years.") % {"size": size})
    parts.append(gettext("The most entries: %(count)s in %(span)s.") % {"count": busiest.total, "span": busiest.label})
    if chart.undated:
        chart.note = ngettext(
            "%(count)s entry has no date and is not drawn.",
            "%(count)s entries have no date and are not drawn.",
            chart.undated.total,
        ) % {"count": chart.undated.total}
        parts.append(chart.note)
    chart.description = " ".join(parts)
    return chart


def horizontal_bars(items, *, chart_id, title, row_heading, colours=None, max_rows=MAX_ROWS, note="", width=WIDTH):
    """A horizontal bar per item, in the order given.

    ``items``: ``(label, count)`` pairs; ``colours``: a colour per item (the same length), else the
    site's one colour. Items counting 0 are left out. The first ``max_rows`` are drawn; the table
    lists them all. Returns HorizontalBars; it is ``empty`` when no item counts anything.
    """
    chart = HorizontalBars(id=chart_id, title=title, row_heading=row_heading, note=note, width=width)
    colours = list(colours) if colours is not None else [BAR_COLOUR] * len(items)
    drawn = [(label, n, colour) for (label, n), colour in zip(items, colours, strict=True) if n]
    chart.rows = [Row(label, (n,), n) for label, n, _colour in drawn]
    if not drawn:
        return chart
    longest = width - COUNT_ROOM
    largest = max(n for _label, n, _colour in drawn)
    for index, (label, n, colour) in enumerate(drawn[:max_rows]):
        top = index * ROW_HEIGHT
        length = max(n / largest * longest, 2)
        bar = Rect(0, top + ROW_LABEL, _round(length), ROW_BAR, colour, n)
        chart.bars.append(
            LabelledBar(label, top + ROW_LABEL - 5, bar, _round(length + 6), top + ROW_LABEL + ROW_BAR - 3)
        )
    chart.height = len(chart.bars) * ROW_HEIGHT - ROW_GAP
    if len(drawn) > max_rows:
        chart.note = " ".join(
            filter(
                None,
                [note, gettext("The %(count)s largest are drawn; the table lists them all.") % {"count": max_rows}],
            )
        )
    # Translated for the language's punctuation (French puts a space before the colon).
    listed = ", ".join(
        gettext("%(label)s: %(count)s") % {"label": label, "count": n} for label, n, _c in drawn[:max_rows]
    )
    chart.description = f"{title}. {listed}."
    return chart


def entries_by_area(counts, *, chart_id="chart-areas"):
    """A horizontal bar per area: ``counts`` is a list of ``(area name, number of entries)``.

    Drawn the most first (then by name). Returns HorizontalBars (``empty`` when no entry is in an area).
    """
    items = sorted(counts, key=lambda item: (-item[1], item[0]))
    chart = horizontal_bars(
        items,
        chart_id=chart_id,
        title=gettext("Entries by area"),
        row_heading=gettext("Area or theme"),
        note=gettext("An entry may be in several areas, or in none."),
    )
    chart.empty_message = str(NOTHING_IN_AREAS)
    return chart


def at_a_glance(entries, *, chart_id="chart-at-a-glance"):
    """A partner's entries by kind, from ``entries``: CooperationEntry objects already loaded (a list;
    no query is made). A bar per kind that has entries, in the kinds' order, in the kind's colour.
    Returns HorizontalBars (``empty`` when there are no entries), for templates/includes/chart_at_a_glance.html."""
    by_kind = Counter(entry.kind for entry in entries)
    kinds = [(key, str(label)) for key, label in CooperationEntry.Kind.choices if by_kind[key]]
    chart = horizontal_bars(
        [(label, by_kind[key]) for key, label in kinds],
        chart_id=chart_id,
        title=gettext("Entries by kind"),
        row_heading=gettext("Kind"),
        colours=[KIND_COLOURS.get(key, OTHER_COLOUR) for key, _label in kinds],
        width=GLANCE_WIDTH,
    )
    chart.empty_message = str(NOTHING_AT_ALL)
    return chart
