//! Resume: `run --record FILE` replays the cycles already in FILE into the judges of the scenarios still
//! configured before the first cycle runs, so a restart of leaksoak keeps the trend history, the rule
//! streaks, the gauge and the cycle counters. The file, after its rotated files (oldest first), is read with
//! the reader `analyze` uses; a file that cannot be read as a recording is moved aside (never overwritten,
//! never deleted) and a fresh one begins.

use crate::engine::{Engine, Observer};
use crate::recording::{Entry, ReadError, read_path, rotated_set};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What was resumed from a recording.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// Configured scenarios with at least one cycle replayed.
    pub scenarios: usize,
    /// Cycles replayed.
    pub cycles: usize,
    /// The longest trend history rebuilt, at most `trend_cycles`.
    pub trend: usize,
    /// Cycles of scenarios no longer configured, not replayed.
    pub unknown: usize,
    /// Lines that are not recorded cycles (cut short by a crash, too long, a bad value), skipped.
    pub skipped: usize,
    /// Files read: the rotated ones and FILE.
    pub files: usize,
}

impl Resumed {
    /// `resumed 3 scenarios, 41 cycles, trend history of 6 cycles`, and `, from 3 files` when the recording
    /// was rotated.
    pub fn line(&self) -> String {
        let files = if self.files > 1 { format!(", from {} files", self.files) } else { String::new() };
        format!(
            "resumed {} scenarios, {} cycles, trend history of {} cycles{files}",
            self.scenarios, self.cycles, self.trend
        )
    }
}

/// Replays the recording at `path` (its rotated files, oldest first, then `path`) into `engine`, telling
/// `observer` (metrics, `/status`; not the recorder, not the log) about every cycle. A missing or empty
/// recording resumes nothing. A file that cannot be read as a recording is renamed aside and nothing is
/// resumed; returns where it went in that case.
pub fn resume(engine: &mut Engine, path: &Path, observer: &dyn Observer) -> (Resumed, Option<PathBuf>) {
    let mut out = Resumed::default();
    let files = match rotated_set(path) {
        Ok(files) => files,
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "cannot list the rotated record files; nothing resumed");
            return (out, None);
        }
    };
    let mut seen = BTreeSet::new();
    for file in files.iter().filter(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 0)) {
        if let Err(e) = crate::recording::check_path(file) {
            tracing::error!(path = %file.display(), "a rotated record file is skipped, left as it is: {e}");
            continue;
        }
        if let Err(e) = replay_file(engine, file, observer, &mut out, &mut seen) {
            engine.forget();
            // One line, saying what happened to the file: moved aside, or left where it is and why.
            let aside = move_aside(file);
            let (what, moved_to) = match &aside {
                Ok(to) => ("it was moved aside".to_owned(), Some(to.display().to_string())),
                Err(why) => (format!("it could not be moved aside ({why}) and is left as it is"), None),
            };
            tracing::error!(
                path = %file.display(),
                moved_to = ?moved_to,
                record = %path.display(),
                "a record file cannot be read as a recording ({e}); {what}; nothing resumed, new cycles go to the record"
            );
            return (Resumed::default(), aside.ok());
        }
        out.files += 1;
    }
    out.scenarios = seen.len();
    out.trend = engine.trend_history();
    (out, None)
}

/// Replays one file of the recording, in file order.
fn replay_file(
    engine: &mut Engine,
    file: &Path,
    observer: &dyn Observer,
    out: &mut Resumed,
    seen: &mut BTreeSet<String>,
) -> Result<(), ReadError> {
    read_path(file, |entry| match entry {
        Entry::Cycle { scenario, cycle, .. } => {
            match engine.replay(&scenario, cycle.idle, cycle.endpoints, cycle.batches, cycle.end) {
                Some(judged) => {
                    observer.cycle(&judged);
                    out.cycles += 1;
                    seen.insert(scenario);
                }
                None => out.unknown += 1,
            }
        }
        Entry::Skipped(e) => {
            tracing::warn!(path = %file.display(), "record file: {e}");
            out.skipped += 1;
        }
    })
}

/// Renames `path` to `PATH.unreadable-UNIXSECONDS` (with `-N` added when that exists): never overwrites.
/// `Err` says why it could not be renamed.
fn move_aside(path: &Path) -> Result<PathBuf, String> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let base = format!("{}.unreadable-{secs}", path.display());
    let aside = (0..1000)
        .map(|n| PathBuf::from(if n == 0 { base.clone() } else { format!("{base}-{n}") }))
        .find(|p| !p.exists())
        .ok_or_else(|| format!("{base} and 999 more names are taken"))?;
    std::fs::rename(path, &aside).map(|()| aside).map_err(|e| e.to_string())
}
