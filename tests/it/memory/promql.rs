//! `promql` against the canned server.

use super::server::{Server, vector};
use super::{MIB, sampler};
use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::MemorySource;

fn promql(server: &Server, query: &str) -> Sampler {
    sampler(MemorySource::Promql { url: server.url("/prom"), query: query.into() })
}

#[tokio::test]
async fn promql_one_sample_and_a_new_series_is_a_restart() {
    let server = Server::start(200, &vector(&[("proxy-1", "104857600")])).await;
    let mut s = promql(&server, r#"container_memory_working_set_bytes{pod=~"proxy-.*"}"#);
    let reading = s.sample().await.expect("one sample");
    assert_eq!((reading.bytes, reading.restarted), (100 * MIB, false));
    let request = server.requests.lock().expect("lock")[0].clone();
    assert!(request.starts_with("GET /prom/api/v1/query?query=container_memory_working_set_bytes"), "{request}");
    server.set(200, &vector(&[("proxy-2", "1048576")]));
    let reading = s.sample().await.expect("new pod");
    assert_eq!((reading.bytes, reading.restarted), (MIB, true));
    server.set(200, r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}"#);
    assert_eq!(promql(&server, "scalar(x)").sample().await.expect("scalar").bytes, 42);
}

#[tokio::test]
async fn promql_errors_name_the_query() {
    let server = Server::start(200, &vector(&[])).await;
    let err = promql(&server, "up").sample().await.expect_err("empty");
    assert_eq!(err, Error::PromqlCount { query: "up".into(), count: 0 });
    server.set(200, &vector(&[("a", "1"), ("b", "2"), ("c", "3")]));
    let err = promql(&server, "up").sample().await.expect_err("several");
    assert!(err.to_string().contains("\"up\"") && err.to_string().contains("3 samples"), "{err}");
    server.set(400, r#"{"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected"}"#);
    let err = promql(&server, "up{").sample().await.expect_err("bad query");
    assert!(matches!(&err, Error::PromqlError { message, .. } if message.contains("parse error")), "{err}");
    server.set(502, "<html>Bad Gateway</html>");
    let err = promql(&server, "up").sample().await.expect_err("502");
    assert!(matches!(err, Error::HttpStatus { status: 502, .. }), "{err}");
    server.set(200, "garbage");
    assert_eq!(promql(&server, "up").sample().await.expect_err("garbage").kind(), "promql_response");
}
