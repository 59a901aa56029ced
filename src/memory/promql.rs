//! `promql`: an instant query against a Prometheus HTTP API that must return exactly one sample. The
//! returned series' labels are the target's identity: a new pod name means a restarted target, so a result
//! without labels is refused unless the configuration accepts it. A sample much older than the query (a
//! cached or stalled answer) is refused too.

use super::Error;
use super::fetch;
use super::read::{Identity, Read, to_bytes};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use url::Url;

/// How much older than the query a sample may be, besides `memory.settle`: one scrape interval at
/// Prometheus' default (1 min), which also leaves room for the clocks of leaksoak and Prometheus to
/// disagree. An older one predates the batch it is meant to measure by more than a scrape.
pub const SAMPLE_AGE_SLACK: Duration = Duration::from_secs(60);

/// The `promql` source.
#[derive(Debug)]
pub struct Promql {
    /// Shared by every read, for connection reuse.
    client: reqwest::Client,
    /// `{base}/api/v1/query?query=...`, built once.
    endpoint: Url,
    /// The configured base URL, for messages.
    base: Url,
    /// The configured query.
    query: String,
    /// Whether the client sends credentials, for the hint of a 401.
    credentials: bool,
    /// A result without labels is read (restart detection off) instead of refused.
    allow_unlabeled: bool,
    /// `memory.settle`: a sample may be this plus [`SAMPLE_AGE_SLACK`] older than the query.
    settle: Duration,
}

/// One decoded answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The sample's value.
    pub value: f64,
    /// The sample's timestamp, seconds since the epoch, as Prometheus returned it.
    pub timestamp: f64,
    /// The series' labels; `None` for a scalar result.
    pub labels: Option<BTreeMap<String, String>>,
}

/// What a [`Promql`] source is asked, besides its client.
#[derive(Debug, Clone)]
pub struct Query {
    /// The Prometheus base URL.
    pub base: Url,
    /// The instant query.
    pub query: String,
    /// Whether the client sends credentials.
    pub credentials: bool,
    /// Whether a result without labels is read.
    pub allow_unlabeled: bool,
    /// `memory.settle`.
    pub settle: Duration,
}

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Vector(Vec<Series>),
    Scalar((f64, String)),
    Matrix(Vec<serde::de::IgnoredAny>),
    String((f64, String)),
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

impl Promql {
    pub fn new(client: reqwest::Client, q: Query) -> Self {
        let mut endpoint = q.base.clone();
        let path = format!("{}/api/v1/query", q.base.path().trim_end_matches('/'));
        endpoint.set_path(&path);
        endpoint.query_pairs_mut().clear().append_pair("query", &q.query);
        let Query { base, query, credentials, allow_unlabeled, settle } = q;
        Self { client, endpoint, base, query, credentials, allow_unlabeled, settle }
    }

    pub fn describe(&self) -> String {
        let unlabeled = if self.allow_unlabeled {
            " (a result without labels is accepted: restart detection is off for it)"
        } else {
            ""
        };
        format!("promql {:?} at {}{unlabeled}", self.query, fetch::shown(&self.base))
    }

    pub async fn read(&self) -> Result<Read, Error> {
        let asked = SystemTime::now();
        let fetched = fetch::get(&self.client, &self.endpoint, "application/json", self.credentials).await?;
        // Prometheus reports bad queries as 400/422/503 with a JSON error body: prefer its message.
        let answer = match decode(&self.query, &fetched.body) {
            Err(Error::PromqlResponse { .. }) if !(200..300).contains(&fetched.status) => {
                return Err(Error::HttpStatus { url: fetch::shown(&self.endpoint), status: fetched.status });
            }
            other => other?,
        };
        fresh(&self.query, answer.timestamp, asked, self.settle)?;
        let bytes = to_bytes(answer.value, || format!("promql {:?}", self.query))?;
        Ok(Read { bytes, identity: identity(&self.query, answer.labels, self.allow_unlabeled)? })
    }
}

