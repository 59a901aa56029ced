//! Reading recorded soaks, checking every value: a bad file is an error naming the place
//! (`cycles[3].batches[7].memory_bytes: missing`), never a panic. In JSON lines a bad line is skipped and
//! named (`line 59: …, skipped`), and the lines after it are read: one bad line never costs a soak.

use crate::analyze::Phase;
use crate::engine::{BatchRecord, CycleEnd, Idle};
use crate::memory::{Breakdown, MAX_MEMORY_BYTES};
use crate::settings::{MAX_MEASURE_BATCHES, MAX_WARMUP_BATCHES};
use lines::{Line, Lines};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

mod lines;

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

/// The longest line read: 8 MiB. The longest cycle `run --record` can write is about 4.3 MB (3,000 batches,
/// each with every error kind, 20 resource series and a memory breakdown), so this is twice that; a longer
/// line is passed over without being kept (skipped, as a cut line is). A line is checked as serde_json
/// values: about 13 times its size for a recorded cycle, at most about 150 MiB for a hostile 8 MiB line of
/// small numbers.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// A document (an object or a list of objects, over several lines) is read whole, so one over this is
/// refused: 16 MiB, about 50,000 pretty-printed batches, far more than `once --json` writes for the default
/// scenarios; checking a hostile one (small numbers) costs up to about 200 MiB. A long soak is JSON lines
/// (`run --record`).
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// What a recording yields, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// One recorded cycle of `scenario`.
    Cycle { scenario: String, batch_size: u64, cycle: RecordedCycle },
    /// A JSON-lines line that is not a recorded cycle, skipped: not JSON (cut short by a crash or a full
    /// disk), longer than [`MAX_LINE_BYTES`], or JSON holding a bad value. `place` is `line 59`.
    Skipped(ReadError),
}

/// Reads the recording at `path` into `each`, in file order (see [`read_each`]). The file must be a regular
/// file ([`crate::files::open_regular`]): a FIFO or a device is refused at once.
pub fn read_path(path: &Path, each: impl FnMut(Entry)) -> Result<(), ReadError> {
    // The caller names the file: `(file): is a FIFO (named pipe), not a regular file`.
    let file = crate::files::open_regular(path).map_err(|e| err("(file)", e.detail()))?;
    read_each(std::io::BufReader::with_capacity(1 << 16, file), each)
}

/// Reads a document (an object or a list of objects, at most [`MAX_DOCUMENT_BYTES`]) or JSON lines, and
/// hands every cycle to `each` as it is read, keeping none: JSON lines are read in memory independent of
/// the file's size. A JSON-lines line that is not a recorded cycle (not JSON, too long, or a bad value) is
/// handed over as [`Entry::Skipped`] and the lines after it are read; a file in which no line is a recorded
/// cycle is an error (a different tool's file), the first bad line's problem.
pub fn read_each(mut input: impl BufRead, mut each: impl FnMut(Entry)) -> Result<(), ReadError> {
    let mut lines = Lines::new(&mut input);
    let mut objects = Objects { index: 0, each: &mut each, first_bad: None };
    let Some((n1, first)) = lines.next_non_empty()? else {
        return Err(err("(file)", "no recorded scenario in the file"));
    };
    let Some((n2, second)) = lines.next_non_empty()? else {
        return match first {
            Line::Text(text) => document(text, lines.input, &mut objects),
            Line::TooLong => Err(err(format!("line {n1}"), too_long())),
        };
    };
    // JSON lines: the first line is an object, or it is cut and the next one is an object by itself.
    if first.is_object() || (first.is_not_json() && second.is_object()) {
        objects.line(n1, &first);
        objects.line(n2, &second);
        while let Some((n, line)) = lines.next_non_empty()? {
            objects.line(n, &line);
        }
        return objects.finish();
    }
    match (first, second) {
        (Line::Text(a), Line::Text(b)) => document([a, b"\n".to_vec(), b].concat(), lines.input, &mut objects),
        _ => Err(err("(file)", format!("a line is {}; a document's lines are not that long", too_long()))),
    }
}

fn too_long() -> String {
    format!("longer than {} MiB, the most a line of a recording holds", MAX_LINE_BYTES >> 20)
}

/// Reads a document (an object or a list of objects) or JSON lines, and returns its scenarios; cycles of
/// the same scenario from several objects are joined in file order, JSON-lines lines that are not recorded
/// cycles are skipped. Everything is kept: for small inputs (tests, fuzzing); `analyze` uses [`read_path`].
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

/// Hands the cycles of each recorded object to `each`, counting objects for their default names.
struct Objects<'a, F> {
    /// Objects handed over so far: the next one's default name is `recorded-<index>`.
    index: usize,
    /// Where the cycles go.
    each: &'a mut F,
    /// The problem of the first JSON line that was not a recorded cycle: the file's error when no line is.
    first_bad: Option<ReadError>,
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

    /// Line `n` of JSON lines: its cycles, or skipped (and said why) when it is not a recorded cycle.
    fn line(&mut self, n: usize, line: &Line) {
        let place = format!("line {n}");
        let skipped = match line.json() {
            None => err(place, format!("{}, skipped", too_long())),
            Some(Err(e)) => err(place, format!("not JSON (a line cut short?), skipped: {e}")),
            Some(Ok(v)) => match self.take(&v, &format!("{place}: ")) {
                Ok(()) => return,
                Err(bad) => {
                    let inner = bad.place.strip_prefix(&format!("{place}: ")).unwrap_or(&bad.place).to_owned();
                    self.first_bad.get_or_insert_with(|| bad.clone());
                    err(place, format!("{inner}: {}, skipped", bad.detail))
                }
            },
        };
        (self.each)(Entry::Skipped(skipped));
    }

    /// The end of JSON lines: an error when no line was a recorded cycle but one was JSON of another shape.
    fn finish(&mut self) -> Result<(), ReadError> {
        match self.first_bad.take() {
            Some(bad) if self.index == 0 => Err(bad),
            _ => Ok(()),
        }
    }
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
            format!(
                "a JSON document over {} MiB is not read; record long soaks as JSON lines (one cycle per line, as `run --record` writes)",
                MAX_DOCUMENT_BYTES >> 20
            ),
        ));
    }
    let items = match serde_json::from_slice::<Value>(&head) {
        Ok(Value::Array(items)) => items.into_iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        Ok(v) => vec![(String::new(), v)],
        Err(e) => return Err(err("(file)", format!("invalid JSON: {e}"))),
    };
    drop(head);
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
        // Shown in reports and logs: escaped (a recorded name never matches a configured one otherwise).
        Some(Value::String(s)) if !s.is_empty() => crate::text::printable(s).into_owned(),
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
    let expected_by_kind = obj
        .get("expected_by_kind")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_u64()?))).collect())
        .unwrap_or_else(BTreeMap::new);
    let record = BatchRecord::new(phase, memory.round() as u64, requests, &Default::default());
    Ok(BatchRecord { errors, errors_by_kind, expected_by_kind, ..record }
        .with_extras(resources(obj, place)?, breakdown(obj, place)?))
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
