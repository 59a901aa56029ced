//! `promql` against the canned server.

use super::server::{Server, now, vector, vector_at};
use super::{MIB, sampler};
use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::{HttpOptions, MemorySource};

fn promql(server: &Server, query: &str) -> Sampler {
    promql_with(server, query, HttpOptions::default(), false)
}

fn promql_with(server: &Server, query: &str, http: HttpOptions, allow_unlabeled: bool) -> Sampler {
    sampler(MemorySource::Promql { url: server.url("/prom"), query: query.into(), http, allow_unlabeled })
}

const SCALAR: &str = r#"{"status":"success","data":{"resultType":"scalar","result":[TS,"42"]}}"#;

#[tokio::test]
async fn promql_one_sample_and_a_new_series_is_a_restart() {
    let server = Server::start(200, &vector(&[("proxy-1", "104857600")])).await;
    let mut s = promql(&server, r#"container_memory_working_set_bytes{pod=~"proxy-.*"}"#);
    let reading = s.sample().await.expect("one sample");
    assert_eq!((reading.bytes, reading.restarted), (100 * MIB, false));
    let request = server.requests.lock().expect("lock")[0].clone();
    assert!(request.starts_with("GET /prom/api/v1/query?query=container_memory_working_set_bytes"), "{request}");
    // The target restarted as a new pod, its memory back to 1 MiB: a restart, never a drop of 99 MiB.
    server.set(200, &vector(&[("proxy-2", "1048576")]));
    let reading = s.sample().await.expect("new pod");
    assert_eq!((reading.bytes, reading.restarted), (MIB, true));
    let reading = s.sample().await.expect("the same pod again");
    assert_eq!((reading.bytes, reading.restarted), (MIB, false));
}

#[tokio::test]
async fn a_result_without_labels_is_refused_unless_accepted() {
    let server = Server::start(200, &SCALAR.replace("TS", &now().to_string())).await;
    let err = promql(&server, "scalar(x)").sample().await.expect_err("no labels");
    assert!(matches!(&err, Error::PromqlUnlabeled { query } if query == "scalar(x)"), "{err}");
    let unlabeled = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[TS,"7"]}]}}"#;
    server.set(200, &unlabeled.replace("TS", &now().to_string()));
    let err = promql(&server, "sum(x)").sample().await.expect_err("sum strips every label");
    assert!(err.to_string().contains("memory.promql_allow_unlabeled = true"), "{err}");

    let mut accepted = promql_with(&server, "sum(x)", HttpOptions::default(), true);
    assert!(accepted.describe().contains("restart detection is off"), "{}", accepted.describe());
    assert_eq!(accepted.sample().await.expect("accepted").bytes, 7);
    server.set(200, &SCALAR.replace("TS", &now().to_string()));
    assert_eq!(accepted.sample().await.expect("a scalar too").bytes, 42);
}

#[tokio::test]
async fn a_stale_sample_is_an_error_not_a_reading() {
    // settle is 0 in these samplers: 60 s of slack.
    let server = Server::start(200, &vector_at(&[("proxy-1", "1048576")], now() - 30.0)).await;
    assert_eq!(promql(&server, "m").sample().await.expect("30 s old is fresh").bytes, MIB);
    server.set(200, &vector_at(&[("proxy-1", "1048576")], now() - 600.0));
    let err = promql(&server, "m").sample().await.expect_err("10 min old");
    assert_eq!(err.kind(), "promql_stale");
    assert!(err.to_string().contains("stale sample, 600"), "{err}");
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

#[tokio::test]
async fn credentials_and_headers_go_with_every_request_and_a_refusal_names_the_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "tok-canned-1\n").expect("write");
    let config = format!(
        "[memory]\nsource = \"promql\"\nurl = \"http://127.0.0.1:1\"\nquery = \"m\"\nbearer_token_file = {token:?}\n\
         headers = {{ X-Scope-OrgID = \"staging\" }}\n"
    );
    let settings = crate::helpers::settings(&config);
    let MemorySource::Promql { http, .. } = settings.memory.source else { panic!("promql") };
    let server = Server::start(200, &vector(&[("proxy-1", "1048576")])).await;
    promql_with(&server, "m", http.clone(), false).sample().await.expect("a sample");
    let head = server.heads.lock().expect("lock")[0].to_ascii_lowercase();
    assert!(head.contains("authorization: bearer tok-canned-1\r\n"), "{head}");
    assert!(head.contains("x-scope-orgid: staging\r\n"), "{head}");

    server.set(401, "Unauthorized\n");
    let mut url = server.url("/prom");
    url.set_username("someone").expect("user");
    url.set_password(Some("pw-in-url")).expect("password");
    let mut s =
        sampler(MemorySource::Promql { url, query: "m".into(), http: HttpOptions::default(), allow_unlabeled: false });
    let err = s.sample().await.expect_err("401");
    assert!(matches!(err, Error::AuthRefused { status: 401, credentials: true, .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("HTTP status 401 Unauthorized")
            && text.contains(&format!("{}/api/v1/query", server.url("/prom"))),
        "{text}"
    );
    assert!(!text.contains("someone") && !text.contains("pw-in-url"), "no user information: {text}");
    server.set(403, "Forbidden\n");
    let err = promql_with(&server, "m", http, false).sample().await.expect_err("403");
    assert!(err.to_string().contains("HTTP status 403 Forbidden"), "{err}");
}