/// The identity of a result: its labels but `__name__`. Without any, an error unless `allow_unlabeled`.
fn identity(
    query: &str,
    labels: Option<BTreeMap<String, String>>,
    allow_unlabeled: bool,
) -> Result<Option<Identity>, Error> {
    let labels: Vec<(String, String)> =
        labels.unwrap_or_default().into_iter().filter(|(k, _)| k != "__name__").collect();
    match (labels.is_empty(), allow_unlabeled) {
        (false, _) => Ok(Some(Identity::Labels(labels))),
        (true, true) => Ok(None),
        (true, false) => Err(Error::PromqlUnlabeled { query: query.into() }),
    }
}

/// `Ok` when the sample stamped `timestamp` (seconds since the epoch) is at most `settle` +
/// [`SAMPLE_AGE_SLACK`] older than the query sent at `asked`. A sample from the future (clocks that
/// disagree the other way) is fresh.
fn fresh(query: &str, timestamp: f64, asked: SystemTime, settle: Duration) -> Result<(), Error> {
    let asked = asked.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    let limit = settle.saturating_add(SAMPLE_AGE_SLACK);
    let age = asked - timestamp;
    if age <= limit.as_secs_f64() {
        return Ok(());
    }
    let age = Duration::try_from_secs_f64(age).unwrap_or(Duration::MAX);
    Err(Error::PromqlStale { query: query.into(), age, limit, settle })
}

