//! Reading recorded soaks, checking every value: a bad file is an error naming the place
//! (`cycles[3].batches[7].memory_bytes: missing`), never a panic.

use crate::analyze::Phase;
use crate::engine::{BatchRecord, CycleEnd, Idle};
use crate::memory::{Breakdown, MAX_MEMORY_BYTES};
use crate::settings::{MAX_MEASURE_BATCHES, MAX_WARMUP_BATCHES};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
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
    /// The idle pause before the cycle, when the recording has it.
    pub idle: Option<Idle>,
}

/// One scenario's recorded cycles, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub scenario: String,
    /// Requests per batch as configured, when the file says.
    pub batch_size: u64,
    pub cycles: Vec<RecordedCycle>,
}

/// A document (an object or a list of objects) is read whole, so one over this is refused; JSON lines
/// are read one line at a time, and a single line over this is refused too. 64 MiB is a document of
/// about 200,000 batches, far more than `once --json` writes; a long soak is JSON lines (`run --record`).
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// What a recording yields, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// One recorded cycle of `scenario`.
    Cycle { scenario: String, batch_size: u64, cycle: RecordedCycle },
    /// A JSON-lines line that is not JSON (cut short by a crash or a full disk), skipped: `place` is
    /// `line 59`.
    Skipped(ReadError),
}

/// Reads the recording at `path` into `each`, in file order (see [`read_each`]).
pub fn read_path(path: &Path, each: impl FnMut(Entry)) -> Result<(), ReadError> {
    let file = std::fs::File::open(path).map_err(|e| err(path.display().to_string(), e.to_string()))?;
    read_each(std::io::BufReader::with_capacity(1 << 16, file), each)
}

/// Reads a document (an object or a list of objects, at most [`MAX_DOCUMENT_BYTES`]) or JSON lines, and
/// hands every cycle to `each` as it is read, keeping none: JSON lines are read in memory independent of
/// the file's size. A JSON-lines line that is not JSON is handed over as [`Entry::Skipped`]; valid JSON of
/// the wrong shape is an error (a different tool's file is not half-read), after the cycles before it.
pub fn read_each(mut input: impl BufRead, mut each: impl FnMut(Entry)) -> Result<(), ReadError> {
    let mut lines = Lines { input: &mut input, number: 0 };
    let mut objects = Objects { index: 0, each: &mut each };
    let Some((n1, first)) = lines.next_non_empty()? else {
        return Err(err("(file)", "no recorded scenario in the file"));
    };
    let second = lines.next_non_empty()?;
    match (serde_json::from_slice::<Value>(&first), second) {
        // One object on one line: a document, its places without a line number.
        (Ok(v @ Value::Object(_)), None) => objects.take(&v, ""),
        (Ok(v @ Value::Object(_)), Some((n2, second))) => {
            objects.take(&v, &format!("line {n1}: "))?;
            objects.line(n2, &second)?;
            json_lines(&mut lines, &mut objects)
        }
        // A cut first line: JSON lines when the next one is an object by itself.
        (Err(e), Some((n2, second))) if is_object(&second) => {
            (objects.each)(Entry::Skipped(skipped(n1, &e)));
            objects.line(n2, &second)?;
            json_lines(&mut lines, &mut objects)
        }
        (_, None) => document(first, lines.input, &mut objects),
        (_, Some((_, second))) => document([first, b"\n".to_vec(), second].concat(), lines.input, &mut objects),
    }
}

fn is_object(line: &[u8]) -> bool {
    line.len() <= MAX_DOCUMENT_BYTES && matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_)))
}

/// Reads a document (an object or a list of objects) or JSON lines, and returns its scenarios; cycles of
/// the same scenario from several objects are joined in file order, JSON-lines lines that are not JSON
/// are skipped. Everything is kept: for small inputs (tests, fuzzing); `analyze` uses [`read_path`].
pub fn read(text: &str) -> Result<Vec<Recorded>, ReadError> {
    let mut merged: Vec<Recorded> = Vec::new();
    read_each(text.as_bytes(), |entry| {
        if let Entry::Cycle { scenario, batch_size, cycle } = entry {
            match merged.iter_mut().find(|m| m.scenario == scenario) {
                Some(m) => m.cycles.push(cycle),
                None => merged.push(Recorded { scenario, batch_size, cycles: vec![cycle] }),
            }
        }
    })?;
    Ok(merged)
}

