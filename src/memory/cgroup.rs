//! `cgroup`: a cgroup's memory, v2 or v1, detected at the first read by its usage file (`memory.current` or
//! `memory.usage_in_bytes`). `memory.cgroup_metric` picks the figure: the usage itself, the working set
//! (usage − inactive file pages, as the kubelet counts it) or anonymous memory only (from `memory.stat`).
//! The directory's inode is the identity: a recreated cgroup (a restarted container) has a new one. A drop
//! in usage alone is not a restart. Every file is read bounded ([`crate::files`]): a `memory.current`
//! that is a link to `/dev/zero` or a FIFO is an error of the read, never a wait or a memory bomb.

use super::Error;
use super::read::{Identity, Read};
use crate::files::{MAX_SMALL_FILE_BYTES, read_text_capped};
use crate::settings::CgroupMetric;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The usage files, in detection order: v2, then v1.
const FILES: [&str; 2] = ["memory.current", "memory.usage_in_bytes"];

/// The `memory.stat` keys of inactive file pages and of anonymous memory, for v2 and v1 (the v1 `total_`
/// keys include the cgroup's descendants, as v2's do).
const INACTIVE_FILE: [&str; 2] = ["inactive_file", "total_inactive_file"];
const ANON: [&str; 2] = ["anon", "total_rss"];

/// The `cgroup` source.
#[derive(Debug)]
pub struct Cgroup {
    /// The configured cgroup directory.
    dir: PathBuf,
    /// Which figure is read.
    metric: CgroupMetric,
    /// The index in [`FILES`] of the usage file that worked last (0: v2, 1: v1), so v1 hosts do not look
    /// for the v2 file on every read.
    version: Option<usize>,
}

impl Cgroup {
    pub fn new(dir: PathBuf, metric: CgroupMetric) -> Self {
        Self { dir, metric, version: None }
    }

    /// The configured cgroup directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn describe(&self) -> String {
        let metric = self.metric.as_str();
        match self.version {
            Some(v) => format!("cgroup {} ({metric}, {})", self.dir.display(), FILES[v]),
            None => format!("cgroup {} ({metric})", self.dir.display()),
        }
    }

    pub fn read(&mut self) -> Result<Read, Error> {
        let meta = std::fs::metadata(&self.dir).map_err(|e| fail(&self.dir, e.to_string()))?;
        if !meta.is_dir() {
            return Err(fail(&self.dir, "not a directory".into()));
        }
        let identity = Some(Identity::Inode { dev: meta.dev(), ino: meta.ino() });
        let bytes = match (self.metric, self.version) {
            // The usage file is only read for the version, once that is known.
            (CgroupMetric::Anon, known) => {
                let version = match known {
                    Some(version) => version,
                    None => self.usage()?.1,
                };
                self.stat(ANON[version])?
            }
            (CgroupMetric::Usage, _) => self.usage()?.0,
            (CgroupMetric::WorkingSet, _) => {
                let (usage, version) = self.usage()?;
                usage.saturating_sub(self.stat(INACTIVE_FILE[version])?)
            }
        };
        Ok(Read { bytes, identity })
    }

    /// The usage and the index of the file it came from.
    fn usage(&mut self) -> Result<(u64, usize), Error> {
        let order = match self.version {
            Some(known) => [known, 1 - known],
            None => [0, 1],
        };
        for version in order {
            let path = self.dir.join(FILES[version]);
            match read_text_capped(&path, MAX_SMALL_FILE_BYTES) {
                Ok(text) => {
                    let bytes = text.trim().parse::<u64>().map_err(|_| fail(&path, not_a_count(&text)))?;
                    self.version = Some(version);
                    return Ok((bytes, version));
                }
                Err(e) if e.is_missing() => continue,
                Err(e) => return Err(fail(&path, e.detail())),
            }
        }
        Err(fail(
            &self.dir,
            "has neither memory.current (v2) nor memory.usage_in_bytes (v1); the v2 root cgroup has no \
             memory.current: point memory.cgroup_path at the target's own cgroup"
                .into(),
        ))
    }

    /// One counter of `memory.stat` (`key value` lines).
    fn stat(&self, key: &str) -> Result<u64, Error> {
        let path = self.dir.join("memory.stat");
        let text = read_text_capped(&path, MAX_SMALL_FILE_BYTES).map_err(|e| fail(&path, e.detail()))?;
        let value = text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' '));
        let value = value.ok_or_else(|| fail(&path, format!("has no {key} line")))?;
        value.trim().parse().map_err(|_| fail(&path, format!("{key} {}", not_a_count(value))))
    }
}

/// `holds "…", not a byte count`, quoting at most 40 characters of what the file held.
fn not_a_count(text: &str) -> String {
    format!("holds {:?}, not a byte count", text.trim().chars().take(40).collect::<String>())
}

fn fail(path: &Path, detail: String) -> Error {
    Error::Cgroup { path: path.to_owned(), detail }
}
