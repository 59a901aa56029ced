//! Recorded soaks (docs/recording.md): one JSON shape that `once --json` and `run --record` write and `analyze`
//! reads, so a soak can be judged again later, anywhere, with other settings.
//!
//! ```json
//! {"scenario": "async-streaming", "batch_size": 100,
//!  "cycles": [ {"batches": [ {"phase": "warmup", "memory_bytes": 23101440, "requests": 100, "errors": 0},
//!                           {"phase": "measure", "memory_bytes": 23105536, "requests": 100, "errors": 2} ]} ]}
//! ```
//! A file holds one such object, a list of them (one per scenario), or JSON lines (one object per line,
//! each with one cycle: what `run --record` appends). Writers add the analysis of each cycle beside its
//! batches (verdict, rules, figures, and `end`: `completed`, `source_failed` or `restarted`); readers
//! ignore fields they do not know, except `end`, which replays a restart as one.
//!
//! `run --record FILE` rotates FILE by size (`[record]`): the rotated set, oldest first, then FILE, is one
//! soak ([`rotated_set`]); resume and `analyze FILE...` read it in that order.

mod format;
mod read;
mod rotate;
mod write;

pub use read::{
    Entry, MAX_DOCUMENT_BYTES, MAX_LINE_BYTES, ReadError, Recorded, RecordedCycle, read, read_each, read_path,
};
pub use rotate::{rotated, rotated_set};
pub use write::check_path;
pub use write::{Recorder, once_json};
