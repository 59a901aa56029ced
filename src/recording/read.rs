//! Reading recorded soaks, checking every value: a bad file is an error naming the place
//! (`cycles[3].batches[7].memory_bytes: missing`), never a panic.

use crate::analyze::Phase;
use crate::engine::{BatchRecord, CycleEnd};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What is wrong with a recorded file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {detail}")]
pub struct ReadError {
    /// `line 4: cycles[0].batches[2].requests`, `[1].cycles`, or the file name.
    pub place: String,
    pub detail: String,
}

fn err(place: impl Into<String>, detail: impl Into<String>) -> ReadError {
    ReadError { place: place.into(), detail: detail.into() }
}

/// One recorded cycle, ready to be judged again.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCycle {
    pub batches: Vec<BatchRecord>,
    pub end: CycleEnd,
}

/// One scenario's recorded cycles, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub scenario: String,
    /// Requests per batch as configured, when the file says.
    pub batch_size: u64,
    pub cycles: Vec<RecordedCycle>,
}

/// Reads a recorded file from disk.
pub fn read_file(path: &Path) -> Result<Vec<Recorded>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path.display().to_string(), e.to_string()))?;
    read(&text)
}

/// Reads a document (an object or a list of objects) or JSON lines; cycles of the same scenario from
/// several objects are joined in file order.
pub fn read(text: &str) -> Result<Vec<Recorded>, ReadError> {
    let objects: Vec<(String, Value)> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.into_iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        Ok(v) => vec![(String::new(), v)],
        Err(_) if first_line_is_an_object(text) => json_lines(text)?,
        Err(e) => return Err(err("(file)", format!("invalid JSON: {e}"))),
    };
    if objects.is_empty() {
        return Err(err("(file)", "no recorded scenario in the file"));
    }
    let mut merged: Vec<Recorded> = Vec::new();
    for (i, (place, value)) in objects.into_iter().enumerate() {
        let rec = recorded(&value, &place, i)?;
        match merged.iter_mut().find(|m| m.scenario == rec.scenario) {
            Some(m) => m.cycles.extend(rec.cycles),
            None => merged.push(rec),
        }
    }
    Ok(merged)
}

/// JSON lines: the first non-empty line is a whole object by itself.
fn first_line_is_an_object(text: &str) -> bool {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    matches!(serde_json::from_str::<Value>(first), Ok(Value::Object(_)))
}

fn json_lines(text: &str) -> Result<Vec<(String, Value)>, ReadError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let place = format!("line {}: ", n + 1);
            serde_json::from_str(l)
                .map(|v| (place.clone(), v))
                .map_err(|e| err(place.trim_end_matches(": "), format!("invalid JSON: {e}")))
        })
        .collect()
}

/// `prefix` + `key`, joining with a dot unless `prefix` ends a line marker or is empty.
fn at(prefix: &str, key: &str) -> String {
    if prefix.is_empty() || prefix.ends_with(": ") { format!("{prefix}{key}") } else { format!("{prefix}.{key}") }
}

fn recorded(value: &Value, place: &str, index: usize) -> Result<Recorded, ReadError> {
    let obj = value.as_object().ok_or_else(|| err(place_or_root(place), "must be an object with `cycles`"))?;
    let scenario = match obj.get("scenario") {
        None => format!("recorded-{index}"),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(err(at(place, "scenario"), "must be a non-empty string")),
    };
    let batch_size = match obj.get("batch_size") {
        None => 0,
        Some(v) => v.as_u64().ok_or_else(|| err(at(place, "batch_size"), "must be a whole number"))?,
    };
    let missing = "missing: a recorded soak is a list of cycles, each a list of batches";
    let cycles = list(obj, place, "cycles", missing)?
        .iter()
        .enumerate()
        .map(|(i, c)| cycle(c, &at(place, &format!("cycles[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Recorded { scenario, batch_size, cycles })
}

/// A required list field.
fn list<'a>(obj: &'a Map<String, Value>, place: &str, key: &str, missing: &str) -> Result<&'a Vec<Value>, ReadError> {
    match obj.get(key) {
        None => Err(err(at(place, key), missing)),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(err(at(place, key), "must be a list")),
    }
}

fn place_or_root(place: &str) -> String {
    if place.is_empty() { "(file)".into() } else { place.trim_end_matches(": ").into() }
}

fn cycle(value: &Value, place: &str) -> Result<RecordedCycle, ReadError> {
    let obj = value.as_object().ok_or_else(|| err(place, "must be an object with `batches`"))?;
    let batches = list(obj, place, "batches", "missing")?
        .iter()
        .enumerate()
        .map(|(i, b)| batch(b, &at(place, &format!("batches[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    let end = match obj.get("end").and_then(Value::as_str) {
        None | Some("completed") => CycleEnd::Completed,
        Some("restarted") => CycleEnd::Restarted,
        Some("source_failed") => CycleEnd::SourceFailed("recorded as failed".into()),
        Some(other) => {
            return Err(err(at(place, "end"), format!("must be completed, source_failed or restarted, got {other:?}")));
        }
    };
    Ok(RecordedCycle { batches, end })
}

fn batch(value: &Value, place: &str) -> Result<BatchRecord, ReadError> {
    let obj = value.as_object().ok_or_else(|| err(place, "must be an object"))?;
    let phase = match obj.get("phase").and_then(Value::as_str) {
        Some("warmup") => Phase::Warmup,
        Some("measure") | None => Phase::Measure,
        Some(other) => return Err(err(at(place, "phase"), format!("must be warmup or measure, got {other:?}"))),
    };
    let memory = number(obj, place, "memory_bytes")?;
    let requests = whole(obj, place, "requests")?;
    if requests == 0 {
        return Err(err(at(place, "requests"), "must be at least 1, got 0"));
    }
    let errors = if obj.contains_key("errors") { whole(obj, place, "errors")? } else { 0 };
    if errors > requests {
        return Err(err(at(place, "errors"), format!("must be at most requests ({requests}), got {errors}")));
    }
    let errors_by_kind = obj
        .get("errors_by_kind")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_u64()?))).collect())
        .unwrap_or_else(BTreeMap::new);
    Ok(BatchRecord { phase, memory_bytes: memory.round() as u64, requests, errors, errors_by_kind })
}

fn number(obj: &Map<String, Value>, place: &str, key: &str) -> Result<f64, ReadError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(err(at(place, key), "missing")),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(err(at(place, key), format!("must be 0 or more, got {n}"))),
        },
        Some(other) => Err(err(at(place, key), format!("must be a number, got {other}"))),
    }
}

fn whole(obj: &Map<String, Value>, place: &str, key: &str) -> Result<u64, ReadError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(err(at(place, key), "missing")),
        Some(v) => v.as_u64().ok_or_else(|| err(at(place, key), format!("must be a whole number 0 or more, got {v}"))),
    }
}

#[cfg(test)]
mod tests;
