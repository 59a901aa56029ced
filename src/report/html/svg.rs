//! A small SVG chart writer: two linear axes with round ticks and their units, and the marks the report
//! draws on them (points, lines, bands, labels). Colours are CSS classes, so the page's style sheet picks
//! them for a light or a dark viewer.

use std::fmt::Write as _;

/// The drawing's size in SVG units; the page scales it to the width of its column.
pub const WIDTH: f64 = 760.0;
/// Room left of the plot for the y ticks and the y axis title.
const LEFT: f64 = 78.0;
/// Room right of the plot for the labels of horizontal lines.
const RIGHT: f64 = 12.0;
/// Room above the plot.
const TOP: f64 = 14.0;
/// Room below the plot for the x ticks and the x axis title.
const BOTTOM: f64 = 44.0;
/// The most ticks an axis gets: enough to read a value off, few enough not to crowd a laptop screen.
const MAX_TICKS: usize = 7;

pub use crate::report::markup::escape;

/// One axis: the range of values it shows and its title with the unit (`memory (MiB)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The smallest value shown.
    pub lo: f64,
    /// The largest value shown.
    pub hi: f64,
    /// The title under or beside the axis, with its unit.
    pub title: String,
    /// Whether the values are counts (cycles, batches): no tick between two whole numbers.
    pub whole: bool,
}

impl Axis {
    /// An axis over `values`, padded by `pad` of their span on each side; a single value or a flat series
    /// gets a span of 1 around it, so it is drawn in the middle instead of dividing by zero.
    pub fn over(values: impl IntoIterator<Item = f64>, pad: f64, title: impl Into<String>) -> Self {
        let (lo, hi) = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let title = title.into();
        if lo > hi {
            return Self { lo: 0.0, hi: 1.0, title, whole: false };
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            return Self { lo: lo - 0.5, hi: hi + 0.5, title, whole: false };
        }
        let pad = (hi - lo) * pad;
        Self { lo: lo - pad, hi: hi + pad, title, whole: false }
    }
}

impl Axis {
    /// The same axis over counts: its ticks fall on whole numbers only.
    pub fn whole(self) -> Self {
        Self { whole: true, ..self }
    }

    /// The axis widened around its middle to show at least `span`: memory that varies by a few KiB is
    /// drawn as the flat line it is, not stretched over the whole height.
    pub fn at_least(self, span: f64) -> Self {
        if self.hi - self.lo >= span {
            return self;
        }
        let mid = (self.lo + self.hi) / 2.0;
        Self { lo: mid - span / 2.0, hi: mid + span / 2.0, ..self }
    }
}

/// Round tick values within `lo..=hi`, at most `max` of them, 1-2-5 spaced; and the decimals they need.
pub fn ticks(lo: f64, hi: f64, max: usize, whole: bool) -> (Vec<f64>, usize) {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() || max < 2 {
        return (vec![lo], 0);
    }
    let rough = (hi - lo) / (max - 1) as f64;
    let rough = if whole { rough.max(1.0) } else { rough };
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    ((first..=last).map(|i| i as f64 * step).collect(), decimals)
}

/// A chart being written: its axes mapped to the plot area, and the SVG so far.
#[derive(Debug)]
pub struct Chart {
    /// The SVG written so far.
    out: String,
    /// The x axis, mapped to `LEFT..WIDTH - RIGHT`.
    x: Axis,
    /// The y axis, mapped to `height - BOTTOM..TOP` (up is more).
    y: Axis,
    /// The drawing's height in SVG units.
    height: f64,
}

impl Chart {
    /// Opens a chart: `class` names it for the style sheet and the tests, `label` is what a screen reader
    /// says of it. Draws the grid, the ticks and the axis titles.
    pub fn new(class: &str, label: &str, height: f64, x: Axis, y: Axis) -> Self {
        let mut chart = Self::new_bare(class, label, height, x, y);
        chart.axes(true);
        chart
    }

    fn new_bare(class: &str, label: &str, height: f64, x: Axis, y: Axis) -> Self {
        let mut out = String::with_capacity(8 << 10);
        let _ = write!(
            out,
            r#"<svg class="chart {class}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
            escape(label),
            escape(label)
        );
        Self { out, x, y, height }
    }

