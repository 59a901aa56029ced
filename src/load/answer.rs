//! Whether a body is an answer: a JSON object whose `choices` (chat and text completions, every chunk of
//! a stream) or `data` (embeddings) member is present and not `null`.
//!
//! serde_json decides, into a struct of two [`IgnoredAny`] fields: the whole text must be JSON, every
//! member is skipped without building a value, a known member given twice is an error. One rule of its
//! own: serde also maps a struct from a sequence, so it would take a top-level two-element array
//! `[choices, data]` for an answer; an answer is an object, so anything else is refused before serde runs.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The member whose presence makes a body an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// `choices`: chat and text completions.
    Choices,
    /// `data`: embeddings.
    Data,
}

/// The two members that matter; serde skips every other one.
#[derive(Debug, Deserialize)]
struct Envelope {
    /// Present, and not `null`, in a chat or text completion and in each chunk of a stream.
    choices: Option<IgnoredAny>,
    /// Present, and not `null`, in an embeddings answer.
    data: Option<IgnoredAny>,
}

/// Whether `text` is a JSON object whose `member` is present and not `null`.
pub fn has_member(text: &[u8], member: Member) -> bool {
    if text.trim_ascii_start().first() != Some(&b'{') {
        return false;
    }
    serde_json::from_slice::<Envelope>(text).is_ok_and(|found| match member {
        Member::Choices => found.choices.is_some(),
        Member::Data => found.data.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::{Envelope, Member, has_member};

    const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1795762520,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"there\" \\ \u00e9 \ud83d\ude00","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":32,"completion_tokens":10.5e-3,"total_tokens":-42}}"#;

    fn choices(text: &str) -> bool {
        has_member(text.as_bytes(), Member::Choices)
    }

    #[test]
    fn answers_are_accepted() {
        let answers = [ANSWER, r#"{"choices":[]}"#, " \t\r\n{ \"choices\" : 0 } \n", r#"{"x":1,"x":2,"choices":{}}"#];
        for text in answers {
            assert!(choices(text), "{text}");
        }
        assert!(choices(r#"{"ch\u006fices":1}"#), "an escaped key is decoded");
        let embeddings = br#"{"object":"list","data":[{"embedding":[0.1,-2E+3]}]}"#;
        assert!(has_member(embeddings, Member::Data));
        assert!(!has_member(embeddings, Member::Choices));
        assert!(!choices(r#"{"data":[]}"#) && !has_member(br#"{"choices":[]}"#, Member::Data));
    }

    #[test]
    fn a_null_or_repeated_member_is_not_an_answer() {
        for text in [r#"{"choices":null}"#, r#"{"choices":1,"choices":2}"#, r#"{"choices":null,"choices":1}"#] {
            assert!(!choices(text), "{text}");
        }
    }

    #[test]
    fn malformed_documents_are_rejected() {
        let cases = [
            "",
            " ",
            "{",
            "}",
            "{}",
            "null",
            "1",
            "\"choices\"",
            "{\"choices\":1",
            "{\"choices\":1}}",
            "{\"choices\":1} x",
            "{\"choices\":1,}",
            "{\"choices\" 1}",
            "{'choices':1}",
            "{\"choices\":nul}",
            "{\"choices\":01}",
            "{\"choices\":[1,]}",
            "{\"choices\":{]}",
            "{\"choices\":\"open}",
            "\u{feff}{\"choices\":1}",
            "{\"choices\":1}\u{c}",
            "{\"a\":\"raw\nline\",\"choices\":1}",
            r#"{"\ud83d":1,"choices":1}"#,
            r#"{"a":"\uZZZZ","choices":1}"#,
        ];
        for text in cases {
            assert!(!choices(text), "{text}");
        }
        assert!(!has_member(b"{\"\xff\":1,\"choices\":1}", Member::Choices), "a key that is not UTF-8");
    }

    #[test]
    fn an_array_is_never_an_answer_though_serde_reads_two_elements_as_the_struct() {
        for text in ["[1,2]", " [ {\"a\":[]} , null ] ", "[null,2]", "[1]", "[1,2,3]"] {
            assert!(!choices(text) && !has_member(text.as_bytes(), Member::Data), "{text}");
        }
        assert!(serde_json::from_slice::<Envelope>(b"[1,2]").is_ok(), "what serde alone does");
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion_and_must_balance() {
        for depth in [10, 200, 100_000] {
            let open: String = (0..depth).map(|i| if i % 3 == 0 { "{\"k\":" } else { "[" }).collect();
            let close: String = (0..depth).rev().map(|i| if i % 3 == 0 { '}' } else { ']' }).collect();
            let balanced = format!("{{\"a\":{open}1{close},\"choices\":1}}");
            assert!(choices(&balanced), "depth {depth}");
            assert!(!choices(&format!("{{\"a\":{open}1]]],\"choices\":1}}")), "depth {depth}");
        }
    }
}
