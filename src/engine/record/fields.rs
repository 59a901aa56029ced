//! How a recording's batch and idle fields are read (docs/recording.md): the rules the derives of
//! [`super::BatchRecord`] and [`super::Idle`] name, so their one definition says what a recording may hold.
//! Each is lenient where older writers differ (a memory value written as a float is rounded; a batch with no
//! `phase` is measured; failures by kind that are not counts are left out) and says what is wrong
//! otherwise; `serde_path_to_error` adds where (`cycles[3].batches[7].memory_bytes: missing`).

use crate::analyze::Phase;
use crate::memory::MAX_MEMORY_BYTES;
use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;
use std::collections::BTreeMap;

/// A batch with no `phase` is a measured one (the first recordings had no warm-up).
pub(super) fn measure() -> Phase {
    Phase::Measure
}

/// `phase`: `warmup` or `measure`; a value that is not a string is read as `measure`, as it always was.
pub(super) fn phase<'de, D: Deserializer<'de>>(d: D) -> Result<Phase, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if s == Phase::Warmup.as_str() => Ok(Phase::Warmup),
        Value::String(s) if s == Phase::Measure.as_str() => Ok(Phase::Measure),
        Value::String(other) => Err(D::Error::custom(format!("must be warmup or measure, got {other:?}"))),
        _ => Ok(Phase::Measure),
    }
}

/// A number of 0 or more, integer or not.
pub(super) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Err(D::Error::custom("missing")),
        Value::Number(n) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(D::Error::custom(format!("must be 0 or more, got {n}"))),
        },
        other => Err(D::Error::custom(format!("must be a number, got {other}"))),
    }
}

/// Memory in bytes: a number of 0 to 1 PiB, rounded (a sample is the median of reads, written as a float by
/// some writers).
pub(super) fn bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match number(d)? {
        v if v > MAX_MEMORY_BYTES as f64 => {
            Err(D::Error::custom(format!("must be at most 1 PiB ({MAX_MEMORY_BYTES}), got {v}")))
        }
        v => Ok(v.round() as u64),
    }
}

/// A count: a whole number of 0 or more.
pub(super) fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Err(D::Error::custom("missing")),
        v => v.as_u64().ok_or_else(|| D::Error::custom(format!("must be a whole number 0 or more, got {v}"))),
    }
}

/// Requests of a batch: at least 1 (the analysis divides by them).
pub(super) fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match whole(d)? {
        0 => Err(D::Error::custom("must be at least 1, got 0")),
        n => Ok(n),
    }
}

/// Failures by kind: informational, so what is not a count (or not an object) is left out, never an error.
pub(super) fn lenient_counts<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map.into_iter().filter_map(|(k, v)| Some((k, v.as_u64()?))).collect(),
        _ => BTreeMap::new(),
    })
}

/// Resource counts by name: each a whole number (the resource charts and rules read them); `null` is none.
pub(super) fn counts<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u64>, D::Error> {
    let counts: Option<BTreeMap<String, Count>> = Deserialize::deserialize(d)?;
    Ok(counts.unwrap_or_default().into_iter().map(|(k, Count(n))| (k, n)).collect())
}

/// One count of a map, read by [`whole`] so that its error names its key.
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        whole(d).map(Count)
    }
}
