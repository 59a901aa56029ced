//! Request handling of the fake endpoint: route, inject faults, answer in the OpenAI wire format.

use super::State;
use super::cancel;
use super::faults::{self, Injected};
use super::metrics::Route;
use super::wire::{self, Delta, Request, Stamp, Usage};
use bytes::Bytes;
use futures_util::StreamExt;
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

async fn completion(state: &Arc<State>, route: Route, req: http::Request<Incoming>) -> http::Response<Body> {
    if wrong_key(req.headers()) {
        return rejected(
            state,
            route,
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            Some("invalid_api_key"),
        );
    }
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return rejected(state, route, StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE, None),
    };
    let parsed: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("We could not parse the JSON body of your request: {e}");
            return rejected(state, route, StatusCode::BAD_REQUEST, &msg, None);
        }
    };
    if let Some(delay) = state.drowning.request(&state.settings, &state.leaks) {
        // Kept before the wait: a request whose client gives up is kept all the same.
        tokio::time::sleep(delay).await;
    }
    if !state.settings.slow_model.is_empty() && parsed.model == state.settings.slow_model {
        return slow(state, route).await;
    }
    let injected = faults::decide(&state.settings, &parsed.model);
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
        (Route::Chat, true) => sse_ok(state, chat_stream(state, stamp, &parsed.model)),
        (_, false) => json_ok(wire::completion(stamp, &parsed.model, &state.text, usage)),
        (_, true) => sse_ok(state, completion_stream(state, stamp, &parsed.model)),
    }
}

/// The message of a 413.
const TOO_LARGE: &str = "Request body too large or unreadable";

/// Whether the request carries the key the endpoint refuses ([`faults::WRONG_API_KEY`]).
fn wrong_key(headers: &http::HeaderMap) -> bool {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    bearer == Some(faults::WRONG_API_KEY)
}

/// A request refused (400, 401, 413): a failed request, counted and leaking `leak_bytes_per_error`.
fn rejected(
    state: &State,
    route: Route,
    status: StatusCode,
    message: &str,
    code: Option<&str>,
) -> http::Response<Body> {
    state.metrics.count(route, true);
    state.leaks.keep(state.settings.leak_bytes_per_error);
    error(status, message, "invalid_request_error", code)
}

/// `slow_model`: waits `slow_model_latency`, then answers 504 as a gateway whose upstream did not answer
/// in time (a failed request). A client that goes away first cancels it.
async fn slow(state: &Arc<State>, route: Route) -> http::Response<Body> {
    let watch = cancel::Watch::new(Arc::clone(state));
    tokio::time::sleep(state.settings.slow_model_latency).await;
    watch.done();
    state.metrics.count(route, true);
    state.leaks.keep(state.settings.leak_bytes_per_error);
    let msg = "The upstream model did not answer in time (injected by leaksoak).";
    error(StatusCode::GATEWAY_TIMEOUT, msg, "timeout", Some("timeout"))
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

/// A stream of `events`, paced by `stream_chunk_delay` and watched for a client that goes away.
fn sse_ok(state: &Arc<State>, events: Vec<Bytes>) -> http::Response<Body> {
    let watch = cancel::Watch::new(Arc::clone(state));
    let events = cancel::paced(events, state.settings.stream_chunk_delay, watch);
    let frames = events.map(|b| Ok::<_, Infallible>(Frame::data(b)));
    let mut resp = http::Response::new(StreamBody::new(frames).boxed_unsync());
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    resp
}
