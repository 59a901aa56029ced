//! What a scenario sends: the request body (its prompt padded to `prompt_bytes`), and for the `rejected`
//! path the requests a target must refuse, sent in turn (docs/failure-paths.md).

use super::outcome::Expected;
use crate::settings::path::WRONG_API_KEY;
use crate::settings::{Api, Path, Scenario};
use bytes::Bytes;
use serde_json::json;

/// The prompt of every request: short, so the target's memory, not the payload, dominates.
const PROMPT: &str = "Say hello in one short sentence.";

/// One kind of request a scenario sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The body, serialized once (empty for `api = "http"`).
    pub body: Bytes,
    /// Sent instead of the scenario's API key (the wrong key).
    pub api_key: Option<&'static str>,
    /// For a request the target must refuse: the outcome its refusal counts as.
    pub rejection: Option<Expected>,
}

/// Every kind of request `scenario` sends, in turn: one, or the three refusals of the `rejected` path
/// (a malformed body, a wrong API key, a body over the size limit).
pub fn shapes(scenario: &Scenario) -> Vec<Shape> {
    let body = body(scenario, scenario.prompt_bytes);
    let Path::Rejected { oversized_body_bytes } = scenario.path else {
        return vec![Shape { body, api_key: None, rejection: None }];
    };
    // Cut in the middle of the JSON text: no parser takes it.
    let malformed = body.slice(..body.len() / 2);
    vec![
        Shape { body: malformed, api_key: None, rejection: Some(Expected::RejectedMalformed) },
        Shape { body: body.clone(), api_key: Some(WRONG_API_KEY), rejection: Some(Expected::RejectedKey) },
        Shape {
            body: self::body(scenario, oversized_body_bytes),
            api_key: None,
            rejection: Some(Expected::RejectedOversized),
        },
    ]
}

/// The prompt, padded with words to `bytes` (the short prompt when `bytes` is smaller).
fn prompt(bytes: usize) -> String {
    let mut prompt = String::with_capacity(bytes.max(PROMPT.len()));
    prompt.push_str(PROMPT);
    const FILL: &str = " Please ignore this padding word.";
    while prompt.len() + FILL.len() <= bytes {
        prompt.push_str(FILL);
    }
    while prompt.len() < bytes {
        prompt.push('.');
    }
    prompt
}

/// The body of a request with a prompt of about `prompt_bytes` (the JSON around it adds ~100 bytes).
fn body(scenario: &Scenario, prompt_bytes: usize) -> Bytes {
    let (model, prompt) = (&scenario.model, prompt(prompt_bytes));
    let body = match scenario.api {
        Api::Chat => json!({
            "model": model, "stream": scenario.stream, "max_tokens": 32,
            "messages": [{"role": "user", "content": prompt}],
        }),
        Api::Completions => {
            json!({"model": model, "stream": scenario.stream, "max_tokens": 32, "prompt": prompt})
        }
        Api::Embeddings => json!({"model": model, "input": prompt}),
        Api::Http => return Bytes::new(),
    };
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(extra: &str) -> Scenario {
        let raw: crate::settings::RawSettings =
            toml::from_str(&format!("[[scenario]]\nname = \"s\"\n{extra}")).expect("toml");
        raw.validate().expect("valid").scenarios.remove(0)
    }

    #[test]
    fn the_prompt_is_padded_to_its_size() {
        for bytes in [0, 10, 1000, 65_537] {
            let p = prompt(bytes);
            assert_eq!(p.len(), bytes.max(PROMPT.len()), "{bytes}");
            assert!(p.starts_with(PROMPT));
        }
        let body = shapes(&scenario("api = \"embeddings\"\nprompt_bytes = 100000")).remove(0).body;
        assert!((100_000..100_200).contains(&body.len()), "{}", body.len());
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["input"].as_str().map(str::len), Some(100_000));
    }

    #[test]
    fn the_rejected_path_sends_three_refusals() {
        let shapes = shapes(&scenario("path = \"rejected\"\noversized_body_bytes = 5000"));
        let kinds: Vec<_> = shapes.iter().map(|s| s.rejection).collect();
        let expected = [Expected::RejectedMalformed, Expected::RejectedKey, Expected::RejectedOversized];
        assert_eq!(kinds, expected.map(Some));
        assert!(serde_json::from_slice::<serde_json::Value>(&shapes[0].body).is_err(), "malformed");
        assert!(serde_json::from_slice::<serde_json::Value>(&shapes[1].body).is_ok());
        assert_eq!(shapes[1].api_key, Some(WRONG_API_KEY));
        assert!((5000..5200).contains(&shapes[2].body.len()), "{}", shapes[2].body.len());
        assert_eq!(super::shapes(&scenario("")).len(), 1, "other paths send one kind of request");
    }
}
