//! The OpenAI wire format the fake endpoint speaks: request fields it reads, response bodies it writes.
//!
//! Pure functions from a request to bytes, so the shapes are tested without a socket. Completions and their
//! chunks, written for every request, go through a small writer of their own ([`super::json_out`]); the
//! rest through serde_json.

use super::json_out::Out;
use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The fields of a request body the endpoint looks at; everything else is accepted and ignored.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// Echoed back; `error-500` / `error-429` select an injected error.
    #[serde(default)]
    pub model: String,
    /// `true`: answer with server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// Embeddings input: a string or a list of strings/token arrays; its length sets the number of vectors.
    #[serde(default)]
    pub input: Option<serde_json::Value>,
    /// Embeddings: `float` (default) or `base64`, as the official SDKs send.
    #[serde(default)]
    pub encoding_format: Option<String>,
}

/// Identity of one response: the `id` and `created` every OpenAI object carries.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub serial: u64,
    pub created: u64,
}

/// Token counts reported in `usage`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl Usage {
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }
    }
}

/// `system_fingerprint` of every completion, so a trace shows where the answer came from.
pub const FINGERPRINT: &str = "fp_leaksoak";
/// Length of every embedding vector.
pub const EMBEDDING_DIMENSIONS: usize = 16;

/// Room for a typical response body, so serializing it allocates once.
const BODY_CAPACITY: usize = 640;

/// Serializes `v` straight into a pre-sized buffer (the cold responses: models, embeddings, errors).
fn to_bytes(v: &impl Serialize) -> Bytes {
    let mut out = Vec::with_capacity(BODY_CAPACITY);
    // Writing plain structs of strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, v);
    Bytes::from(out)
}

/// What a chat chunk adds: the role (first chunk), a piece of content, or nothing (last chunk).
#[derive(Debug, Clone, Copy, Default)]
pub struct Delta<'a> {
    pub role: Option<&'a str>,
    pub content: Option<&'a str>,
}

/// The envelope every completion and chunk opens with, fields in the order OpenAI sends them, up to the
/// `choices` array: `{"id":…,"object":…,"created":…,"model":…,"system_fingerprint":…,"choices":[`.
fn head(prefix: &[u8], id: &str, object: &str, stamp: Stamp, model: &str) -> Out {
    let mut out = Out::new(prefix);
    out.raw("{\"id\":\"").raw(id).hex16(stamp.serial).raw("\",\"object\":").string(object);
    out.raw(",\"created\":").number(stamp.created).raw(",\"model\":").string(model);
    out.raw(",\"system_fingerprint\":").string(FINGERPRINT).raw(",\"choices\":[");
    out
}

/// Closes `choices` and the document, with `usage` for whole responses.
fn tail(out: &mut Out, usage: Option<Usage>) {
    out.raw("]");
    if let Some(u) = usage {
        out.raw(",\"usage\":{\"prompt_tokens\":").number(u.prompt_tokens);
        out.raw(",\"completion_tokens\":").number(u.completion_tokens);
        out.raw(",\"total_tokens\":").number(u.total_tokens).raw("}");
    }
    out.raw("}");
}

/// `POST /v1/chat/completions` without streaming.
pub fn chat(stamp: Stamp, model: &str, content: &str, usage: Usage) -> Bytes {
    let mut out = head(b"", "chatcmpl-", "chat.completion", stamp, model);
    out.raw("{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":").string(content);
    out.raw(",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}");
    tail(&mut out, Some(usage));
    out.finish(b"")
}

/// One `data:` event of a streamed chat completion: the first carries the role, the last the finish reason.
pub fn chat_chunk(stamp: Stamp, model: &str, delta: Delta<'_>, finish: Option<&str>) -> Bytes {
    let mut out = head(b"data: ", "chatcmpl-", "chat.completion.chunk", stamp, model);
    out.raw("{\"index\":0,\"delta\":{");
    if let Some(role) = delta.role {
        out.raw("\"role\":").string(role);
    }
    if let Some(content) = delta.content {
        out.raw(if delta.role.is_some() { ",\"content\":" } else { "\"content\":" }).string(content);
    }
    out.raw("},\"logprobs\":null,\"finish_reason\":").string_or_null(finish).raw("}");
    tail(&mut out, None);
    out.finish(b"\n\n")
}

/// `POST /v1/completions` without streaming.
pub fn completion(stamp: Stamp, model: &str, text: &str, usage: Usage) -> Bytes {
    let mut out = head(b"", "cmpl-", "text_completion", stamp, model);
    text_choice(&mut out, text, Some("stop"));
    tail(&mut out, Some(usage));
    out.finish(b"")
}

/// One `data:` event of a streamed (legacy) completion.
pub fn completion_chunk(stamp: Stamp, model: &str, text: &str, finish: Option<&str>) -> Bytes {
    let mut out = head(b"data: ", "cmpl-", "text_completion", stamp, model);
    text_choice(&mut out, text, finish);
    tail(&mut out, None);
    out.finish(b"\n\n")
}

fn text_choice(out: &mut Out, text: &str, finish: Option<&str>) {
    out.raw("{\"index\":0,\"text\":").string(text);
    out.raw(",\"logprobs\":null,\"finish_reason\":").string_or_null(finish).raw("}");
}

/// The terminator of every stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// `POST /v1/embeddings`: one deterministic vector per input item, as floats or base64 little-endian f32.
pub fn embeddings(model: &str, req: &Request, usage: Usage) -> Bytes {
    let count = match &req.input {
        Some(serde_json::Value::Array(items)) if !items.is_empty() => items.len(),
        _ => 1,
    };
    let base64 = req.encoding_format.as_deref() == Some("base64");
    let data: Vec<_> = (0..count)
        .map(|i| {
            let v: Vec<f32> = (0..EMBEDDING_DIMENSIONS).map(|d| ((i + d) as f32 * 0.37).sin()).collect();
            let embedding = if base64 {
                let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(raw))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    to_bytes(&json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
    }))
}

/// One entry of `GET /v1/models`.
#[derive(Serialize)]
struct Model {
    id: &'static str,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

/// The list objects of the API (`models`).
#[derive(Serialize)]
struct List<T> {
    object: &'static str,
    data: T,
}

/// `GET /v1/models`.
pub fn models(created: u64) -> Bytes {
    let ids = ["gpt-3.5-turbo", "gpt-4o-mini", "text-embedding-3-small", "error-500", "error-429"];
    let data = ids.map(|id| Model { id, object: "model", created, owned_by: "leaksoak" });
    to_bytes(&List { object: "list", data })
}

/// An OpenAI-style error body.
pub fn error(message: &str, kind: &str, code: Option<&str>) -> Bytes {
    to_bytes(&json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

#[cfg(test)]
mod tests;
