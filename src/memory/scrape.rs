//! `scrape`: one sample of a metric from a Prometheus text endpoint (`/metrics`), by name and exact label
//! matchers. A change of the page's `process_start_time_seconds` is a target restart; a start time that
//! comes back after another is several processes behind one URL, an error.

use super::Error;
use super::exposition::{self, Sample};
use super::fetch;
use super::read::{Identity, Read, to_bytes};
use super::resources::Unreadable;
use crate::settings::MetricSelector;
use std::collections::{BTreeMap, VecDeque};
use url::Url;

/// Asks for the classic text format; OpenMetrics text parses too, protobuf would not.
const ACCEPT: &str = "text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5,*/*;q=0.1";
/// The standard metric whose change reveals a restarted process.
const START_TIME: &str = "process_start_time_seconds";
/// Distinct start times remembered. One process restarting never shows an old start time again; a few
/// replicas behind a Service keep showing the same few.
const START_TIMES_KEPT: usize = 16;

/// The `scrape` source.
#[derive(Debug)]
pub struct Scrape {
    /// Shared by every read, for connection reuse.
    client: reqwest::Client,
    /// The `/metrics` URL.
    url: Url,
    /// Which series to take.
    metric: MetricSelector,
    /// Whether the client sends credentials, for the hint of a 401.
    credentials: bool,
    /// The start times seen lately.
    start_times: StartTimes,
    /// `memory.resource_metrics`: resource name and the metric counting it, read from the same page.
    extra: Vec<(String, MetricSelector)>,
    /// The extra metrics of the last page read, by resource name (those not on it left out).
    extras: BTreeMap<String, u64>,
    /// Extra metrics already reported missing.
    unreadable: Unreadable,
}

/// What one page yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    /// The selected series' value.
    pub value: f64,
    /// `process_start_time_seconds`, when the page has one that belongs to the selected series.
    pub start_time: Option<f64>,
}

impl Scrape {
    pub fn new(client: reqwest::Client, url: Url, metric: MetricSelector, credentials: bool) -> Self {
        Self {
            client,
            url,
            metric,
            credentials,
            start_times: StartTimes::default(),
            extra: Vec::new(),
            extras: BTreeMap::new(),
            unreadable: Unreadable::default(),
        }
    }

    /// Also reads these metrics (resource name, metric) from every page.
    pub fn with_extra(self, extra: Vec<(String, MetricSelector)>) -> Self {
        Self { extra, ..self }
    }

    /// The extra metrics of the last page read, by resource name.
    pub fn extras(&self) -> BTreeMap<String, u64> {
        self.extras.clone()
    }

    /// Picks the extra metrics from `body`; one that is missing or not a count is left out, logged once.
    fn read_extras(&mut self, body: &str, url: &str) {
        self.extras.clear();
        for (name, selector) in &self.extra {
            let value = pick(body, selector, url).and_then(|p| to_bytes(p.value, || selector_text(selector)));
            match value {
                Ok(n) => drop(self.extras.insert(name.clone(), n)),
                Err(e) => self.unreadable.report(name, url, &e.to_string()),
            }
        }
    }

    pub fn describe(&self) -> String {
        format!("scrape {} {}", fetch::shown(&self.url), selector_text(&self.metric))
    }

    pub async fn read(&mut self) -> Result<Read, Error> {
        let url = fetch::shown(&self.url);
        let fetched = fetch::get(&self.client, &self.url, ACCEPT, self.credentials).await?;
        if !(200..300).contains(&fetched.status) {
            return Err(Error::HttpStatus { url, status: fetched.status });
        }
        let body = String::from_utf8_lossy(&fetched.body);
        let picked = pick(&body, &self.metric, &url)?;
        let bytes = to_bytes(picked.value, || format!("{url} {}", selector_text(&self.metric)))?;
        if let Some(t) = picked.start_time {
            self.start_times.see(t).map_err(|start_times| Error::SeveralProcesses { url: url.clone(), start_times })?;
        }
        self.read_extras(&body, &url);
        Ok(Read { bytes, identity: picked.start_time.map(|t| Identity::StartTime(t.to_bits())) })
    }
}

/// The distinct start times seen lately, the latest last.
#[derive(Debug, Default)]
struct StartTimes(VecDeque<f64>);

impl StartTimes {
    /// Notes `t`. `Err` (the start times seen, the latest last) when `t` differs from the latest but was
    /// seen before: the URL alternates between processes.
    fn see(&mut self, t: f64) -> Result<(), Vec<String>> {
        if self.0.back() == Some(&t) {
            return Ok(());
        }
        let seen = self.0.iter().position(|&old| old == t);
        if let Some(i) = seen {
            self.0.remove(i);
        } else if self.0.len() == START_TIMES_KEPT {
            self.0.pop_front();
        }
        self.0.push_back(t);
        match seen {
            Some(_) => Err(self.0.iter().map(f64::to_string).collect()),
            None => Ok(()),
        }
    }
}

