//! Writing recorded soaks: the `once --json` document and the `run --record` JSON lines.

use super::format::{CycleRecord, ScenarioRecord};
use crate::engine::{Figures, Judged, Observer};
use crate::settings::Record;
use std::borrow::Cow;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn recording(j: &Judged) -> ScenarioRecord<'_> {
    let cycle = CycleRecord {
        batches: Cow::Borrowed(&j.batches),
        idle: j.idle,
        endpoints: j.endpoints,
        end: j.end.clone(),
        figures: Some(Figures::new(j)),
    };
    ScenarioRecord { scenario: Some(Cow::Borrowed(&j.scenario)), batch_size: j.batch_size, cycles: vec![cycle] }
}

/// The `once --json` document: a list with one object per scenario, each holding its one cycle.
pub fn once_json(judged: &[Judged]) -> String {
    let doc: Vec<ScenarioRecord<'_>> = judged.iter().map(recording).collect();
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// One `run --record` line: the object of one scenario with one cycle, newline-terminated.
fn line(j: &Judged) -> String {
    let mut text = serde_json::to_string(&recording(j)).unwrap_or_default();
    text.push('\n');
    text
}

/// `run --record FILE`: appends every finished cycle as one JSON line, flushed at once, never rewriting
/// what is there (a week-long soak can be replayed with `analyze`). A failed append (a full disk) may
/// leave a cut line: the next append first ends it, so every later cycle starts on a line of its own and
/// `analyze` skips only the cut one. With rotation ([`Recorder::rotating`]), a cycle that would take FILE
/// past its size goes to a new FILE, the old one renamed into the rotated set (`FILE.000001`, …).
pub struct Recorder {
    /// Where the file is; opened again on [`Recorder::reopen`] (log rotation) and after a rotation.
    path: PathBuf,
    /// The file, opened for appending (and reading, to see whether it ends mid-line).
    file: Mutex<File>,
    /// Told of every failed append ([`Observer::record_write_failed`]): the daemon's metrics count them in
    /// `leaksoak_record_write_failures_total`.
    failures: Option<Arc<dyn Observer>>,
    /// `[record]`: the size past which FILE is rotated, and how many rotated files are kept.
    rotation: Option<Record>,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self { path: path.to_owned(), file: Mutex::new(open(path)?), failures: None, rotation: None })
    }

    /// Rotates the file by size as `record` says (nothing when its `rotate_bytes` is off).
    pub fn rotating(self, record: Record) -> Self {
        Self { rotation: record.rotate_bytes.is_some().then_some(record), ..self }
    }

    /// Tells `observer` of every failed append (the metrics count them).
    pub fn counting_failures(self, observer: Arc<dyn Observer>) -> Self {
        Self { failures: Some(observer), ..self }
    }

    /// Opens the path again (SIGHUP): after a log rotation moved the file away, cycles go to a new file
    /// at the path. On failure the old file stays in use.
    pub fn reopen(&self) -> std::io::Result<()> {
        let file = open(&self.path)?;
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = file;
        Ok(())
    }

    fn append(&self, text: &[u8]) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Record { rotate_bytes: Some(limit), keep_rotated }) = self.rotation {
            let len = file.metadata()?.len();
            if len > 0 && len.saturating_add(text.len() as u64) > limit {
                self.rotate(&mut file, keep_rotated);
            }
        }
        if ends_mid_line(&file)? {
            file.write_all(b"\n")?;
        }
        file.write_all(text)?;
        file.flush()
    }

    /// Moves FILE into the rotated set and opens a new FILE; on failure (logged) appends go on to the file
    /// in use, past its size.
    fn rotate(&self, file: &mut File, keep: u64) {
        let rotated = super::rotate::rotate(&self.path, keep).and_then(|to| Ok((to, open(&self.path)?)));
        match rotated {
            Ok((to, new)) => {
                *file = new;
                tracing::info!(path = %self.path.display(), rotated_to = %to.display(), "record file rotated");
            }
            Err(e) => tracing::error!(error = %e, path = %self.path.display(), "cannot rotate the record file"),
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("path", &self.path).field("rotation", &self.rotation).finish_non_exhaustive()
    }
}

/// Opens FILE for appending, creating it. A FIFO is opened without waiting for a reader, and anything but a
/// regular file is refused (see [`check_path`]).
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file =
        std::fs::OpenOptions::new().create(true).append(true).read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(not_regular(kind));
    }
    Ok(file)
}

/// Checks FILE before anything is read from it or written to it: missing, or a regular file. A directory,
/// a FIFO or a device is an error, and nothing of the user's is moved or created.
pub fn check_path(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => Err(not_regular(m.file_type())),
    }
}

fn not_regular(kind: std::fs::FileType) -> std::io::Error {
    let what = crate::files::kind_of(kind);
    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("it is {what}, not a regular file"))
}

/// Whether the file's last byte is not a newline: an append was cut short (or the file is not ours).
fn ends_mid_line(file: &File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

impl Observer for Recorder {
    fn cycle(&self, j: &Judged) {
        if let Err(e) = self.append(line(j).as_bytes()) {
            tracing::error!(error = %e, path = %self.path.display(), "cannot append the cycle to the record file");
            if let Some(failures) = &self.failures {
                failures.record_write_failed();
            }
        }
    }
}

#[cfg(test)]
mod tests;
