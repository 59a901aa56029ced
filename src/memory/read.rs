//! What one read of a memory source gives: bytes and, when the source can tell, the identity of what was
//! measured, so that a restarted target is noticed.

use super::Error;

/// One read of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Memory in bytes.
    pub bytes: u64,
    /// What was measured; `None` when the source cannot tell (own memory, a scalar query).
    pub identity: Option<Identity>,
}

/// What a source measured. Two reads with different identities measured different incarnations of the
/// target: a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A process: pids are reused, so with its start time (seconds since the epoch).
    Process { pid: u32, start_time: u64 },
    /// A cgroup directory: a recreated cgroup (restarted container) gets a new inode.
    Inode { dev: u64, ino: u64 },
    /// `process_start_time_seconds` on a scraped page, as `f64` bits.
    StartTime(u64),
    /// The label set of a PromQL result series (a new pod name is a new target).
    Labels(Vec<(String, String)>),
}

/// The largest memory reading taken as real: 1 PiB, beyond any machine's memory. A larger one (`1e300` from
/// a misconfigured query) is an error, not a value clamped and judged.
pub const MAX_MEMORY_BYTES: u64 = 1 << 50;

/// A sample value as bytes: finite, not negative and at most [`MAX_MEMORY_BYTES`], rounded. `what` names
/// the series for the error.
pub fn to_bytes(value: f64, what: impl FnOnce() -> String) -> Result<u64, Error> {
    if value.is_finite() && value >= 0.0 && value <= MAX_MEMORY_BYTES as f64 {
        Ok(value.round() as u64)
    } else {
        Err(Error::BadValue { source_name: what(), value: value.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_to_bytes() {
        assert_eq!(to_bytes(1.2345e7, String::new), Ok(12_345_000));
        assert_eq!(to_bytes(0.6, String::new), Ok(1));
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e300, 2.0 * MAX_MEMORY_BYTES as f64] {
            assert_eq!(to_bytes(bad, || "m".into()).map_err(|e| e.kind()), Err("bad_value"));
        }
    }
}
