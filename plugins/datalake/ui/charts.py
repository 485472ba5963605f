"""Charts of the Data lake page: Vega-Lite specs built with altair, rendered to SVG on the
server by vl-convert (no JavaScript, nothing fetched by the browser)."""

from __future__ import annotations

from datalake.ui.overview import StreamStrip

COLOURS = {"loaded": "#4c9f70", "duplicates": "#8a8fbf", "quarantined": "#d9822b"}


def strip_chart_svg(strip: StreamStrip) -> str:
    """Stacked bars per arrival hour: loaded, duplicates and quarantined records."""
    import altair as alt
    import vl_convert

    values = [
        {
            "hour": cell.hour.strftime("%Y-%m-%dT%H:00:00Z"),
            "kind": kind,
            "records": getattr(cell, kind),
        }
        for cell in strip.cells
        for kind in COLOURS
    ]
    chart = (
        alt.Chart(alt.Data(values=values), title=f"{strip.stream}: records per arrival hour")
        .mark_bar()
        .encode(
            x=alt.X(
                "hour:T",
                title="arrival hour (UTC)",
                axis=alt.Axis(format="%d %H:00", labelAngle=-45),
            ),
            y=alt.Y("sum(records):Q", title="records"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=list(COLOURS), range=list(COLOURS.values())),
                title=None,
            ),
            order=alt.Order("kind:N"),
        )
        .properties(width=760, height=160)
    )
    return vl_convert.vegalite_to_svg(chart.to_dict())