/// Decodes a `/api/v1/query` response body into its one sample.
pub fn decode(query: &str, body: &[u8]) -> Result<Answer, Error> {
    let bad = |detail: String| Error::PromqlResponse { query: query.into(), detail };
    let response: Response = serde_json::from_slice(body).map_err(|e| bad(format!("not Prometheus API JSON ({e})")))?;
    if response.status != "success" {
        return Err(Error::PromqlError {
            query: query.into(),
            error_type: response.error_type.unwrap_or_else(|| "unknown".into()),
            message: response
                .error
                .map_or_else(|| format!("status {:?}", response.status), |e| crate::text::printable(&e).into_owned()),
        });
    }
    let (labels, (timestamp, value)) = match response.data {
        Some(Data::Scalar(sample)) => (None, sample),
        Some(Data::Vector(mut series)) if series.len() == 1 => {
            let one = series.remove(0);
            (Some(one.metric), one.value)
        }
        Some(Data::Vector(series)) => {
            return Err(Error::PromqlCount { query: query.into(), count: series.len() });
        }
        Some(Data::Matrix(m)) => {
            return Err(bad(format!("a range vector of {} series; an instant vector is needed", m.len())));
        }
        Some(Data::String((_, s))) => {
            return Err(bad(format!("the string {s:?}; a number is needed")));
        }
        None => return Err(bad("no data".into())),
    };
    let value = value.parse::<f64>().map_err(|_| bad(format!("value {value:?} is not a number")))?;
    Ok(Answer { value, timestamp, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(body: &str) -> Result<Answer, Error> {
        decode("q", body.as_bytes())
    }

    #[test]
    fn one_series_vector() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"pod":"proxy-7d9","__name__":"mem"},"value":[1700000000.123,"52428800"]}]}}"#;
        let answer = decoded(body).expect("one sample");
        assert_eq!(answer.value, 52_428_800.0);
        let labels = answer.labels.expect("a series has labels");
        assert_eq!(labels.get("pod").map(String::as_str), Some("proxy-7d9"));
    }

    #[test]
    fn scalar_has_no_labels() {
        let answer = decoded(r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"42"]}}"#);
        assert_eq!(answer, Ok(Answer { value: 42.0, timestamp: 1.5, labels: None }));
    }

    #[test]
    fn empty_and_several_are_count_errors() {
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(decoded(empty), Err(Error::PromqlCount { query: "q".into(), count: 0 }));
        let two = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"pod":"a"},"value":[1,"1"]},{"metric":{"pod":"b"},"value":[1,"2"]}]}}"#;
        let err = decoded(two).expect_err("two samples");
        assert_eq!(err, Error::PromqlCount { query: "q".into(), count: 2 });
        assert!(err.to_string().contains("returned 2 samples"), "{err}");
    }

    #[test]
    fn prometheus_error_keeps_its_message() {
        let body =
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error"}"#;
        let err = decoded(body).expect_err("an error response");
        assert_eq!(err.kind(), "promql_error");
        assert!(err.to_string().contains("bad_data") && err.to_string().contains("parse error"), "{err}");
    }

    #[test]
    fn unexpected_shapes_are_response_errors() {
        for body in [
            "",
            "<html>502 Bad Gateway</html>",
            r#"{"status":"success"}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
            r#"{"status":"success","data":{"resultType":"scalar","result":[1,"lots"]}}"#,
            r#"{"status":"success","data":{"resultType":"histogram","result":[]}}"#,
        ] {
            assert_eq!(decoded(body).map_err(|e| e.kind()), Err("promql_response"), "{body}");
        }
    }

    #[test]
    fn a_result_without_labels_is_refused_unless_accepted() {
        let labels = |pairs: &[(&str, &str)]| Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let err = identity("sum(m)", labels(&[]), false).expect_err("sum strips every label");
        assert_eq!(err.kind(), "promql_unlabeled");
        assert!(err.to_string().contains("memory.promql_allow_unlabeled = true"), "{err}");
        assert!(err.to_string().contains("max by (namespace, pod, container)"), "{err}");
        assert_eq!(identity("m", labels(&[("__name__", "m")]), false).map_err(|e| e.kind()), Err("promql_unlabeled"));
        assert_eq!(identity("scalar(m)", None, false).map_err(|e| e.kind()), Err("promql_unlabeled"));
        assert_eq!(identity("sum(m)", labels(&[]), true), Ok(None), "accepted: no identity, no restart detection");
        let kept = identity("m", labels(&[("__name__", "m"), ("pod", "p-1")]), false);
        assert_eq!(kept, Ok(Some(Identity::Labels(vec![("pod".into(), "p-1".into())]))));
    }

    #[test]
    fn a_sample_older_than_settle_and_a_scrape_is_stale() {
        let asked = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let settle = Duration::from_secs(45);
        assert_eq!(fresh("q", 1_700_000_000.0, asked, settle), Ok(()));
        assert_eq!(fresh("q", 1_700_000_000.0 - 105.0, asked, settle), Ok(()), "settle + 60 s is the bound");
        assert_eq!(fresh("q", 1_700_000_030.0, asked, settle), Ok(()), "a clock ahead is not stale");
        let err = fresh("q", 1_700_000_000.0 - 106.0, asked, settle).expect_err("older than the bound");
        assert_eq!(err.kind(), "promql_stale");
        assert_eq!(
            err.to_string(),
            "promql \"q\": stale sample, 106.0 s older than the query (at most 105.0 s: memory.settle + 60 s); \
             a cached or stalled answer is not a reading"
        );
        assert_eq!(fresh("q", -1e300, asked, settle).map_err(|e| e.kind()), Err("promql_stale"));
    }

    #[test]
    fn endpoint_keeps_a_path_prefix() {
        let client = fetch::client(&Default::default()).expect("a client");
        let base = Url::parse("http://prom:9090/prometheus/").expect("url");
        let q = Query {
            base,
            query: "sum(x{a=\"b\"})".into(),
            credentials: false,
            allow_unlabeled: false,
            settle: Duration::ZERO,
        };
        let p = Promql::new(client, q);
        assert_eq!(p.endpoint.path(), "/prometheus/api/v1/query");
        assert_eq!(p.endpoint.query_pairs().next().map(|(_, v)| v.into_owned()), Some("sum(x{a=\"b\"})".into()));
    }
}