fn skipped(line: usize, e: &serde_json::Error) -> ReadError {
    err(format!("line {line}"), format!("not JSON (a line cut short?), skipped: {e}"))
}

/// The lines of the input, numbered from 1, each at most [`MAX_DOCUMENT_BYTES`].
struct Lines<'a, R> {
    input: &'a mut R,
    /// The number of the last line read.
    number: usize,
}

impl<R: BufRead> Lines<'_, R> {
    /// The next line without its end, `None` at the end of the input; a line over the cap is cut after
    /// [`MAX_DOCUMENT_BYTES`]` + 1` bytes, for the caller to refuse.
    fn next(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        let mut line = Vec::new();
        let cap = MAX_DOCUMENT_BYTES as u64 + 1;
        let read = self.input.by_ref().take(cap).read_until(b'\n', &mut line);
        let read = read.map_err(|e| err(format!("line {}", self.number + 1), e.to_string()))?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(Some(line))
    }

    fn next_non_empty(&mut self) -> Result<Option<(usize, Vec<u8>)>, ReadError> {
        while let Some(line) = self.next()? {
            if !line.trim_ascii().is_empty() {
                return Ok(Some((self.number, line)));
            }
        }
        Ok(None)
    }
}

/// Hands the cycles of each recorded object to `each`, counting objects for their default names.
struct Objects<'a, F> {
    index: usize,
    each: &'a mut F,
}

impl<F: FnMut(Entry)> Objects<'_, F> {
    fn take(&mut self, value: &Value, place: &str) -> Result<(), ReadError> {
        let rec = recorded(value, place, self.index)?;
        self.index += 1;
        for cycle in rec.cycles {
            (self.each)(Entry::Cycle { scenario: rec.scenario.clone(), batch_size: rec.batch_size, cycle });
        }
        Ok(())
    }

    /// Line `n` of JSON lines: an object, or skipped when it is not JSON.
    fn line(&mut self, n: usize, line: &[u8]) -> Result<(), ReadError> {
        if line.len() > MAX_DOCUMENT_BYTES {
            return Err(err(format!("line {n}"), "longer than 64 MiB: not a line of a recording"));
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => self.take(&v, &format!("line {n}: ")),
            Err(e) => {
                (self.each)(Entry::Skipped(skipped(n, &e)));
                Ok(())
            }
        }
    }
}

fn json_lines<R: BufRead, F: FnMut(Entry)>(
    lines: &mut Lines<'_, R>,
    objects: &mut Objects<'_, F>,
) -> Result<(), ReadError> {
    while let Some(line) = lines.next()? {
        if !line.trim_ascii().is_empty() {
            objects.line(lines.number, &line)?;
        }
    }
    Ok(())
}

/// A whole document: `head` (its first lines) and the rest of `input`, at most [`MAX_DOCUMENT_BYTES`].
fn document<F: FnMut(Entry)>(
    mut head: Vec<u8>,
    input: &mut impl BufRead,
    objects: &mut Objects<'_, F>,
) -> Result<(), ReadError> {
    head.push(b'\n');
    let cap = (MAX_DOCUMENT_BYTES + 1).saturating_sub(head.len()) as u64;
    input.take(cap).read_to_end(&mut head).map_err(|e| err("(file)", e.to_string()))?;
    if head.len() > MAX_DOCUMENT_BYTES {
        return Err(err(
            "(file)",
            "a JSON document over 64 MiB is not read; record long soaks as JSON lines (one cycle per line, as `run --record` writes)",
        ));
    }
    let items = match serde_json::from_slice::<Value>(&head) {
        Ok(Value::Array(items)) => items.into_iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        Ok(v) => vec![(String::new(), v)],
        Err(e) => return Err(err("(file)", format!("invalid JSON: {e}"))),
    };
    if items.is_empty() {
        return Err(err("(file)", "no recorded scenario in the file"));
    }
    for (place, value) in items {
        objects.take(&value, &place)?;
    }
    Ok(())
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
    let listed = list(obj, place, "batches", "missing")?;
    // The same bound a configuration has: the slope fit's cost grows with the square of the batches.
    // Warm-up may run `warmup_batches` plus `max_settle_batches`, each at most MAX_WARMUP_BATCHES.
    let most = 2 * MAX_WARMUP_BATCHES + MAX_MEASURE_BATCHES;
    if listed.len() as u64 > most {
        return Err(err(at(place, "batches"), format!("at most {most} batches in a cycle, got {}", listed.len())));
    }
    let batches = listed
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
    Ok(RecordedCycle { batches, end, idle: idle(obj, place)? })
}

