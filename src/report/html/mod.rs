//! The HTML report (docs/report.md): one self-contained page per soak, with inline SVG charts drawn by a
//! small writer of our own ([`svg`]) and an inline style sheet; no script, no font, nothing fetched, so it
//! opens offline and as a CI artifact. `once --html` and `analyze --html` write it; the daemon serves the
//! same page live on `GET /` ([`Live`]).
//!
//! * [`model`]: what the page draws, gathered from judged cycles in bounded memory.
//! * [`cycle_chart`], [`cycles_chart`], [`resources`]: the charts.
//! * [`section`], [`page`]: the words around them and the document.

mod cycle_chart;
mod cycles_chart;
mod live;
pub mod model;
mod page;
mod resources;
mod section;
pub mod svg;
mod words;

#[cfg(test)]
mod tests;

pub use live::{LIVE_REFRESH_SECONDS, Live};
pub use model::{Keep, LIVE_CYCLES, MAX_POINTS, Soak};
pub use page::{Page, render};
