//! `[record]`: how the `run --record FILE` recording is kept bounded on disk (docs/recording.md#rotation).

use super::problems::Problems;
use serde::{Deserialize, Serialize};

/// Once FILE would grow past this many bytes, it is renamed to the next rotated file and a new FILE begins.
/// A cycle takes about 1.7 KB per scenario, so 16 MiB holds some 10,000 cycles: days of the default soak.
/// Resume reads every kept file at start-up, so larger files mean a longer start; 0 turns rotation off
/// (FILE grows without bound, as with an outside log rotation and SIGHUP).
pub const ROTATE_BYTES: u64 = 16 * 1024 * 1024;
/// Rotated files kept beside FILE; the oldest beyond this is deleted at each rotation. With the default
/// size, FILE and 4 older files are at most 80 MiB, a week or more of the default soak: far more than the
/// trend window and the confirmation streaks that resume needs.
pub const KEEP_ROTATED: u64 = 4;
/// The smallest size that rotates: a few cycles per file. Smaller files would only multiply files.
pub const MIN_ROTATE_BYTES: u64 = 4096;
/// The most rotated files kept: resume reads them all at start-up.
pub const MAX_KEEP_ROTATED: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawRecord {
    pub rotate_bytes: u64,
    pub keep_rotated: u64,
}

impl Default for RawRecord {
    fn default() -> Self {
        Self { rotate_bytes: ROTATE_BYTES, keep_rotated: KEEP_ROTATED }
    }
}

/// The validated `[record]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The size past which the record file is rotated; `None`: never (it grows without bound).
    pub rotate_bytes: Option<u64>,
    /// Rotated files kept; older ones are deleted.
    pub keep_rotated: u64,
}

pub fn validate(raw: &RawRecord, p: &mut Problems) -> Record {
    let rotate_bytes = match raw.rotate_bytes {
        0 => None,
        n if n < MIN_ROTATE_BYTES => {
            p.push("record.rotate_bytes", format!("must be 0 (no rotation) or at least {MIN_ROTATE_BYTES}, got {n}"));
            Some(MIN_ROTATE_BYTES)
        }
        n => Some(n),
    };
    let keep_rotated = p.between("record.keep_rotated", raw.keep_rotated, 1, MAX_KEEP_ROTATED);
    Record { rotate_bytes, keep_rotated }
}
