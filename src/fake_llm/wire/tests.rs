//! The wire format's shapes, and the hand-written completions held byte for byte to the serde_json
//! serialization they replaced (the oracle below, kept as it was).

use super::*;
use proptest::prelude::*;

fn sse(v: &impl Serialize) -> Bytes {
    let mut out = b"data: ".to_vec();
    out.extend_from_slice(&to_bytes(v));
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

// --- The oracle: the serde structs the endpoint used to serialize completions with.

/// An object `id`: a prefix and the serial as 16 hex digits, written without an intermediate `String`.
#[derive(Debug, Clone, Copy)]
struct Id {
    prefix: &'static str,
    serial: u64,
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}{:016x}", self.prefix, self.serial))
    }
}

/// The envelope of every completion and completion chunk, fields in the order OpenAI sends them.
#[derive(Serialize)]
struct Completion<'a, C> {
    id: Id,
    object: &'static str,
    created: u64,
    model: &'a str,
    system_fingerprint: &'static str,
    choices: [C; 1],
    /// Whole responses only; chunks have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

impl<'a, C> Completion<'a, C> {
    fn new(prefix: &'static str, object: &'static str, stamp: Stamp, model: &'a str, choice: C) -> Self {
        Self {
            id: Id { prefix, serial: stamp.serial },
            object,
            created: stamp.created,
            model,
            system_fingerprint: FINGERPRINT,
            choices: [choice],
            usage: None,
        }
    }
}

/// `choices[0]` of a whole chat completion. `()` fields serialize as `null`.
#[derive(Serialize)]
struct ChatChoice<'a> {
    index: u32,
    message: Message<'a>,
    logprobs: (),
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
    refusal: (),
}

/// `choices[0]` of a chat completion chunk.
#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: SerdeDelta<'a>,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

/// `Delta` as serde wrote it.
#[derive(Serialize)]
struct SerdeDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
}

/// `choices[0]` of a (legacy) completion or completion chunk.
#[derive(Serialize)]
struct TextChoice<'a> {
    index: u32,
    text: &'a str,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

/// `POST /v1/chat/completions` without streaming.
fn serde_chat(stamp: Stamp, model: &str, content: &str, usage: Usage) -> Bytes {
    let choice = ChatChoice {
        index: 0,
        message: Message { role: "assistant", content, refusal: () },
        logprobs: (),
        finish_reason: "stop",
    };
    let mut body = Completion::new("chatcmpl-", "chat.completion", stamp, model, choice);
    body.usage = Some(usage);
    to_bytes(&body)
}

/// One `data:` event of a streamed chat completion: the first carries the role, the last the finish reason.
fn serde_chat_chunk(stamp: Stamp, model: &str, delta: Delta<'_>, finish: Option<&str>) -> Bytes {
    let delta = SerdeDelta { role: delta.role, content: delta.content };
    let choice = ChunkChoice { index: 0, delta, logprobs: (), finish_reason: finish };
    sse(&Completion::new("chatcmpl-", "chat.completion.chunk", stamp, model, choice))
}

/// `POST /v1/completions` without streaming.
fn serde_completion(stamp: Stamp, model: &str, text: &str, usage: Usage) -> Bytes {
    let mut body = Completion::new("cmpl-", "text_completion", stamp, model, text_choice(text, Some("stop")));
    body.usage = Some(usage);
    to_bytes(&body)
}

/// One `data:` event of a streamed (legacy) completion.
fn serde_completion_chunk(stamp: Stamp, model: &str, text: &str, finish: Option<&str>) -> Bytes {
    sse(&Completion::new("cmpl-", "text_completion", stamp, model, text_choice(text, finish)))
}

fn text_choice<'a>(text: &'a str, finish: Option<&'a str>) -> TextChoice<'a> {
    TextChoice { index: 0, text, logprobs: (), finish_reason: finish }
}

// --- Shapes.

fn parse(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).expect("valid JSON")
}

const STAMP: Stamp = Stamp { serial: 7, created: 1_700_000_000 };

#[test]
fn chat_has_the_openai_shape() {
    let v = parse(&chat(STAMP, "m", "hi", Usage::new(3, 2)));
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["id"], "chatcmpl-0000000000000007");
    assert_eq!(v["choices"][0]["message"]["content"], "hi");
    assert_eq!(v["usage"]["total_tokens"], 5);
}

