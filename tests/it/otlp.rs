//! Traces: an in-test OTLP/HTTP receiver decodes the protobuf the daemon sends and finds the cycle and
//! batch spans with their attributes.

use crate::helpers::{sample_value, spawn_daemon_process, wait_for_metrics};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts a receiver on a free port; every span it is sent lands in the returned list.
async fn receiver() -> (u16, Arc<Mutex<Vec<Span>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let spans = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&spans);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let sink = Arc::clone(&sink);
                async move {
                    assert_eq!(req.uri().path(), "/v1/traces");
                    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                    let found = request.resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
                    sink.lock().expect("lock").extend(found);
                    let reply = ExportTraceServiceResponse::default().encode_to_vec();
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(bytes::Bytes::from(reply))))
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (port, spans)
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| a.value.clone()).and_then(|v| v.value)
}

fn text(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn number(v: Option<Value>) -> Option<f64> {
    match v {
        Some(Value::IntValue(i)) => Some(i as f64),
        Some(Value::DoubleValue(d)) => Some(d),
        _ => None,
    }
}

#[tokio::test]
async fn cycle_and_batch_spans_reach_an_otlp_receiver() {
    let (port, spans) = receiver().await;
    let config = format!(
        "[telemetry]\notlp_endpoint = \"http://127.0.0.1:{port}\"\n\
         [cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nbatch_size = 20\npause = \"30s\"\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"traced\"\nconcurrency = 2\n"
    );
    let mut d = spawn_daemon_process(&config, "").await;
    wait_for_metrics(&d, 60, |t| {
        sample_value(t, "leaksoak_cycles_total{scenario=\"traced\",verdict=\"stable\"}").unwrap_or(0.0)
            + sample_value(t, "leaksoak_cycles_total{scenario=\"traced\",verdict=\"leak\"}").unwrap_or(0.0)
            >= 1.0
    })
    .await;
    d.terminate(Duration::from_secs(10)).await;
    let spans = spans.lock().expect("lock").clone();
    let cycle = spans.iter().find(|s| s.name == "cycle").expect("a cycle span was exported");
    assert_eq!(text(attribute(cycle, "scenario")).as_deref(), Some("traced"));
    assert!(text(attribute(cycle, "verdict")).is_some_and(|v| v == "stable" || v == "leak"), "{cycle:?}");
    let batches: Vec<&Span> = spans.iter().filter(|s| s.name == "batch" && s.parent_span_id == cycle.span_id).collect();
    assert_eq!(batches.len(), 11, "1 warmup + 10 measured batches under the cycle span");
    let measured = batches.iter().find(|b| text(attribute(b, "phase")).as_deref() == Some("measure")).expect("measure");
    assert_eq!(number(attribute(measured, "requests")), Some(20.0), "{measured:?}");
    assert_eq!(number(attribute(measured, "errors")), Some(0.0));
    assert!(number(attribute(measured, "memory_bytes")).is_some_and(|m| m > 0.0));
    assert!(number(attribute(measured, "batch")).is_some());
}

#[tokio::test]
async fn sigterm_stops_the_daemon_within_two_seconds_though_the_collector_never_answers() {
    let collector = crate::hostile::hostile(crate::hostile::hang).await;
    let config = format!(
        "[telemetry]\notlp_endpoint = \"http://{collector}\"\n\
         [cycle]\nwarmup_batches = 1\nbatch_size = 20\npause = \"30s\"\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"traced\"\nconcurrency = 2\n"
    );
    let mut d = spawn_daemon_process(&config, "").await;
    wait_for_metrics(&d, 60, |t| t.contains("leaksoak_batch_errors{phase=\"measure\",scenario=\"traced\"}")).await;
    let (status, took) = d.terminate(Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?} with a silent collector");
    assert_eq!(status.code(), Some(0));
}
