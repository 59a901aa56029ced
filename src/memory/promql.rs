//! `promql`: an instant query against a Prometheus HTTP API that must return exactly one sample. The
//! returned series' labels are the target's identity: a new pod name means a restarted target.

use super::Error;
use super::fetch;
use super::read::{Identity, Read, to_bytes};
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

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
}

/// One decoded answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The sample's value.
    pub value: f64,
    /// The series' labels; `None` for a scalar result.
    pub labels: Option<BTreeMap<String, String>>,
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
    pub fn new(client: reqwest::Client, base: Url, query: String) -> Self {
        let mut endpoint = base.clone();
        let path = format!("{}/api/v1/query", base.path().trim_end_matches('/'));
        endpoint.set_path(&path);
        endpoint.query_pairs_mut().clear().append_pair("query", &query);
        Self { client, endpoint, base, query }
    }

    pub fn describe(&self) -> String {
        format!("promql {:?} at {}", self.query, fetch::shown(&self.base))
    }

    pub async fn read(&self) -> Result<Read, Error> {
        let fetched = fetch::get(&self.client, &self.endpoint, "application/json").await?;
        // Prometheus reports bad queries as 400/422/503 with a JSON error body: prefer its message.
        let answer = match decode(&self.query, &fetched.body) {
            Err(Error::PromqlResponse { .. }) if !(200..300).contains(&fetched.status) => {
                return Err(Error::HttpStatus { url: fetch::shown(&self.endpoint), status: fetched.status });
            }
            other => other?,
        };
        let bytes = to_bytes(answer.value, || format!("promql {:?}", self.query))?;
        Ok(Read { bytes, identity: answer.labels.map(|l| Identity::Labels(l.into_iter().collect())) })
    }
}

/// Decodes a `/api/v1/query` response body into its one sample.
pub fn decode(query: &str, body: &[u8]) -> Result<Answer, Error> {
    let bad = |detail: String| Error::PromqlResponse { query: query.into(), detail };
    let response: Response = serde_json::from_slice(body).map_err(|e| bad(format!("not Prometheus API JSON ({e})")))?;
    if response.status != "success" {
        return Err(Error::PromqlError {
            query: query.into(),
            error_type: response.error_type.unwrap_or_else(|| "unknown".into()),
            message: response.error.unwrap_or_else(|| format!("status {:?}", response.status)),
        });
    }
    let (labels, value) = match response.data {
        Some(Data::Scalar((_, value))) => (None, value),
        Some(Data::Vector(mut series)) if series.len() == 1 => {
            let one = series.remove(0);
            (Some(one.metric), one.value.1)
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
    Ok(Answer { value, labels })
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
        assert_eq!(answer, Ok(Answer { value: 42.0, labels: None }));
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
    fn endpoint_keeps_a_path_prefix() {
        let client = fetch::client().expect("a client");
        let base = Url::parse("http://prom:9090/prometheus/").expect("url");
        let p = Promql::new(client, base, "sum(x{a=\"b\"})".into());
        assert_eq!(p.endpoint.path(), "/prometheus/api/v1/query");
        assert_eq!(p.endpoint.query_pairs().next().map(|(_, v)| v.into_owned()), Some("sum(x{a=\"b\"})".into()));
    }
}