/// Every field OpenAI sends, with `null`s, whatever the order the typed structs write them in.
#[test]
fn whole_documents_are_exactly_the_openai_objects() {
    let head = |id: &str, object: &str| {
        json!({"id": id, "object": object, "created": 1_700_000_000, "model": "m",
               "system_fingerprint": FINGERPRINT})
    };
    let mut want = head("chatcmpl-0000000000000007", "chat.completion");
    want["choices"] = json!([{"index": 0, "logprobs": null, "finish_reason": "stop",
        "message": {"role": "assistant", "content": "hi", "refusal": null}}]);
    want["usage"] = json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5});
    assert_eq!(parse(&chat(STAMP, "m", "hi", Usage::new(3, 2))), want);
    let mut want = head("cmpl-0000000000000007", "text_completion");
    want["choices"] = json!([{"index": 0, "text": "x", "logprobs": null, "finish_reason": null}]);
    let b = completion_chunk(STAMP, "m", "x", None);
    assert_eq!(parse(&b[6..b.len() - 2]), want);
    let mut want = head("chatcmpl-0000000000000007", "chat.completion.chunk");
    want["choices"] = json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]);
    let b = chat_chunk(STAMP, "m", Delta::default(), Some("stop"));
    assert_eq!(parse(&b[6..b.len() - 2]), want);
}

#[test]
fn chunks_are_sse_events() {
    let delta = Delta { role: None, content: Some("x") };
    let b = chat_chunk(STAMP, "m", delta, None);
    let text = std::str::from_utf8(&b).expect("utf-8");
    assert!(text.starts_with("data: {") && text.ends_with("}\n\n"), "{text}");
    let v = parse(&b[6..b.len() - 2]);
    assert_eq!(v["object"], "chat.completion.chunk");
    assert!(v["choices"][0]["finish_reason"].is_null());
}

#[test]
fn embeddings_as_floats_and_base64() {
    let req: Request = serde_json::from_str(r#"{"model":"e","input":["a","b"]}"#).expect("request");
    let v = parse(&embeddings("e", &req, Usage::new(2, 0)));
    assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["data"][1]["embedding"].as_array().map(Vec::len), Some(EMBEDDING_DIMENSIONS));
    let req: Request = serde_json::from_str(r#"{"input":"a","encoding_format":"base64"}"#).expect("request");
    let v = parse(&embeddings("e", &req, Usage::new(1, 0)));
    let encoded = v["data"][0]["embedding"].as_str().expect("a base64 string");
    let raw = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
    assert_eq!(raw.len(), EMBEDDING_DIMENSIONS * 4);
}

// --- The hand-written completions against the oracle.

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 .,-]{0,24}".prop_map(String::from),
        any::<String>(),
        Just("quo\"te back\\slash\nnew\u{1}ctl\u{7f}del é ☃".to_string()),
    ]
}

proptest! {
    #[test]
    fn completions_are_byte_for_byte_what_serde_wrote(
        model in text(), content in text(), serial in any::<u64>(), created in any::<u64>(),
        prompt in 0u64..1 << 40, completion_tokens in 0u64..1 << 40,
        role in proptest::option::of(text()), finish in proptest::option::of(text()),
    ) {
        let stamp = Stamp { serial, created };
        let usage = Usage::new(prompt, completion_tokens);
        prop_assert_eq!(chat(stamp, &model, &content, usage), serde_chat(stamp, &model, &content, usage));
        prop_assert_eq!(completion(stamp, &model, &content, usage), serde_completion(stamp, &model, &content, usage));
        let f = finish.as_deref();
        prop_assert_eq!(completion_chunk(stamp, &model, &content, f), serde_completion_chunk(stamp, &model, &content, f));
        for delta in [
            Delta::default(),
            Delta { role: role.as_deref(), content: None },
            Delta { role: None, content: Some(&content) },
            Delta { role: role.as_deref(), content: Some(&content) },
        ] {
            prop_assert_eq!(chat_chunk(stamp, &model, delta, f), serde_chat_chunk(stamp, &model, delta, f));
        }
    }
}