    /// [`Chart::new`] for a strip of cells: no y ticks, the y axis only says what the strip shows.
    pub fn strip(class: &str, label: &str, height: f64, x: Axis, y_title: &str) -> Self {
        let mut chart =
            Self::new_bare(class, label, height, x, Axis { lo: 0.0, hi: 1.0, title: y_title.into(), whole: false });
        chart.axes(false);
        chart
    }

    /// The x position of value `v`.
    pub fn px(&self, v: f64) -> f64 {
        LEFT + (v - self.x.lo) / (self.x.hi - self.x.lo) * (WIDTH - LEFT - RIGHT)
    }

    /// The y position of value `v`.
    pub fn py(&self, v: f64) -> f64 {
        let bottom = self.height - BOTTOM;
        bottom - (v - self.y.lo) / (self.y.hi - self.y.lo) * (bottom - TOP)
    }

    fn axes(&mut self, y_ticks: bool) {
        let (left, right, top, bottom) = (LEFT, WIDTH - RIGHT, TOP, self.height - BOTTOM);
        let (xt, xd) = ticks(self.x.lo, self.x.hi, MAX_TICKS, self.x.whole);
        let (yt, yd) = if y_ticks { ticks(self.y.lo, self.y.hi, MAX_TICKS, self.y.whole) } else { (vec![], 0) };
        for v in yt {
            let y = self.py(v);
            let _ = write!(
                self.out,
                r#"<line class="grid" x1="{left:.1}" x2="{right:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{v:.yd$}</text>"#,
                left - 6.0,
                y + 4.0
            );
        }
        for v in xt {
            let x = self.px(v);
            let _ = write!(
                self.out,
                r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="{top:.1}" y2="{bottom:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{v:.xd$}</text>"#,
                bottom + 16.0
            );
        }
        let _ = write!(
            self.out,
            r#"<rect class="frame" x="{left}" y="{top}" width="{:.1}" height="{:.1}"/><text class="axis-title" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-title" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            right - left,
            bottom - top,
            (left + right) / 2.0,
            self.height - 6.0,
            escape(&self.x.title),
            (top + bottom) / 2.0,
            escape(&self.y.title)
        );
    }

    /// A shaded band over `x0..x1` (the warm-up, the tail window), labelled at its top.
    pub fn band(&mut self, x0: f64, x1: f64, class: &str, label: &str) {
        let (a, b) = (self.px(x0), self.px(x1));
        let (top, bottom) = (TOP, self.height - BOTTOM);
        let _ = write!(
            self.out,
            r#"<rect class="band {class}" x="{a:.1}" y="{top}" width="{:.1}" height="{:.1}"><title>{}</title></rect><text class="band-label" x="{:.1}" y="{:.1}">{}</text>"#,
            (b - a).max(0.0),
            bottom - top,
            escape(label),
            a + 4.0,
            bottom - 6.0,
            escape(label)
        );
    }

    /// A horizontal line at `y` from `x0` to `x1`, labelled at its right end.
    pub fn hline(&mut self, y: f64, x0: f64, x1: f64, class: &str, label: &str) {
        let (a, b, y) = (self.px(x0), self.px(x1), self.py(y));
        let _ = write!(
            self.out,
            r#"<line class="{class}" x1="{a:.1}" x2="{b:.1}" y1="{y:.1}" y2="{y:.1}"><title>{}</title></line><text class="line-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            escape(label),
            b - 2.0,
            y - 4.0,
            escape(label)
        );
    }

