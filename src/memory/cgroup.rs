//! `cgroup`: a cgroup's memory usage, v2 `memory.current` or v1 `memory.usage_in_bytes`, detected at the
//! first read. The directory's inode is the identity: a recreated cgroup (a restarted container) has a new
//! one. A drop in usage alone is not a restart.

use super::Error;
use super::source::{Identity, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The usage files, in detection order.
const FILES: [&str; 2] = ["memory.current", "memory.usage_in_bytes"];

/// The `cgroup` source.
#[derive(Debug)]
pub struct Cgroup {
    /// The configured cgroup directory.
    dir: PathBuf,
    /// The usage file that worked last, so v1 hosts do not look for the v2 file on every read.
    file: Option<&'static str>,
}

impl Cgroup {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, file: None }
    }

    pub fn describe(&self) -> String {
        match self.file {
            Some(file) => format!("cgroup {} ({file})", self.dir.display()),
            None => format!("cgroup {}", self.dir.display()),
        }
    }

    pub fn read(&mut self) -> Result<Read, Error> {
        let meta = std::fs::metadata(&self.dir).map_err(|e| fail(&self.dir, e.to_string()))?;
        if !meta.is_dir() {
            return Err(fail(&self.dir, "not a directory".into()));
        }
        let identity = Some(Identity::Inode { dev: meta.dev(), ino: meta.ino() });
        let order = match self.file {
            Some(known) => [known, FILES.into_iter().find(|f| *f != known).unwrap_or(known)],
            None => FILES,
        };
        for file in order {
            let path = self.dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let bytes = text
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| fail(&path, format!("holds {:?}, not a byte count", text.trim())))?;
                    self.file = Some(file);
                    return Ok(Read { bytes, identity });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(fail(&path, e.to_string())),
            }
        }
        Err(fail(
            &self.dir,
            "has neither memory.current (v2) nor memory.usage_in_bytes (v1); the v2 root cgroup has no \
             memory.current: point memory.cgroup_path at the target's own cgroup"
                .into(),
        ))
    }
}

fn fail(path: &Path, detail: String) -> Error {
    Error::Cgroup { path: path.to_owned(), detail }
}
