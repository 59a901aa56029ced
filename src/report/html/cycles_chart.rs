//! The charts across cycles: each cycle's final average with the fitted trend, and the leak gauge's
//! history, one cell per cycle.

use super::model::ScenarioView;
use super::svg::{Axis, Chart, escape};
use crate::analyze::{mib, stats};
use crate::settings::Analysis;

/// The final-averages chart's height in SVG units.
const HEIGHT: f64 = 280.0;
/// The gauge strip's height in SVG units.
const STRIP_HEIGHT: f64 = 96.0;

/// The final averages of `view` (and `baseline`'s) per cycle, with the Theil–Sen fit of the last
/// `trend_cycles` judged ones; words instead when fewer than two cycles were judged.
pub fn finals(view: &ScenarioView, baseline: Option<&ScenarioView>, settings: &Analysis) -> String {
    let judged = |v: &ScenarioView| v.points.iter().filter_map(|p| Some((p.last as f64, mib(p.final_avg?)))).collect();
    let main: Vec<(f64, f64)> = judged(view);
    if main.len() < 2 {
        return format!(
            r#"<p class="nodata">{} judged cycle(s) of {}: the final averages across cycles need two to draw, and the trend rule {} to judge.</p>"#,
            main.len(),
            view.cycles,
            settings.trend_cycles
        );
    }
    let base: Vec<(f64, f64)> = baseline.map(judged).unwrap_or_default();
    let x = Axis::over(main.iter().chain(&base).map(|p| p.0), 0.02, "cycle").whole();
    let y = Axis::over(main.iter().chain(&base).map(|p| p.1), 0.08, "final average (MiB)").at_least(1.0);
    let label = format!("{}: final average memory of each cycle", view.name);
    let mut chart = Chart::new("finals", &label, HEIGHT, x, y);
    for (series, points) in [("baseline", &base), ("main", &main)] {
        chart.polyline(points, &format!("series {series}"));
        for (n, m) in points.iter() {
            chart.point(*n, *m, "cycle", series, &format!("cycle {n:.0}: final average {m:.2} MiB"));
        }
    }
    chart.legend(0, "main", "● this recording");
    if !base.is_empty() {
        chart.legend(1, "baseline", "● baseline (before)");
    }
    let window: Vec<&(usize, f64)> = view.recent_finals.iter().rev().take(settings.trend_cycles).collect();
    if window.len() < settings.trend_cycles {
        let label = format!("trend: {} of the {} judged cycles it needs", window.len(), settings.trend_cycles);
        chart.legend(2, "fit", &label);
    } else {
        let (xs, ys): (Vec<f64>, Vec<f64>) = window.iter().rev().map(|(n, v)| (*n as f64, *v)).unzip();
        let line = stats::theil_sen(&xs, &ys);
        let (x0, x1) = (xs[0], xs[xs.len() - 1]);
        chart.polyline(&[(x0, mib(line.at(x0))), (x1, mib(line.at(x1)))], "fit");
        let label = format!("trend over the last {} judged cycles: {:+.0} KiB/cycle", xs.len(), line.slope / 1024.0);
        chart.legend(2, "fit", &label);
    }
    chart.finish()
}

/// The leak gauge after each cycle: a raised cell in the warning colour and with the word in its tooltip,
/// and the runs listed in words under it.
pub fn gauge(view: &ScenarioView) -> String {
    let Some((first, last)) = view.points.front().zip(view.points.back()) else {
        return String::new();
    };
    let x = Axis { lo: first.first as f64 - 0.5, hi: last.last as f64 + 0.5, title: "cycle".into(), whole: true };
    let label = format!("{}: the leak gauge after each cycle", view.name);
    let mut chart = Chart::strip("gauge", &label, STRIP_HEIGHT, x, "gauge");
    for p in &view.points {
        let (class, state) = if p.raised { ("raised", "raised") } else { ("down", "down") };
        let cycles =
            if p.first == p.last { format!("cycle {}", p.first) } else { format!("cycles {}-{}", p.first, p.last) };
        chart.cell(p.first as f64 - 0.5, p.last as f64 + 0.5, class, &format!("{cycles}: gauge {state}"));
    }
    format!(r#"{}<p class="gauge-words">{}</p>"#, chart.finish(), escape(&runs(view)))
}

/// The runs of cycles with the gauge raised, in words: `Raised after cycles 3-4, 12 (of 40 shown).`
pub fn runs(view: &ScenarioView) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for p in view.points.iter().filter(|p| p.raised) {
        match runs.last_mut() {
            Some(run) if run.1 + 1 >= p.first => run.1 = p.last,
            _ => runs.push((p.first, p.last)),
        }
    }
    let shown = match view.points.front() {
        Some(p) if p.first > 1 => format!("cycles {}-{} shown", p.first, view.cycles),
        _ => format!("{} cycles", view.cycles),
    };
    if runs.is_empty() {
        return format!("The leak gauge stayed down ({shown}).");
    }
    let listed: Vec<String> =
        runs.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
    format!("The leak gauge was raised after cycles {} ({shown}).", listed.join(", "))
}
