//! The memory limit of what is soaked, for the forecast of a confirmed leak
//! (docs/analysis.md#how-long-until-it-falls-over): the cgroup's `memory.max` (v2) or
//! `memory.limit_in_bytes` (v1), of the configured cgroup or of the cgroup a process runs in. Unlimited,
//! unreadable or absent: no limit. Each file is read to at most [`MAX_LIMIT_FILE_BYTES`].

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The limit files, v2 then v1.
const FILES: [&str; 2] = ["memory.max", "memory.limit_in_bytes"];

/// A limit at or above this is "no limit" (v1 writes 2⁶³ rounded down to a page for unlimited).
pub const UNLIMITED_FROM: u64 = 1 << 60;

/// The most bytes read of a limit file or of `/proc/<pid>/cgroup`: a limit is one number, a process's
/// cgroup list a few lines.
pub const MAX_LIMIT_FILE_BYTES: u64 = 4096;

/// Where the cgroup v2 hierarchy is mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The memory limit of the cgroup directory `dir`, bytes.
pub fn of_cgroup(dir: &Path) -> Option<u64> {
    FILES.iter().find_map(|f| read_small(&dir.join(f))).and_then(|text| parse(&text))
}

/// The memory limit of the (v2) cgroup process `pid` runs in, bytes.
pub fn of_process(pid: u32) -> Option<u64> {
    let list = read_small(Path::new(&format!("/proc/{pid}/cgroup")))?;
    of_cgroup(&unified_dir(&list)?)
}

/// The directory of the unified (v2) hierarchy's line `0::/path` of a `/proc/<pid>/cgroup` list.
fn unified_dir(list: &str) -> Option<PathBuf> {
    let path = list.lines().find_map(|l| l.strip_prefix("0::"))?;
    let relative = path.trim().trim_start_matches('/');
    (!relative.split('/').any(|part| part == "..")).then(|| Path::new(CGROUP_ROOT).join(relative))
}

/// A limit file's number; `max` and values from [`UNLIMITED_FROM`] are no limit.
fn parse(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|v| *v > 0 && *v < UNLIMITED_FROM)
}

fn read_small(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_LIMIT_FILE_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_a_number_and_max_or_huge_is_none() {
        assert_eq!(parse("4294967296\n"), Some(4 << 30));
        assert_eq!(parse("max\n"), None);
        assert_eq!(parse("9223372036854771712\n"), None, "v1 unlimited");
        assert_eq!(parse("0"), None);
    }

    #[test]
    fn the_unified_line_names_the_directory() {
        let list = "12:memory:/legacy\n0::/kubepods/pod1/abc\n";
        assert_eq!(unified_dir(list), Some(PathBuf::from("/sys/fs/cgroup/kubepods/pod1/abc")));
        assert_eq!(unified_dir("0::/../etc\n"), None);
        assert_eq!(unified_dir("3:cpu:/x\n"), None);
    }

    #[test]
    fn a_cgroup_directory_is_read_v2_first_then_v1() {
        let dir = std::env::temp_dir().join(format!("leaksoak-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("memory.limit_in_bytes"), "1073741824\n").expect("v1");
        assert_eq!(of_cgroup(&dir), Some(1 << 30));
        std::fs::write(dir.join("memory.max"), "max\n").expect("v2");
        assert_eq!(of_cgroup(&dir), None, "v2 says unlimited");
        std::fs::write(dir.join("memory.max"), "536870912\n").expect("v2");
        assert_eq!(of_cgroup(&dir), Some(512 << 20));
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