/// Finds the one series `selector` names on a text-format page. `url` only labels errors.
pub fn pick(body: &str, selector: &MetricSelector, url: &str) -> Result<Picked, Error> {
    let (mut found, mut starts) = (vec![], vec![]);
    let (mut good, mut bad, mut first_bad) = (0_usize, 0_usize, None);
    for (line, parsed) in exposition::samples(body) {
        match parsed {
            Ok(sample) => {
                good += 1;
                let labels_match = matches(&sample, selector);
                if sample.name == selector.name && labels_match {
                    found.push(sample.value);
                } else if sample.name == START_TIME {
                    starts.push((labels_match, sample.value));
                }
            }
            Err(e) => {
                bad += 1;
                first_bad.get_or_insert_with(|| format!("line {line}, {e}"));
            }
        }
    }
    match found.as_slice() {
        [value] => Ok(Picked { value: *value, start_time: start_time(&starts) }),
        [] if good == 0 && bad > 0 => {
            Err(Error::NotExposition { url: url.into(), bad_lines: bad, first: first_bad.unwrap_or_default() })
        }
        [] => Err(Error::MetricMissing { url: url.into(), metric: selector_text(selector) }),
        several => {
            Err(Error::MetricAmbiguous { url: url.into(), metric: selector_text(selector), count: several.len() })
        }
    }
}

/// Exact matchers; `label=""` matches a series without that label, as in PromQL.
fn matches(sample: &Sample<'_>, selector: &MetricSelector) -> bool {
    selector.labels.iter().all(|(k, v)| sample.label(k) == v)
}

/// The start time of the selected series: the one start-time series that matches the same labels, else
/// the page's only one (a plain exporter has a single, unlabelled one). Several: unknown.
fn start_time(starts: &[(bool, f64)]) -> Option<f64> {
    let matching: Vec<f64> = starts.iter().filter(|(m, _)| *m).map(|(_, v)| *v).collect();
    match (matching.as_slice(), starts) {
        ([one], _) => Some(*one),
        ([], [(_, one)]) => Some(*one),
        _ => None,
    }
}

/// The selector as written in the config: `name{label="value",...}`.
pub fn selector_text(selector: &MetricSelector) -> String {
    if selector.labels.is_empty() {
        return selector.name.clone();
    }
    let labels: Vec<String> = selector.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{}{{{}}}", selector.name, labels.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(text: &str) -> MetricSelector {
        MetricSelector::parse(text).expect("a valid selector")
    }

    const PAGE: &str = "# TYPE mem gauge\nmem{area=\"heap\",pod=\"a\"} 100\nmem{area=\"heap\",pod=\"b\"} 200\n\
                        mem{area=\"stack\",pod=\"a\"} 5\nprocess_start_time_seconds 1.7e9\n";

    #[test]
    fn picks_one_series_by_labels() {
        let got = pick(PAGE, &selector(r#"mem{area="heap",pod="b"}"#), "u").expect("one series");
        assert_eq!(got, Picked { value: 200.0, start_time: Some(1.7e9) });
        let got = pick(PAGE, &selector(r#"mem{area="stack"}"#), "u").expect("one series");
        assert_eq!(got.value, 5.0);
    }

    #[test]
    fn several_or_none_are_errors() {
        let err = pick(PAGE, &selector(r#"mem{area="heap"}"#), "u").expect_err("two series");
        assert_eq!(err.kind(), "metric_ambiguous");
        assert!(err.to_string().contains("2 series match"), "{err}");
        let err = pick(PAGE, &selector("other"), "u").expect_err("absent");
        assert_eq!(err, Error::MetricMissing { url: "u".into(), metric: "other".into() });
        let err = pick("<html>\n<p>404</p>\n</html>", &selector("mem"), "u").expect_err("garbage");
        assert_eq!(err.kind(), "not_exposition");
        assert_eq!(pick("", &selector("mem"), "u").expect_err("empty").kind(), "metric_missing");
    }

    #[test]
    fn start_time_follows_the_labels_when_there_are_several() {
        let page = "m{pod=\"a\"} 1\nm{pod=\"b\"} 2\nprocess_start_time_seconds{pod=\"a\"} 10\n\
                    process_start_time_seconds{pod=\"b\"} 20\n";
        assert_eq!(pick(page, &selector(r#"m{pod="b"}"#), "u").expect("one").start_time, Some(20.0));
        let page = "m 1\nprocess_start_time_seconds{pod=\"a\"} 10\nprocess_start_time_seconds{pod=\"b\"} 20\n";
        assert_eq!(pick(page, &selector("m"), "u").expect("one").start_time, None);
    }

    #[test]
    fn a_start_time_that_comes_back_is_several_processes() {
        let mut seen = StartTimes::default();
        // One process, then a real restart (a later start time): never an error.
        for t in [1.7e9, 1.7e9, 1.7e9 + 60.0, 1.7e9 + 60.0] {
            assert_eq!(seen.see(t), Ok(()), "{t}");
        }
        // The old process answers again: two processes behind the URL.
        assert_eq!(seen.see(1.7e9), Err(vec!["1700000060".into(), "1700000000".into()]));
        assert_eq!(seen.see(1.7e9), Ok(()), "the same again is no change");
        assert!(seen.see(1.7e9 + 60.0).is_err(), "and every change back is an error");
        // Only the last START_TIMES_KEPT start times are remembered.
        let mut seen = StartTimes::default();
        for i in 0..=START_TIMES_KEPT {
            assert_eq!(seen.see(i as f64), Ok(()));
        }
        assert_eq!(seen.see(0.0), Ok(()), "forgotten");
        assert!(seen.see(START_TIMES_KEPT as f64).is_err());
    }

    #[test]
    fn selector_round_trips_for_messages() {
        assert_eq!(selector_text(&selector(r#"m{a="x", b="y"}"#)), r#"m{a="x",b="y"}"#);
    }
}
