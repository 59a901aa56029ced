//! The rotated set of a `run --record FILE` recording (docs/recording.md#rotation): once FILE would pass
//! `record.rotate_bytes`, it is renamed `FILE.000001`, then `FILE.000002`, …: the higher the number, the
//! newer, FILE itself the newest; the oldest beyond `record.keep_rotated` is deleted. Six digits keep `ls`
//! and shell globs in that order for a million rotations; the number goes on past them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The least digits of a rotated file's number: names that logrotate or a person gives (`FILE.1`) are not
/// taken for leaksoak's.
const DIGITS: usize = 6;

/// The rotated files of `path`, oldest first, with their numbers. A missing directory has none.
pub fn rotated(path: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let number = file_name.to_str().and_then(|n| n.strip_prefix(name)?.strip_prefix('.')).and_then(number);
        if let Some(n) = number {
            out.push((n, dir.join(&file_name)));
        }
    }
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

/// `000042` → 42; anything but six or more ASCII digits is not a rotated file's number.
fn number(suffix: &str) -> Option<u64> {
    (suffix.len() >= DIGITS && suffix.bytes().all(|b| b.is_ascii_digit())).then(|| suffix.parse().ok())?
}

/// The recording at `path` as rotation left it: its rotated files, oldest first, then `path` when it
/// exists. What resume reads, and what `leaksoak analyze` is given to judge the whole soak.
pub fn rotated_set(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = rotated(path)?.into_iter().map(|(_, p)| p).collect();
    if path.exists() {
        files.push(path.to_owned());
    }
    Ok(files)
}

/// `FILE.000042`
fn numbered(path: &Path, n: u64) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n:0DIGITS$}"));
    PathBuf::from(name)
}

/// Renames `path` to the next rotated file (one more than the newest), then deletes the oldest rotated
/// files beyond `keep`. Returns the new name. A failed deletion is logged and leaves the file.
pub fn rotate(path: &Path, keep: u64) -> std::io::Result<PathBuf> {
    let older = rotated(path)?;
    let next = older.last().map_or(1, |(n, _)| n + 1);
    let to = numbered(path, next);
    std::fs::rename(path, &to)?;
    let excess = (older.len() + 1).saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
    for (_, old) in older.iter().take(excess) {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::error!(error = %e, path = %old.display(), "cannot delete the oldest rotated record file");
        }
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_or_more_digits_number_a_rotated_file() {
        assert_eq!(number("000001"), Some(1));
        assert_eq!(number("1234567"), Some(1_234_567));
        for other in ["1", "00001", "unreadable-1732770000", "000001.gz", "", "00000a"] {
            assert_eq!(number(other), None, "{other:?}");
        }
    }

    #[test]
    fn rotation_numbers_up_and_deletes_the_oldest_beyond_keep() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("soak.jsonl");
        let aside = dir.path().join("soak.jsonl.unreadable-1732770000");
        std::fs::write(&aside, "kept").expect("write");
        std::fs::write(dir.path().join("soak.jsonl.1"), "not ours").expect("write");
        for i in 1..=5 {
            std::fs::write(&path, format!("{i}\n")).expect("write");
            assert_eq!(rotate(&path, 3).expect("rotate"), numbered(&path, i));
        }
        std::fs::write(&path, "6\n").expect("write");
        let set = rotated_set(&path).expect("set");
        let names: Vec<String> =
            set.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["soak.jsonl.000003", "soak.jsonl.000004", "soak.jsonl.000005", "soak.jsonl"]);
        let texts: Vec<String> = set.iter().map(|p| std::fs::read_to_string(p).expect("read")).collect();
        assert_eq!(texts, ["3\n", "4\n", "5\n", "6\n"], "oldest first, FILE last");
        assert!(aside.exists() && dir.path().join("soak.jsonl.1").exists(), "files not ours are left alone");
    }

    #[test]
    fn a_recording_never_rotated_is_its_file_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("soak.jsonl");
        assert!(rotated_set(&path).expect("set").is_empty());
        std::fs::write(&path, "").expect("write");
        assert_eq!(rotated_set(&path).expect("set"), vec![path.clone()]);
        assert!(rotated_set(&dir.path().join("missing/soak.jsonl")).expect("no directory").is_empty());
    }
}