    /// A line through `points` (values, not positions).
    pub fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        if points.len() < 2 {
            return;
        }
        let _ = write!(self.out, r#"<polyline class="{class}" points=""#);
        for (x, y) in points {
            let _ = write!(self.out, "{:.1},{:.1} ", self.px(*x), self.py(*y));
        }
        self.out.push_str(r#""/>"#);
    }

    /// One data point: a circle of `class` in `series` (`main`, `baseline`), with a tooltip.
    pub fn point(&mut self, x: f64, y: f64, class: &str, series: &str, tip: &str) {
        let _ = write!(
            self.out,
            r#"<circle class="point {class}" data-series="{series}" cx="{:.1}" cy="{:.1}" r="4"><title>{}</title></circle>"#,
            self.px(x),
            self.py(y),
            escape(tip)
        );
    }

    /// A cell of a strip (the gauge's history): a full-height rectangle over `x0..x1`.
    pub fn cell(&mut self, x0: f64, x1: f64, class: &str, tip: &str) {
        let (a, b) = (self.px(x0), self.px(x1));
        let _ = write!(
            self.out,
            r#"<rect class="cell {class}" x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            (b - a).max(0.5),
            self.height - BOTTOM - TOP,
            escape(tip)
        );
    }

    /// A legend entry in the plot's top left corner, `row` counting down from the top.
    pub fn legend(&mut self, row: usize, class: &str, label: &str) {
        let y = TOP + 14.0 + 16.0 * row as f64;
        let x = LEFT + 8.0;
        let _ = write!(self.out, r#"<text class="legend {class}" x="{x:.1}" y="{y:.1}">{}</text>"#, escape(label));
    }

    /// Closes the chart and returns its SVG.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_within_the_range() {
        let shown = |lo, hi, max| {
            let (t, d) = ticks(lo, hi, max, false);
            t.iter().map(|v| format!("{v:.d$}")).collect::<Vec<_>>().join(" ")
        };
        assert_eq!(shown(0.0, 10.0, 6), "0 2 4 6 8 10");
        assert_eq!(shown(47.3, 48.1, 5), "47.4 47.6 47.8 48.0");
        assert_eq!(shown(0.0, 1300.0, 7), "0 500 1000");
        assert_eq!(shown(-0.5, 0.5, 3), "-0.5 0.0 0.5");
        assert_eq!(shown(5.0, 5.0, 7), "5", "an empty range gets its one value");
        assert_eq!(ticks(0.5, 2.5, 7, true), (vec![1.0, 2.0], 0), "counts tick on whole numbers");
    }

    #[test]
    fn a_flat_series_gets_a_span_and_its_value_in_the_middle() {
        let a = Axis::over([20.0, 20.0], 0.05, "memory (MiB)");
        assert_eq!((a.lo, a.hi), (19.5, 20.5));
        let none = Axis::over([], 0.05, "x");
        assert_eq!((none.lo, none.hi), (0.0, 1.0));
        let nan = Axis::over([f64::NAN, 3.0, 5.0], 0.0, "x");
        assert_eq!((nan.lo, nan.hi), (3.0, 5.0), "values that are not numbers are left out");
    }

    #[test]
    fn a_narrow_axis_is_widened_around_its_middle() {
        let a = Axis::over([10.0, 10.2], 0.0, "m").at_least(1.0);
        assert!((a.lo - 9.6).abs() < 1e-9 && (a.hi - 10.6).abs() < 1e-9);
        let wide = Axis::over([0.0, 5.0], 0.0, "m").at_least(1.0);
        assert_eq!((wide.lo, wide.hi), (0.0, 5.0));
    }

    #[test]
    fn values_map_into_the_plot_area_up_being_more() {
        let chart = Chart::new("c", "l", 300.0, Axis::over([0.0, 10.0], 0.0, "x"), Axis::over([0.0, 1.0], 0.0, "y"));
        assert_eq!(chart.px(0.0), LEFT);
        assert_eq!(chart.px(10.0), WIDTH - RIGHT);
        assert_eq!(chart.py(0.0), 300.0 - BOTTOM);
        assert_eq!(chart.py(1.0), TOP);
    }

    #[test]
    fn text_is_escaped_and_the_svg_is_closed() {
        let mut chart =
            Chart::new("c", "a <b> & \"c\"", 200.0, Axis::over([0.0], 0.0, "x"), Axis::over([0.0], 0.0, "y"));
        chart.point(0.0, 0.0, "ok", "main", "<script>");
        let svg = chart.finish();
        assert!(svg.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
