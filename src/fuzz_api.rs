//! Entry points for the fuzz targets under `fuzz/` (not a stable API): each feeds untrusted bytes to one of
//! leaksoak's parsers the way the daemon does, and must return, never panic.

use crate::failure::ErrorKind;

/// The SSE stream reader, over `data` cut into chunks of `chunk` bytes: the verdict it reaches.
pub fn sse(data: &[u8], chunk: usize) -> Result<(), ErrorKind> {
    crate::load::read_sse_for_fuzzing(data, chunk)
}

/// The Prometheus text-format parser of the `scrape` source: every line parsed.
pub fn exposition(text: &str) -> usize {
    crate::memory::exposition::samples(text).filter(|(_, r)| r.is_ok()).count()
}

/// The PromQL response decoder of the `promql` source.
pub fn promql(body: &[u8]) -> bool {
    crate::memory::decode_promql_for_fuzzing(body)
}

/// The configuration loader, from TOML text through validation: the problems found (0 when valid).
pub fn config(text: &str) -> usize {
    match crate::settings::from_toml_str(text) {
        Ok(_) => 0,
        Err(e) => e.problems.len(),
    }
}

/// The `cgroup` source's reader over a directory whose files hold `data`, split at NUL bytes into
/// `memory.current`, `memory.stat`, `pids.current` and `tasks` (a missing part leaves its file out). The
/// directory is `dir`, emptied first: the files are read through the real reader, bounded.
pub fn cgroup(dir: &std::path::Path, data: &[u8]) -> usize {
    let _ = std::fs::remove_dir_all(dir);
    if std::fs::create_dir_all(dir).is_err() {
        return 0;
    }
    let names = ["memory.current", "memory.stat", "pids.current", "tasks"];
    for (name, part) in names.iter().zip(data.split(|b| *b == 0)) {
        let _ = std::fs::write(dir.join(name), part);
    }
    crate::memory::read_cgroup_for_fuzzing(dir)
}

/// The parsers of the `/proc` files leaksoak reads (`status`, `smaps_rollup`, `/proc/self/stat`,
/// `/proc/stat`) and of a cgroup's `memory.stat`, each over `text`.
pub fn proc(text: &str) -> usize {
    crate::memory::parse_proc_for_fuzzing(text) + crate::metrics::process::parse_for_fuzzing(text)
}

/// The recording reader as `analyze` (every cycle judged again) and as the daemon's resume use it.
pub struct Recording {
    /// The daemon's engine, configured with the scenarios the seeds name (`a`, `b`, `synthetic-trend-only`).
    engine: crate::engine::Engine,
    /// Where the recording is written for resume to read, emptied before each input.
    dir: std::path::PathBuf,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Recording {
    /// An engine on scenarios `a`, `b` and `synthetic-trend-only` (measured by `self-heap`, never run), and
    /// `dir` for the record file.
    pub fn new(dir: std::path::PathBuf) -> Self {
        let scenarios = ["a", "b", "synthetic-trend-only"]
            .map(|n| format!("[[scenario]]\nname = \"{n}\"\nurl = \"http://127.0.0.1:9/v1\"\n"))
            .concat();
        let settings = crate::settings::from_toml_str(&format!("[memory]\nsource = \"self-heap\"\n{scenarios}"))
            .expect("the fuzz configuration is valid");
        let observer = std::sync::Arc::new(crate::engine::Fanout(vec![]));
        let engine = crate::engine::Engine::new(std::sync::Arc::new(settings), None, observer).expect("an engine");
        Self { engine, dir }
    }

    /// Reads `data` as `analyze` does (judging every cycle), then resumes the engine from it as a record
    /// file: the cycles resumed.
    pub fn run(&mut self, data: &[u8]) -> usize {
        let mut replay = crate::app::Replay::new(crate::settings::Analysis::default());
        let _ = crate::recording::read_each(data, |entry| {
            if let crate::recording::Entry::Cycle { scenario, batch_size, cycle } = entry {
                replay.judge(scenario, batch_size, cycle);
            }
        });
        let _ = std::fs::remove_dir_all(&self.dir);
        let file = self.dir.join("record.jsonl");
        if std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::write(&file, data)).is_err() {
            return 0;
        }
        self.engine.forget();
        let observer = crate::engine::Fanout(vec![]);
        crate::app::resume(&mut self.engine, &file, &observer).0.cycles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_readers_read_what_they_are_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cgroup_dir = dir.path().join("cgroup");
        let files = b"4096\0anon 1024\ninactive_file 10\nfile 5\nshmem 0\n\x007\x001\n2\n";
        assert_eq!(cgroup(&cgroup_dir, files), 3 + 1 + 1, "three metrics, tasks and the breakdown");
        assert_eq!(cgroup(&cgroup_dir, b"\xff\0\0"), 0);
        assert_eq!(proc("Threads:\t9\nPss_Anon: 1 kB\nPss_File: 2 kB\nPss_Shmem: 0 kB\nbtime 17\n"), 3);
        let lines = r#"{"scenario": "a", "cycles": [{"batches": [{"memory_bytes": 5, "requests": 1}]}]}"#;
        let mut recording = Recording::new(dir.path().join("record"));
        assert_eq!(recording.run(format!("{lines}\n{lines}\n").as_bytes()), 2);
        assert_eq!(recording.run(b"not a recording\n"), 0, "moved aside, nothing resumed");
        assert_eq!(recording.run(format!("{lines}\n").as_bytes()), 1, "the engine forgot the input before");
    }
}
