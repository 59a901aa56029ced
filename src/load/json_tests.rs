//! The scanner against the serde_json decoding it replaces: hand-picked hostile inputs, then generated ones.

use super::{Frames, Member, has_member, plain_end};
use proptest::prelude::*;
use serde::de::IgnoredAny;

/// The decoding the scanner replaces, kept here as the oracle.
#[derive(serde::Deserialize)]
struct Envelope {
    choices: Option<IgnoredAny>,
    data: Option<IgnoredAny>,
}

fn pick(e: &Envelope, member: Member) -> bool {
    match member {
        Member::Choices => e.choices.is_some(),
        Member::Data => e.data.is_some(),
    }
}

/// What the old code decided (bodies from raw bytes, SSE events after a lossy UTF-8 decoding), for objects;
/// serde also read a two-element array as the struct, which the scanner refuses.
fn oracle(text: &[u8], member: Member, utf8_keys: bool) -> bool {
    if text.trim_ascii_start().first() != Some(&b'{') {
        false
    } else if utf8_keys {
        serde_json::from_slice::<Envelope>(text).is_ok_and(|e| pick(&e, member))
    } else {
        serde_json::from_str::<Envelope>(&String::from_utf8_lossy(text)).is_ok_and(|e| pick(&e, member))
    }
}