/// The idle pause before a cycle (`idle: {from_bytes, to_bytes, seconds}`), when recorded.
fn idle(obj: &Map<String, Value>, place: &str) -> Result<Option<Idle>, ReadError> {
    let Some(value) = obj.get("idle").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let place = at(place, "idle");
    let idle = value.as_object().ok_or_else(|| err(&place, "must be an object"))?;
    let bytes = |key: &str| match number(idle, &place, key)? {
        v if v > MAX_MEMORY_BYTES as f64 => Err(err(at(&place, key), format!("must be at most 1 PiB, got {v}"))),
        v => Ok(v.round() as u64),
    };
    let (from_bytes, to_bytes) = (bytes("from_bytes")?, bytes("to_bytes")?);
    Ok(Some(Idle { from_bytes, to_bytes, seconds: number(idle, &place, "seconds")? }))
}

fn batch(value: &Value, place: &str) -> Result<BatchRecord, ReadError> {
    let obj = value.as_object().ok_or_else(|| err(place, "must be an object"))?;
    let phase = match obj.get("phase").and_then(Value::as_str) {
        Some("warmup") => Phase::Warmup,
        Some("measure") | None => Phase::Measure,
        Some(other) => return Err(err(at(place, "phase"), format!("must be warmup or measure, got {other:?}"))),
    };
    let memory = number(obj, place, "memory_bytes")?;
    if memory > MAX_MEMORY_BYTES as f64 {
        return Err(err(
            at(place, "memory_bytes"),
            format!("must be at most 1 PiB ({MAX_MEMORY_BYTES}), got {memory}"),
        ));
    }
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
    let record = BatchRecord::new(phase, memory.round() as u64, requests, &Default::default());
    Ok(BatchRecord { errors, errors_by_kind, ..record }.with_extras(resources(obj, place)?, breakdown(obj, place)?))
}

/// A batch's `resources` (optional): counts by name, each a whole number.
fn resources(obj: &Map<String, Value>, place: &str) -> Result<BTreeMap<String, u64>, ReadError> {
    let Some(value) = obj.get("resources").filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let place = at(place, "resources");
    let map = value.as_object().ok_or_else(|| err(&place, "must be an object of counts"))?;
    map.keys().map(|name| Ok((name.clone(), whole(map, &place, name)?))).collect()
}

/// A batch's `memory_breakdown` (optional): `anon_bytes`, `file_bytes`, `shmem_bytes`.
fn breakdown(obj: &Map<String, Value>, place: &str) -> Result<Option<Breakdown>, ReadError> {
    let Some(value) = obj.get("memory_breakdown").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let place = at(place, "memory_breakdown");
    let map = value.as_object().ok_or_else(|| err(&place, "must be an object"))?;
    let bytes = |key: &str| match whole(map, &place, key)? {
        v if v > MAX_MEMORY_BYTES => Err(err(at(&place, key), format!("must be at most 1 PiB, got {v}"))),
        v => Ok(v),
    };
    Ok(Some(Breakdown {
        anon_bytes: bytes("anon_bytes")?,
        file_bytes: bytes("file_bytes")?,
        shmem_bytes: bytes("shmem_bytes")?,
    }))
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
