"""The pure side of the analytics: windows of days, percentiles as PostgreSQL computes them,
transition facts and peak stage from a board row's periods, CSV, and the SVG charts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from schemas.stages import DEFAULT_STAGE_NAMES
from services.projections.models.analytics import (
    AdvanceTimes,
    Conversion,
    DropOff,
    Window,
    conversion_csv,
    drop_off_csv,
    percentile,
    percentile_rank,
)
from services.projections.pages.charts import (
    LABEL_WIDTH,
    Bar,
    Chart,
    Seconds,
    bar_chart,
    text_width,
    wrap,
)
from services.projections.pages.layout import Pages
from services.projections.tables.transitions import peak_stage, transitions
from tests.projections.history import at, awarded, changed, first_click, moved, row_after


def test_a_window_of_days_covers_both_days_whole_in_utc() -> None:
    window = Window.of_days(date(2026, 11, 1), date(2026, 11, 3))
    assert window.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 4, tzinfo=UTC)
    assert Window.of_days(None, None) == Window(None, None)


def test_a_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        Window.of_days(date(2026, 11, 3), date(2026, 11, 1))


def test_percentiles_interpolate_between_neighbours_like_percentile_cont() -> None:
    values = [1800.0, 3600.0, 3600.0, 7200.0]
    assert percentile(values, 0.5) == 3600.0
    assert percentile(values, 0.9) == pytest.approx(6120.0)
    assert percentile([10.0, 20.0], 0.5) == 15.0
    assert percentile([42.0], 0.9) == 42.0
    assert percentile_rank(11, 0.9) == (9, pytest.approx(0.0))


def test_every_stage_left_is_a_transition_with_the_time_spent_in_it() -> None:
    row = row_after(
        first_click("v-1", 0),
        [awarded("v-1", 60, total=30), changed("v-1", 60, old=1, new=2)],
        [awarded("v-1", 90, total=200, stage=4), changed("v-1", 90, old=2, new=4)],
        moved("v-1", 150, old=4, new=3, delta=-50),
    )
    facts = transitions(row.prospect_id, row.stage_periods)
    assert [(f["from_stage"], f["to_stage"], f["seconds"]) for f in facts] == [
        (1, 2, 3600.0),
        (2, 4, 1800.0),
        (4, 3, 3600.0),
    ]
    assert [f["moved_at"] for f in facts] == [at(60), at(90), at(150)]
    assert [f["seq"] for f in facts] == [0, 1, 2]
    assert peak_stage(row.stage, row.stage_periods) == 4
    assert row.stage == 3


def test_a_prospect_that_never_moved_has_no_transition_and_peaks_where_it_is() -> None:
    row = row_after(first_click("v-1", 0))
    assert transitions(row.prospect_id, row.stage_periods) == []
    assert peak_stage(row.stage, row.stage_periods) == 1
    assert peak_stage(3, ()) == 3


def test_conversion_csv_names_the_target_and_leaves_missing_rates_empty() -> None:
    rows = [Conversion("webinar", "Webinar", 4, 1), Conversion(None, None, 0, 0)]
    parsed = list(csv.reader(io.StringIO(conversion_csv("entry_point", 4, rows))))
    assert parsed == [
        ["entry_point", "label", "prospects", "reached_stage_4", "rate"],
        ["webinar", "Webinar", "4", "1", "0.25"],
        ["", "", "0", "0", ""],
    ]


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    rows = [Conversion("=HYPERLINK(1)", "-x", 3, 1)]
    parsed = list(csv.reader(io.StringIO(conversion_csv("utm_campaign", 2, rows))))
    assert parsed[1][:2] == ["'=HYPERLINK(1)", "'-x"]
    drop = list(csv.reader(io.StringIO(drop_off_csv([DropOff(1, 3, 2)], DEFAULT_STAGE_NAMES))))
    assert drop[1] == ["1", "Call to Discovery", "3", "2", "0.666667"]


def test_rates_and_empty_figures() -> None:
    assert Conversion("a", None, 3, 1).rate == pytest.approx(1 / 3)
    assert Conversion("a", None, 0, 0).rate is None
    assert DropOff(2, 0, 0).rate is None
    assert AdvanceTimes(5, 0).median is None


def test_a_bar_chart_draws_bars_to_scale_and_escapes_its_labels() -> None:
    svg = drawn(
        bar_chart(
            "Per <stage>",
            [
                Bar("<b>one</b>", ((10.0, "stage-1"),), ("10",)),
                Bar("two", ((5.0, "inactive"), (5.0, "active")), ("5 of 10",), marker=2.0),
            ],
            legend=(("inactive", "inactive"),),
            chart_id="c",
        )
    )
    assert "<b>" not in svg and "&lt;b&gt;one&lt;/b&gt;" in svg
    assert 'aria-label="Per &lt;stage&gt;"' in svg
    widths = [float(w) for w in _attributes(svg, ' width="')[1:]]
    # The whole first bar, then the second's two halves; the legend key is 12 wide.
    assert widths == [12.0, 230.0, 115.0, 115.0]
    assert _attributes(svg, '<rect class="') == ["inactive", "stage-1", "inactive", "active"]
    assert "style" not in svg


def test_durations_in_a_bar_are_left_for_the_browser_to_word() -> None:
    chart = bar_chart(
        "Times", [Bar("1 · Discovery", ((60.0, "median"),), ("median ", Seconds(6600.0)))]
    )
    assert '<tspan data-seconds="6600.0">6600 s</tspan>' in drawn(chart)


def test_a_label_too_long_for_its_column_wraps_and_keeps_its_full_text_in_a_tooltip() -> None:
    long = "Download the complete hero journey playbook for founders of very small consultancies"
    chart = bar_chart("Conversion", [Bar(long, ((1.0, "converted"),), ("100.0%",))])
    lines = chart.rows[0].lines
    assert len(lines) == 2 and lines[1].text.endswith("…")
    assert all(text_width(line.text) <= LABEL_WIDTH - 10 for line in lines)
    assert " ".join(line.text for line in lines).startswith("Download the complete")
    assert f"<title>{long}</title>" in drawn(chart)
    # The second line sits below the first, and the row grows to hold both.
    assert lines[1].y - lines[0].y == 14
    assert chart.height > bar_chart("x", [Bar("short", ((1.0, "converted"),), ("",))]).height


def test_wrapping_breaks_at_spaces_or_inside_a_word_too_long_for_a_line() -> None:
    assert wrap("Book a Demo", 155) == ("Book a Demo",)
    assert wrap("Read the complete guide to heroes", 130) == (
        "Read the complete",
        "guide to heroes",
    )
    broken = wrap("W" * 40, 155)
    assert len(broken) == 2 and broken[0] == "W" * 12 and broken[1].endswith("…")
    assert wrap("", 155) == ("",)


def test_a_funnel_chart_centres_its_bars_and_writes_its_figures_in_one_column() -> None:
    chart = bar_chart(
        "Funnel",
        [Bar("1", ((10.0, "stage-1"),), ("10",)), Bar("2", ((4.0, "stage-2"),), ("4",))],
        centered=True,
    )
    first, second = (row.segments[0] for row in chart.rows)
    assert first.x + first.width / 2 == second.x + second.width / 2
    assert second.width == first.width * 0.4
    assert chart.rows[0].text_x == chart.rows[1].text_x
    assert not chart.axis


def test_an_empty_chart_says_so() -> None:
    assert "No data" in drawn(bar_chart("Nothing", []))


def drawn(chart: Chart) -> str:
    macros = Pages().env.get_template("analyticsdashboard_charts.html").module
    return str(macros.bar_chart(chart))  # type: ignore[attr-defined]


def _attributes(svg: str, marker: str) -> list[str]:
    return [part.split('"', 1)[0] for part in svg.split(marker)[1:]]