/// Asserts the scanner agrees with the oracle in all four modes; returns its verdict on bodies for `choices`.
fn agrees(text: &[u8]) -> bool {
    for member in [Member::Choices, Member::Data] {
        for utf8_keys in [true, false] {
            assert_eq!(
                has_member(text, member, utf8_keys),
                oracle(text, member, utf8_keys),
                "{member:?} utf8_keys={utf8_keys} on {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
    has_member(text, Member::Choices, true)
}

const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1795762520,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"there\" \\ \u00e9 \ud83d\ude00","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":32,"completion_tokens":10.5e-3,"total_tokens":-42}}"#;

#[test]
fn answers_are_accepted() {
    for text in [ANSWER, r#"{"choices":[]}"#, " \t\r\n{ \"choices\" : 0 } \n", r#"{"x":1,"x":2,"choices":{}}"#] {
        assert!(agrees(text.as_bytes()), "{text}");
    }
    assert!(has_member(br#"{"object":"list","data":[{"embedding":[0.1,-2E+3]}]}"#, Member::Data, true));
}

#[test]
fn malformed_documents_are_rejected() {
    let cases = [
        "",
        " ",
        "{",
        "}",
        "{}",
        "[]",
        "null",
        "1",
        "\"choices\"",
        "{\"choices\":1",
        "{\"choices\":1}}",
        "{\"choices\":1} x",
        "{\"choices\":1},",
        "{\"choices\":1,}",
        "{,\"choices\":1}",
        "{\"choices\" 1}",
        "{\"choices\"::1}",
        "{1:2,\"choices\":1}",
        "{'choices':1}",
        "{\"choices\":nul}",
        "{\"choices\":nulll}",
        "{\"choices\":True}",
        "{\"choices\":01}",
        "{\"choices\":1.}",
        "{\"choices\":.5}",
        "{\"choices\":1e}",
        "{\"choices\":-}",
        "{\"choices\":--1}",
        "{\"choices\":+1}",
        "{\"choices\":[1,]}",
        "{\"choices\":[,1]}",
        "{\"choices\":{\"a\":1,}}",
        "{\"choices\":{\"a\"}}",
        "{\"choices\":{1:1}}",
        "{\"choices\":[}",
        "{\"choices\":{]}",
        "{\"choices\":[1 2]}",
        "{\"choices\":\"open}",
        "\u{feff}{\"choices\":1}",
        "{\"choices\":1}\u{c}",
        "{\"choices\":null}",
        "{\"choices\":1,\"choices\":2}",
        "{\"choices\":null,\"choices\":1}",
        "{\"data\":1,\"data\":1,\"choices\":1}",
    ];
    for text in cases {
        assert!(!agrees(text.as_bytes()), "{text}");
    }
}

#[test]
fn strings_and_escapes() {
    let accepted = [
        r#"{"ch\u006fices":1}"#,
        r#"{"\ud83d\ude00":1,"choices":1}"#,
        r#"{"a":"\ud83d","choices":1}"#,
        r#"{"a":"\ude00\uD800x","choices":1}"#,
        r#"{"\"\\\/\b\f\n\r\t\u0000":1,"choices":"\"\\\/\b\f\n\r\t"}"#,
    ];
    for text in accepted {
        assert!(agrees(text.as_bytes()), "{text}");
    }
    let rejected = [
        r#"{"\ud83d":1,"choices":1}"#,
        r#"{"\ude00":1,"choices":1}"#,
        r#"{"\ud83d\u0041":1,"choices":1}"#,
        r#"{"\ud83dx":1,"choices":1}"#,
        r#"{"a":"\uZZZZ","choices":1}"#,
        r#"{"a":"\u12","choices":1}"#,
        r#"{"a":"\x","choices":1}"#,
        "{\"a\":\"raw\nline\",\"choices\":1}",
        "{\"a\":\"tab\t\",\"choices\":1}",
        "{\"a\\",
        r#"{"choices\u":1}"#,
        r#"{"choices":"\"#,
    ];
    for text in rejected {
        assert!(!agrees(text.as_bytes()), "{text}");
    }
}

#[test]
fn invalid_utf8_only_matters_in_top_level_keys_of_bodies() {
    agrees(b"{\"\xff\":1,\"choices\":1}");
    assert!(!has_member(b"{\"\xff\":1,\"choices\":1}", Member::Choices, true));
    assert!(has_member(b"{\"\xff\":1,\"choices\":1}", Member::Choices, false));
    assert!(agrees(b"{\"a\":\"\xff\xfe\",\"choices\":{\"\xc3\":1}}"));
    agrees(b"{\"\xe2\x82\":1,\"choices\":1}");
    agrees(b"{\"\xe2\x82\\u00e9\":1,\"choices\":1}");
}

#[test]
fn an_array_is_never_an_answer_though_serde_read_two_elements_as_the_struct() {
    for text in ["[1,2]", " [ {\"a\":[]} , null ] ", "[null,2]", "[1]", "[1,2,3]", "[,1]"] {
        assert!(!agrees(text.as_bytes()), "{text}");
        assert!(!has_member(text.as_bytes(), Member::Data, true), "{text}");
    }
    assert!(serde_json::from_slice::<Envelope>(b"[1,2]").is_ok(), "what serde did");
}

#[test]
fn deep_nesting_is_iterative_and_exact() {
    for depth in [63, 64, 65, 127, 128, 129, 200, 100_000] {
        let mut text = String::from("{\"a\":");
        for i in 0..depth {
            text.push_str(if i % 3 == 0 { "{\"k\":" } else { "[" });
        }
        text.push('1');
        for i in (0..depth).rev() {
            text.push(if i % 3 == 0 { '}' } else { ']' });
        }
        let balanced = format!("{text},\"choices\":1}}");
        assert!(has_member(balanced.as_bytes(), Member::Choices, true), "depth {depth}");
        let unbalanced = format!("{}]]],\"choices\":1}}", &text[..text.len() - 1]);
        assert!(!has_member(unbalanced.as_bytes(), Member::Choices, true), "depth {depth}");
        if depth < 1000 {
            agrees(balanced.as_bytes());
            agrees(unbalanced.as_bytes());
        }
    }
    let mut frames = Frames::default();
    let pattern = |i: usize| i.is_multiple_of(7) || i % 3 == 1;
    (0..300).for_each(|i| frames.push(pattern(i)));
    for i in (0..300).rev() {
        assert_eq!(frames.top(), Some(pattern(i)), "frame {i}");
        frames.pop();
    }
    assert_eq!(frames.top(), None);
}

#[test]
fn plain_runs_end_where_a_byte_by_byte_scan_ends() {
    let mut text: Vec<u8> = b"plain text \xc3\xa9 more plain bytes\"then\\and\x1f and \x7f\xff end".to_vec();
    // Bytes one above or below the special ones, right after them, where a borrow could mislead the masks.
    text.extend_from_slice(b"\"\x01\x21\x23 \x00\x01\\\x5d\x5b\x1f\x20\x21\x80\xa0\x9f\x20\x01abcdefgh\"\"\\\\");
    for start in 0..=text.len() {
        let naive = (start..text.len()).find(|&i| matches!(text[i], b'"' | b'\\' | 0..=0x1f)).unwrap_or(text.len());
        assert_eq!(plain_end(&text, start), naive, "from {start}");
    }
}

/// Pieces of JSON, valid and broken, for generated documents.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\"choices\"",
    "\"data\"",
    "\"x\"",
    "null",
    "nul",
    "true",
    "false",
    "0",
    "-1.5e+3",
    "01",
    "1.",
    "\"\\ud83d\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u00e9\"",
    "\"ch\\u006fices\"",
    "\"\u{e9}\"",
    "\"\\q\"",
    "\"",
    "\\",
    "\t",
    "\u{1}",
    "\"a\nb\"",
];

fn value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("choices|data|[a-z\u{e9}\"\\\\]{0,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn token_soup_is_judged_like_serde_json(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..24)) {
        agrees(tokens.concat().as_bytes());
    }

    #[test]
    fn mutated_documents_are_judged_like_serde_json(
        doc in value(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>(),
        wrap in any::<bool>(),
    ) {
        // Wrapped, most documents are answers before the mutation, so it probes the edge of acceptance.
        let doc = if wrap { serde_json::json!({"x": 1, "choices": doc, "data": [doc]}) } else { doc };
        let mut text = serde_json::to_vec(&doc).expect("a Value serializes");
        agrees(&text);
        let at = at.index(text.len() + 1);
        if cut { text.truncate(at) } else { text.insert(at, byte) }
        agrees(&text);
    }
}
