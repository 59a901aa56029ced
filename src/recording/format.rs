//! The recording format, defined once (docs/recording.md): the objects `once --json` and `run --record`
//! write and `analyze` and resume read. The batch and idle fields are the engine's own records
//! ([`BatchRecord`], [`Idle`]), whose derives say how each field is read; the checks across fields are in
//! [`ScenarioRecord::check`]. Fields older recordings lack have defaults; fields a reader does not know
//! (the figures writers add) are ignored.

use crate::engine::{BatchRecord, CycleEnd, EndpointTraffic, Figures, Idle};
use crate::memory::MAX_MEMORY_BYTES;
use crate::settings::{MAX_MEASURE_BATCHES, MAX_WARMUP_BATCHES};
use serde::de::{Error, MapAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// One scenario's recorded cycles: one object of a recording.
#[derive(Debug, Serialize, Deserialize)]
#[serde(expecting = "an object with `cycles`")]
pub(super) struct ScenarioRecord<'a> {
    /// The scenario's name (cycles of the same name are joined); hand-made recordings may leave it out,
    /// and the reader then names it `recorded-<n>`.
    #[serde(default, deserialize_with = "non_empty")]
    pub scenario: Option<Cow<'a, str>>,
    /// Requests per batch as configured: informational, 0 when not given.
    #[serde(default)]
    pub batch_size: u64,
    /// The cycles, oldest first: one in each `run --record` line and `once --json` object.
    pub cycles: Vec<CycleRecord<'a>>,
}

/// One recorded cycle: its batches, the idle pause before it, and what was concluded.
#[derive(Debug, Serialize, Deserialize)]
#[serde(expecting = "an object with `batches`")]
pub(super) struct CycleRecord<'a> {
    /// Every batch that ran, warm-up and measured, in order.
    pub batches: Cow<'a, [BatchRecord]>,
    /// The idle pause before the cycle, when the cycle before it ended with a sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<Idle>,
    /// The requests leaksoak's own endpoints answered during the cycle, when the memory source measured
    /// leaksoak itself (`self`, `self-heap`): read back, a busy cycle is judged as it was live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<EndpointTraffic>,
    /// How the cycle ended: read from `end`, which the writer writes with the figures (`/status` shows them
    /// too); a recording without it ran to completion.
    #[serde(default = "completed", skip_serializing, deserialize_with = "cycle_end")]
    pub end: CycleEnd,
    /// What the writer concluded (verdict, rules, figures, `end`): written, never read back (`analyze`
    /// judges again with its own settings).
    #[serde(flatten, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

/// The most batches a cycle holds: the bound a configuration has (the slope fit's cost grows with the
/// square of the batches). Warm-up may run `warmup_batches` plus `max_settle_batches`, each at most
/// MAX_WARMUP_BATCHES.
const MOST_BATCHES: u64 = 2 * MAX_WARMUP_BATCHES + MAX_MEASURE_BATCHES;

impl ScenarioRecord<'_> {
    /// The checks across fields, after each field is read: the number of batches in a cycle, errors at most
    /// requests, and a memory breakdown of at most 1 PiB. `Err` holds the place (`cycles[0].batches[2].errors`)
    /// and what is wrong.
    pub fn check(&self) -> Result<(), (String, String)> {
        for (i, cycle) in self.cycles.iter().enumerate() {
            let place = format!("cycles[{i}].batches");
            if cycle.batches.len() as u64 > MOST_BATCHES {
                let got = cycle.batches.len();
                return Err((place, format!("at most {MOST_BATCHES} batches in a cycle, got {got}")));
            }
            for (j, batch) in cycle.batches.iter().enumerate() {
                check_batch(batch).map_err(|(field, detail)| (format!("{place}[{j}].{field}"), detail))?;
            }
        }
        Ok(())
    }
}

fn check_batch(batch: &BatchRecord) -> Result<(), (String, String)> {
    if batch.errors > batch.requests {
        let detail = format!("must be at most requests ({}), got {}", batch.requests, batch.errors);
        return Err(("errors".into(), detail));
    }
    let Some(b) = batch.memory_breakdown else { return Ok(()) };
    let parts = [("anon_bytes", b.anon_bytes), ("file_bytes", b.file_bytes), ("shmem_bytes", b.shmem_bytes)];
    match parts.into_iter().find(|(_, v)| *v > MAX_MEMORY_BYTES) {
        Some((key, v)) => Err((format!("memory_breakdown.{key}"), format!("must be at most 1 PiB, got {v}"))),
        None => Ok(()),
    }
}

fn completed() -> CycleEnd {
    CycleEnd::Completed
}

/// `end`: `completed`, `source_failed` or `restarted` (the spelling of [`Figures`]); a value that is not a
/// string is read as `completed`, as it always was.
fn cycle_end<'de, D: Deserializer<'de>>(d: D) -> Result<CycleEnd, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => match s.as_str() {
            "completed" => Ok(CycleEnd::Completed),
            "restarted" => Ok(CycleEnd::Restarted),
            "source_failed" => Ok(CycleEnd::SourceFailed("recorded as failed".into())),
            other => Err(D::Error::custom(format!("must be completed, source_failed or restarted, got {other:?}"))),
        },
        _ => Ok(CycleEnd::Completed),
    }
}

/// `scenario`, when given: a string that is not empty.
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'static, str>>, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Ok(Some(Cow::Owned(s))),
        _ => Err(D::Error::custom("must be a non-empty string")),
    }
}

/// A `T` read only from a JSON object: a derived struct also takes a list of its fields in order, which no
/// recording holds (`[1]` on a line is not a scenario whose name is `1`).
#[derive(Debug)]
pub(super) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

/// Reads the object into `T`.
struct ObjectVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object with `cycles`")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Object)
    }
}
