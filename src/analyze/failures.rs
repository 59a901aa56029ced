//! The error-ratio rule (docs/analysis.md#failed-requests): a cycle whose measured requests mostly failed
//! says nothing about leaks, so it is not judged. A mistyped URL or a dead backend must never read as
//! "no leak".

use super::sample::Sample;
use crate::failure::ErrorKind;
use crate::settings::Analysis;
use std::collections::BTreeMap;

/// Why a cycle is not judged, when the failed share of its measured requests is above
/// `max_error_ratio`: `199 of 200 requests failed (connect: 199): the target is not answering; is the
/// URL right?`. `kinds` counts the failures of the same batches by kind (`connect`, `status`, …); it is
/// empty when unknown (a recording by another tool), and the message then names no kind. `redirect` is
/// where the target redirected during the cycle (`301 Moved Permanently to URL`), when the load saw it.
pub fn too_many_failures(
    samples: &[Sample],
    kinds: &BTreeMap<String, u64>,
    redirect: Option<&str>,
    settings: &Analysis,
) -> Option<String> {
    let requests = samples.iter().fold(0u64, |n, s| n.saturating_add(s.requests));
    let failed = samples.iter().fold(0u64, |n, s| n.saturating_add(s.errors));
    if requests == 0 || failed as f64 <= settings.max_error_ratio * requests as f64 {
        return None;
    }
    let by_count = most_first(kinds);
    let kinds = listed(&by_count);
    let hint = match (by_count.first().map(|(k, _)| *k), redirect) {
        (Some(k), Some(to)) if k == ErrorKind::Redirect.as_str() => {
            format!("the target redirects ({to}); point the scenario's url at the final address")
        }
        (dominant, _) => hint(dominant).to_owned(),
    };
    Some(format!("{failed} of {requests} requests failed{kinds}: {hint}"))
}

/// The failure kinds that occurred, most first (then by name).
fn most_first(kinds: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut by_count: Vec<(&str, u64)> = kinds.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.as_str(), *n)).collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_count
}

/// ` (timeout: 78, status: 2)`, most first; empty when no kind is known. The drowning rule's message
/// names the failures the same way.
pub(super) fn kinds_in_words(kinds: &BTreeMap<String, u64>) -> String {
    listed(&most_first(kinds))
}

fn listed(by_count: &[(&str, u64)]) -> String {
    let listed: Vec<String> = by_count.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    if listed.is_empty() { String::new() } else { format!(" ({})", listed.join(", ")) }
}

/// What to check, from the kind of most failures.
fn hint(dominant: Option<&str>) -> &'static str {
    match ErrorKind::ALL.into_iter().find(|k| Some(k.as_str()) == dominant) {
        Some(ErrorKind::Redirect) => {
            "the target redirects (a 3xx status), which leaksoak does not follow; point the scenario's url at \
             the final address"
        }
        Some(ErrorKind::Connect) => "the target is not answering; is the URL right?",
        Some(ErrorKind::Status) => {
            "the target answers with error statuses; is the URL's path right (/v1), and the API key?"
        }
        Some(ErrorKind::Timeout) => "the target does not answer in time; is it overloaded, or the timeout too short?",
        Some(ErrorKind::Decode) => "the answers are not an OpenAI-compatible API's; is the URL right?",
        Some(ErrorKind::Stream) => "streamed answers break off; does the target stream (the scenario's `stream`)?",
        None => "the target is failing; check the scenario's URL and the target's logs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(requests: u64, errors: &[u64]) -> Vec<Sample> {
        errors.iter().map(|e| Sample::new(50e6, requests, *e)).collect()
    }

    fn kinds(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    }

    #[test]
    fn a_target_that_does_not_answer_is_named_with_its_dominant_error() {
        let samples = batches(20, &[20, 20, 20, 20, 20, 20, 20, 20, 20, 19]);
        let reason = too_many_failures(&samples, &kinds(&[("connect", 199)]), None, &Analysis::default());
        assert_eq!(
            reason.as_deref(),
            Some("199 of 200 requests failed (connect: 199): the target is not answering; is the URL right?")
        );
    }

    #[test]
    fn kinds_are_listed_most_first_and_the_hint_follows_the_first() {
        let samples = batches(10, &[10; 10]);
        let reason =
            too_many_failures(&samples, &kinds(&[("connect", 30), ("status", 70)]), None, &Analysis::default())
                .expect("all failed");
        assert!(reason.starts_with(
            "100 of 100 requests failed (status: 70, connect: 30): the target answers with error statuses"
        ));
        let unknown = too_many_failures(&samples, &BTreeMap::new(), None, &Analysis::default()).expect("all failed");
        assert!(unknown.starts_with("100 of 100 requests failed: the target is failing"), "{unknown}");
    }

    #[test]
    fn half_or_fewer_failed_is_judged() {
        let s = Analysis::default();
        assert_eq!(too_many_failures(&batches(10, &[5; 10]), &BTreeMap::new(), None, &s), None, "exactly 0.5");
        assert!(too_many_failures(&batches(10, &[6; 10]), &BTreeMap::new(), None, &s).is_some());
        // A burst of errors in one batch (the error-spike rule's case) is far below the ratio.
        assert_eq!(
            too_many_failures(&batches(100, &[0, 0, 0, 0, 100, 0, 0, 0, 0, 0]), &BTreeMap::new(), None, &s),
            None
        );
        assert_eq!(too_many_failures(&[], &BTreeMap::new(), None, &s), None, "no requests, nothing to say");
        let all = Analysis { max_error_ratio: 1.0, ..s };
        assert_eq!(too_many_failures(&batches(10, &[10; 10]), &BTreeMap::new(), None, &all), None, "1: never");
    }

    #[test]
    fn a_redirect_is_named_with_where_it_points_not_as_a_bad_status() {
        // Issue 26, case 10: a redirect was "an error status; is the URL's path right (/v1), and the API key?".
        let samples = batches(10, &[10; 10]);
        let s = Analysis::default();
        let to = "308 Permanent Redirect to http://h/api/v1/chat/completions";
        let reason = too_many_failures(&samples, &kinds(&[("redirect", 100)]), Some(to), &s).expect("all failed");
        assert_eq!(
            reason,
            "100 of 100 requests failed (redirect: 100): the target redirects (308 Permanent Redirect to \
             http://h/api/v1/chat/completions); point the scenario's url at the final address"
        );
        let replayed = too_many_failures(&samples, &kinds(&[("redirect", 100)]), None, &s).expect("all failed");
        assert!(replayed.ends_with("the target redirects (a 3xx status), which leaksoak does not follow; point the scenario's url at the final address"), "{replayed}");
        for reason in [&reason, &replayed] {
            assert!(!reason.contains("API key") && !reason.contains("error statuses"), "{reason}");
        }
    }
}
