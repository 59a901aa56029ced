//! Leak analysis (docs/analysis.md): pure functions and small state machines from memory samples and the
//! `[analysis]` settings to figures, findings, verdicts and the leak gauge. No I/O, no clocks, no
//! randomness: the daemon, `once` and `analyze` all feed it the same way.
//!
//! Per cycle and scenario the daemon does:
//! ```
//! use leaksoak::analyze::{self, Gauge, Sample, Trend};
//! use leaksoak::settings::Analysis;
//!
//! let settings = Analysis::default();
//! let (mut trend, mut gauge) = (Trend::new(), Gauge::new());
//! let samples: Vec<Sample> = (0..10).map(|i| Sample::new(50e6 + f64::from(i % 2) * 4096.0, 100, 0)).collect();
//! let mut cycle = analyze::cycle(&samples, &settings);   // measured batches only
//! trend.push(&cycle);                                    // reset() instead on a target restart
//! let trend_finding = trend.check(&settings);
//! cycle.findings = gauge.observe(&cycle, trend_finding.as_ref(), &settings);
//! let report = analyze::render("async-streaming", &cycle, &samples);
//! assert!(report.contains("Memory stabilized — no leak detected"));
//! assert!(!gauge.any_raised());
//! ```
//!
//! Decisions beyond the rules as docs/analysis.md states them:
//! * Batches are numbered from 1 among the measured batches, as the pytest suite prints "Batch 5".
//! * The x axis of the slope fit is cumulative requests, `x[i] = Σ requests[0..=i]`; the fitted growth is
//!   the slope times `x[last] − x[0]`. The trend rule fits final averages against the cycle index.
//! * "Fires with statistical significance" (noise guard): a rule fired and the cycle's one-sided
//!   Mann–Kendall p is below `trend_alpha` (the slope rule always is). Otherwise a cycle above
//!   `max_noise_cv_percent` is `noisy`, its findings still listed.
//! * All per-cycle rules are evaluated; "error spike checked first" means it is listed first.
//! * A spike with fewer than `error_spike_min_stable_batches` batches after it, all still within tolerance,
//!   is an unconfirmed `error_spike` finding: the verdict is `leak` (as `once` needs) but the gauge treats
//!   it like growth/tail/slope (confirmation over cycles). A spike followed by a batch outside tolerance
//!   recovered and is not reported.
//! * A sample that is not a finite number makes the cycle `insufficient`, as do fewer than 2w samples.
//!   A non-positive initial average gives growth ratio 0; every output is finite.
//! * A cycle whose measured requests failed above `max_error_ratio` is not judged: the engine makes it
//!   `error` with the words of [`too_many_failures`] (which needs the failures by kind, so it is not part
//!   of [`cycle`]).
//! * Gauge semantics (error, noisy, insufficient cycles, significance for confirmation): see [`gauge`].
//!   A cycle during which leaksoak's own endpoints were busy, with a `self` source, confirms nothing:
//!   see [`own_traffic`].
//!   The trend rule's guards against chance, steps, plateaus and memory that comes back: see
//!   [`Trend::assess`] and [`shape`].

mod cycle;
pub mod drowning;
mod failures;
mod finding;
mod floors;
pub mod forecast;
pub mod gauge;
pub mod long_trend;
mod normal;
pub mod own_traffic;
pub mod resource_gauge;
pub mod resources;
mod rolling;
mod rules;
mod sample;
pub mod settle;
pub mod shape;
mod spike;
pub mod stats;
mod text_report;
mod trend;
mod units;
mod verdict;

#[cfg(test)]
mod tests;

pub use cycle::{CycleAnalysis, STABLE_SUMMARY, cycle};
pub use failures::too_many_failures;
pub use finding::{Finding, Over, Progress, Rule};
pub use forecast::Forecast;
pub use gauge::{Across, Gauge, PYTEST_CONFIRM_ALPHA, RATE_AGREEMENT, SLOPE_CONFIRM_ALPHA};
pub use resource_gauge::ResourceGauge;
pub use resources::{Count, ResourceCycle, ResourceFinding, ResourceRule};
pub use rolling::{Endpoints, endpoints, rolling_average};
pub use rules::Fit;
pub use sample::{Phase, Sample};
pub use spike::Spike;
pub use text_report::render;
pub use trend::{Assessment, MAX_HISTORY, NOISE_FLOOR_FACTOR, Trend, level_peak};
pub use units::mib;
pub use verdict::Verdict;
