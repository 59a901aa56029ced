//! Writing recorded soaks: the `once --json` document and the `run --record` JSON lines.

use crate::engine::{BatchRecord, Figures, Judged, Observer};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// One scenario's recorded cycles.
#[derive(Debug, Serialize)]
struct Recording<'a> {
    scenario: &'a str,
    batch_size: u64,
    cycles: Vec<Cycle<'a>>,
}

/// One cycle: its batches and what was concluded.
#[derive(Debug, Serialize)]
struct Cycle<'a> {
    batches: &'a [BatchRecord],
    #[serde(flatten)]
    figures: Figures,
}

fn recording(j: &Judged) -> Recording<'_> {
    Recording {
        scenario: &j.scenario,
        batch_size: j.batch_size,
        cycles: vec![Cycle { batches: &j.batches, figures: Figures::new(j) }],
    }
}

/// The `once --json` document: a list with one object per scenario, each holding its one cycle.
pub fn once_json(judged: &[Judged]) -> String {
    let doc: Vec<Recording<'_>> = judged.iter().map(recording).collect();
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// One `run --record` line: the object of one scenario with one cycle, newline-terminated.
fn line(j: &Judged) -> String {
    let mut text = serde_json::to_string(&recording(j)).unwrap_or_default();
    text.push('\n');
    text
}

/// `run --record FILE`: appends every finished cycle as one JSON line, flushed at once, never rewriting
/// what is there (a week-long soak can be replayed with `analyze`).
#[derive(Debug)]
pub struct Recorder {
    /// The file, opened for appending.
    file: Mutex<std::fs::File>,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self { file: Mutex::new(file) })
    }
}

impl Observer for Recorder {
    fn cycle(&self, j: &Judged) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.write_all(line(j).as_bytes()).and_then(|()| file.flush()) {
            tracing::error!(error = %e, "cannot append the cycle to the record file");
        }
    }
}
