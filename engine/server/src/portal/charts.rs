//! Bar charts as geometry for an SVG template: positions computed here, drawn by
//! `dashboard.html` with attributes and CSS classes only (the page's policy allows no
//! inline style and no script), every label escaped by the template.

use serde::Serialize;

/// Drawing width and height, in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels under and left of the bars.
const BOTTOM: f64 = 28.0;
const LEFT: f64 = 56.0;
/// Distinct series colours the stylesheet defines (`.s0` … `.s5`); more series reuse them.
const COLOURS: usize = 6;

/// One rectangle.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bar {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) w: f64,
    pub(crate) h: f64,
    /// The series' colour class.
    pub(crate) class: String,
    /// What a pointer or a screen reader is told: column, series, value.
    pub(crate) title: String,
}

/// A label at a point.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Label {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) text: String,
}

/// One series in the legend and in the data table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) class: String,
    /// Its value in each column, formatted.
    pub(crate) values: Vec<String>,
}

/// A stacked bar chart, and the table of its data for those who do not see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Chart {
    pub(crate) title: String,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) bars: Vec<Bar>,
    pub(crate) columns: Vec<Label>,
    /// The top of the value axis.
    pub(crate) top: Label,
    pub(crate) series: Vec<Series>,
    /// Whether there is nothing to draw.
    pub(crate) empty: bool,
}

/// How values are written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// US dollars, to the cent.
    Usd,
    /// A count.
    Count,
}

impl Unit {
    pub(crate) fn text(self, v: f64) -> String {
        match self {
            Unit::Usd => format!("${v:.2}"),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

/// Stacks each series' value per column. Negative and non-finite values count as zero:
/// a chart draws what was spent or counted, never less than nothing.
pub(crate) fn stacked(
    title: &str,
    columns: &[String],
    series: &[(String, Vec<f64>)],
    unit: Unit,
) -> Chart {
    let value = |s: &[f64], i: usize| s.get(i).copied().filter(|v| v.is_finite() && *v > 0.0);
    let totals: Vec<f64> = (0..columns.len())
        .map(|i| series.iter().filter_map(|(_, s)| value(s, i)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let slot = (WIDTH - LEFT) / columns.len().max(1) as f64;
    let mut bars = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let mut base = HEIGHT - BOTTOM;
        for (k, (name, values)) in series.iter().enumerate() {
            let Some(v) = value(values, i) else { continue };
            let h = if max > 0.0 { v / max * plot_h } else { 0.0 };
            base -= h;
            bars.push(Bar {
                x: round(LEFT + i as f64 * slot + slot * 0.15),
                y: round(base),
                w: round(slot * 0.7),
                h: round(h),
                class: format!("s{}", k % COLOURS),
                title: format!("{column}, {name}: {}", unit.text(v)),
            });
        }
    }
    Chart {
        title: title.to_owned(),
        width: WIDTH,
        height: HEIGHT,
        columns: columns
            .iter()
            .enumerate()
            .map(|(i, c)| Label {
                x: round(LEFT + i as f64 * slot + slot / 2.0),
                y: HEIGHT - 10.0,
                text: c.clone(),
            })
            .collect(),
        top: Label {
            x: LEFT - 6.0,
            y: HEIGHT - BOTTOM - plot_h + 4.0,
            text: unit.text(max),
        },
        series: series
            .iter()
            .enumerate()
            .map(|(k, (name, values))| Series {
                name: name.clone(),
                class: format!("s{}", k % COLOURS),
                values: (0..columns.len())
                    .map(|i| unit.text(value(values, i).unwrap_or(0.0)))
                    .collect(),
            })
            .collect(),
        empty: bars.is_empty(),
        bars,
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_stack_to_the_tallest_column_and_name_what_they_show() {
        let columns = vec!["w1".to_owned(), "w2".to_owned()];
        let chart = stacked(
            "cost",
            &columns,
            &[
                ("payments".to_owned(), vec![10.0, 30.0]),
                ("search".to_owned(), vec![10.0, f64::NAN]),
            ],
            Unit::Usd,
        );
        assert_eq!(chart.bars.len(), 3);
        // w2 holds the largest total (30): its one bar is the full plot height.
        let w2 = &chart.bars[2];
        assert_eq!(w2.h, HEIGHT - BOTTOM - 8.0);
        assert_eq!(w2.title, "w2, payments: $30.00");
        // w1's two bars stack: 20 of 30, the second above the first.
        assert!((chart.bars[0].h + chart.bars[1].h - w2.h * 2.0 / 3.0).abs() < 0.2);
        assert!(chart.bars[1].y < chart.bars[0].y);
        assert_eq!(chart.top.text, "$30.00");
        assert_eq!(chart.series[1].values, ["$10.00", "$0.00"]);
    }

    #[test]
    fn nothing_to_draw_is_said_so() {
        let chart = stacked("x", &["w1".to_owned()], &[], Unit::Count);
        assert!(chart.empty);
        assert_eq!(chart.top.text, "0");
    }
}
