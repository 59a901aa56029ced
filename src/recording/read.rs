//! Reading recorded soaks, checking every value: a bad file is an error naming the place
//! (`cycles[3].batches[7].memory_bytes: missing`), never a panic. In JSON lines a bad line is skipped and
//! named (`line 59: …, skipped`), and the lines after it are read: one bad line never costs a soak.

use super::format::{Object, ScenarioRecord};
use crate::engine::{BatchRecord, CycleEnd, EndpointTraffic, Idle};
use decode::{Problem, decode, recorded};
use lines::{Line, Lines};
use std::io::{BufRead, Read};
use std::path::Path;

mod decode;
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
    /// The requests leaksoak's own endpoints answered during the cycle, when the recording has them.
    pub endpoints: Option<EndpointTraffic>,
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
    /// Hands over the cycles of one decoded object, once it is checked.
    fn take(&mut self, record: ScenarioRecord<'_>) -> Result<(), Problem> {
        let rec = recorded(record, self.index)?;
        self.index += 1;
        for cycle in rec.cycles {
            (self.each)(Entry::Cycle { scenario: rec.scenario.clone(), batch_size: rec.batch_size, cycle });
        }
        Ok(())
    }

    /// Line `n` of JSON lines: its cycles, or skipped (and said why) when it is not a recorded cycle.
    fn line(&mut self, n: usize, line: &Line) {
        let place = format!("line {n}");
        let problem = match line {
            Line::TooLong => {
                (self.each)(Entry::Skipped(err(place, format!("{}, skipped", too_long()))));
                return;
            }
            Line::Text(bytes) => match decode::<Object<ScenarioRecord<'_>>>(bytes).and_then(|r| self.take(r.0)) {
                Ok(()) => return,
                Err(problem) => problem,
            },
        };
        let skipped = match problem {
            Problem::NotJson(e) => err(place, format!("not JSON (a line cut short?), skipped: {e}")),
            Problem::Bad(inner, detail) if inner.is_empty() => {
                self.first_bad.get_or_insert_with(|| err(&place, &detail));
                err(place, format!("{detail}, skipped"))
            }
            Problem::Bad(inner, detail) => {
                self.first_bad.get_or_insert_with(|| err(format!("{place}: {inner}"), &detail));
                err(place, format!("{inner}: {detail}, skipped"))
            }
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

/// A whole document: `head` (its first lines) and the rest of `input`, at most [`MAX_DOCUMENT_BYTES`]; a
/// list of objects (one per scenario) or one object. Read whole before any cycle is handed over.
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
    let listed = head.trim_ascii_start().first() == Some(&b'[');
    let records = if listed {
        decode::<Vec<Object<ScenarioRecord<'static>>>>(&head).map(|list| list.into_iter().map(|r| r.0).collect())
    } else {
        decode::<Object<ScenarioRecord<'static>>>(&head).map(|r| vec![r.0])
    };
    drop(head);
    let records = records.map_err(|problem| match problem {
        Problem::NotJson(e) => err("(file)", format!("invalid JSON: {e}")),
        Problem::Bad(place, detail) => err(if place.is_empty() { "(file)".to_owned() } else { place }, detail),
    })?;
    if records.is_empty() {
        return Err(err("(file)", "no recorded scenario in the file"));
    }
    for (i, record) in records.into_iter().enumerate() {
        objects.take(record).map_err(|problem| match problem {
            Problem::Bad(place, detail) if listed => err(format!("[{i}].{place}"), detail),
            Problem::Bad(place, detail) => err(place, detail),
            Problem::NotJson(e) => err("(file)", format!("invalid JSON: {e}")),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
