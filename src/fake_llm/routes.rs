//! Request handling of the fake endpoint: route, inject faults, answer in the OpenAI wire format.

use super::State;
use super::faults::{self, Injected};
use super::metrics::Route;
use super::wire::{self, Delta, Request, Stamp, Usage};
use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use std::convert::Infallible;
use std::sync::Arc;

/// Response body: a whole JSON document or a stream of SSE events.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Requests larger than this are refused with 413: the fake endpoint's memory stays bounded too.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub async fn handle(state: Arc<State>, req: http::Request<Incoming>) -> Result<http::Response<Body>, Infallible> {
    if !state.settings.latency.is_zero() {
        tokio::time::sleep(state.settings.latency).await;
    }
    let path = req.uri().path();
    let path = path.strip_prefix("/v1").unwrap_or(path);
    let route = match path {
        "/chat/completions" => Route::Chat,
        "/completions" => Route::Completions,
        "/embeddings" => Route::Embeddings,
        "/models" => Route::Models,
        "/metrics" if req.method() == Method::GET => {
            return Ok(respond(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                state.metrics.render(state.leaks.bytes(), state.plateau.bytes(), state.handles.counts()),
            ));
        }
        _ => {
            state.metrics.count(Route::Other, true);
            return Ok(error(StatusCode::NOT_FOUND, "Unknown request URL", "invalid_request_error", None));
        }
    };
    let expected = if route == Route::Models { Method::GET } else { Method::POST };
    if req.method() != expected {
        state.metrics.count(route, true);
        return Ok(error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", "invalid_request_error", None));
    }
    if route == Route::Models {
        state.metrics.count(route, false);
        return Ok(json_ok(wire::models(state.created())));
    }
    Ok(completion(&state, route, req).await)
}

async fn completion(state: &State, route: Route, req: http::Request<Incoming>) -> http::Response<Body> {
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            state.metrics.count(route, true);
            let msg = "Request body too large or unreadable";
            return error(StatusCode::PAYLOAD_TOO_LARGE, msg, "invalid_request_error", None);
        }
    };
    let parsed: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            state.metrics.count(route, true);
            let msg = format!("We could not parse the JSON body of your request: {e}");
            return error(StatusCode::BAD_REQUEST, &msg, "invalid_request_error", None);
        }
    };
    if let Some(delay) = state.drowning.request(&state.settings, &state.leaks) {
        // Kept before the wait: a request whose client gives up is kept all the same.
        tokio::time::sleep(delay).await;
    }
    let injected = faults::decide(&parsed.model, state.settings.error_rate);
    state.leaks.keep(faults::leak_for(&state.settings, injected.is_some()));
    if injected.is_none() {
        state.plateau.request(&state.settings);
        state.handles.request(&state.settings);
    }
    state.metrics.count(route, injected.is_some());
    if let Some(kind) = injected {
        return injected_error(kind);
    }
    let usage = Usage::new((body.len() as u64 / 4).max(1), state.settings.stream_chunks as u64);
    let stamp = state.stamp();
    match (route, parsed.stream) {
        (Route::Embeddings, _) => json_ok(wire::embeddings(&parsed.model, &parsed, usage)),
        (Route::Chat, false) => json_ok(wire::chat(stamp, &parsed.model, &state.text, usage)),
        (Route::Chat, true) => sse_ok(chat_stream(state, stamp, &parsed.model)),
        (_, false) => json_ok(wire::completion(stamp, &parsed.model, &state.text, usage)),
        (_, true) => sse_ok(completion_stream(state, stamp, &parsed.model)),
    }
}

fn chat_stream(state: &State, stamp: Stamp, model: &str) -> Vec<Bytes> {
    let mut events = Vec::with_capacity(state.pieces.len() + 3);
    let first = Delta { role: Some("assistant"), content: Some("") };
    events.push(wire::chat_chunk(stamp, model, first, None));
    for piece in &state.pieces {
        let delta = Delta { role: None, content: Some(piece) };
        events.push(wire::chat_chunk(stamp, model, delta, None));
    }
    events.push(wire::chat_chunk(stamp, model, Delta::default(), Some("stop")));
    events.push(Bytes::from_static(wire::DONE));
    events
}

fn completion_stream(state: &State, stamp: Stamp, model: &str) -> Vec<Bytes> {
    let mut events = Vec::with_capacity(state.pieces.len() + 2);
    for piece in &state.pieces {
        events.push(wire::completion_chunk(stamp, model, piece, None));
    }
    events.push(wire::completion_chunk(stamp, model, "", Some("stop")));
    events.push(Bytes::from_static(wire::DONE));
    events
}

fn injected_error(kind: Injected) -> http::Response<Body> {
    match kind {
        Injected::Server => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request (injected by leaksoak).",
            "server_error",
            None,
        ),
        Injected::RateLimit => error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit reached for requests (injected by leaksoak).",
            "requests",
            Some("rate_limit_exceeded"),
        ),
    }
}

fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> http::Response<Body> {
    respond(status, "application/json", wire::error(message, kind, code))
}

fn json_ok(body: Bytes) -> http::Response<Body> {
    respond(StatusCode::OK, "application/json", body)
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> http::Response<Body> {
    let mut resp = http::Response::new(Full::new(body.into()).boxed_unsync());
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    resp
}

fn sse_ok(events: Vec<Bytes>) -> http::Response<Body> {
    let frames = futures_util::stream::iter(events.into_iter().map(|b| Ok::<_, Infallible>(Frame::data(b))));
    let mut resp = http::Response::new(StreamBody::new(frames).boxed_unsync());
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    resp
}
