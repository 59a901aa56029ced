//! Decoding one recorded object (a JSON line, or a whole document) into the recording's types: serde names
//! the field a problem is in (`serde_path_to_error`), the problem is said in the reader's words
//! (docs/recording.md), and the object is then checked across fields.

use super::{Recorded, RecordedCycle};
use crate::recording::format::ScenarioRecord;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// What went wrong decoding one object (a line, or a whole document).
pub(super) enum Problem {
    /// The text is not JSON (a line cut short).
    NotJson(serde_json::Error),
    /// JSON, but not a recording: the place within the object (empty for the object itself) and what is
    /// wrong there.
    Bad(String, String),
}

/// Decodes `bytes` as `T`, naming the field a problem is in; a recording is then checked across fields.
pub(super) fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // A bad value met before a cut: the text is still no JSON (what a JSON-lines line cut short is).
        match serde_json::from_slice::<IgnoredAny>(bytes) {
            Err(not_json) if !not_json.is_data() => Problem::NotJson(not_json),
            _ if !inner.is_data() => Problem::NotJson(inner),
            _ => described(if path == "." { "" } else { &path }, &inner),
        }
    })?;
    de.end().map_err(Problem::NotJson)?;
    Ok(decoded)
}

/// The place and the problem of a decoding error `e` at `path`, in the reader's words: `memory_bytes:
/// missing`, `cycles: must be a sequence, got integer `5``.
fn described(path: &str, e: &serde_json::Error) -> Problem {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    if let Some(field) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        let detail = match (path, field) {
            ("", "cycles") => "missing: a recorded soak is a list of cycles, each a list of batches",
            _ => "missing",
        };
        return Problem::Bad(at(path, field), detail.into());
    }
    let mismatch = ["invalid type: ", "invalid value: "].iter().find_map(|p| message.strip_prefix(p));
    let detail = match mismatch.and_then(|m| m.split_once(", expected ")) {
        Some((got, expected)) => format!("must be {}, got {got}", in_our_words(expected)),
        None => message.to_owned(),
    };
    Problem::Bad(path.to_owned(), detail)
}

/// What serde expected, as docs/recording.md says it.
fn in_our_words(expected: &str) -> &str {
    match expected {
        "a sequence" => "a list",
        "a map" => "an object",
        "u64" => "a whole number 0 or more",
        other => other,
    }
}

/// `path` + `.key` (`key` alone at the root).
fn at(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// One decoded object as the reader hands it over: named, escaped, and checked across fields.
pub(super) fn recorded(record: ScenarioRecord<'_>, index: usize) -> Result<Recorded, Problem> {
    record.check().map_err(|(place, detail)| Problem::Bad(place, detail))?;
    let scenario = match record.scenario {
        // Shown in reports and logs: escaped (a recorded name never matches a configured one otherwise).
        Some(name) => crate::text::printable(&name).into_owned(),
        None => format!("recorded-{index}"),
    };
    let cycles = record
        .cycles
        .into_iter()
        .map(|c| RecordedCycle { batches: c.batches.into_owned(), end: c.end, idle: c.idle, endpoints: c.endpoints })
        .collect();
    Ok(Recorded { scenario, batch_size: record.batch_size, cycles })
}
