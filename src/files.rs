//! Every file leaksoak reads, read the same way: opened without waiting (a FIFO's open never blocks),
//! refused unless it is a regular file (a FIFO, a device such as `/dev/zero`, a directory, a socket), and
//! read up to a cap whatever size it claims (a file in `/proc` or a cgroup claims 0 or 4096). A read so
//! bounded ends quickly, so a signal or a reload is never held up behind it. The caps are per kind of
//! file, set by the caller; docs/operating.md lists them all.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The cap for the small pseudo-files of `/proc` and of a cgroup (`memory.current`, `memory.stat`,
/// `pids.current`, `/proc/PID/status`, `smaps_rollup`, `/proc/self/stat`): 64 KiB. The largest of them,
/// a v1 `memory.stat` or `status`, is under 4 KiB.
pub const MAX_SMALL_FILE_BYTES: u64 = 64 * 1024;

/// The cap for the list-like pseudo-files (`/proc/stat`, whose interrupt line grows with the CPUs; a
/// cgroup's `tasks` or `cgroup.threads`, one thread id per line): 4 MiB, half a million threads.
pub const MAX_LIST_FILE_BYTES: u64 = 4 << 20;

/// Why a file was not read. Its text names the file and never holds its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// It could not be opened or read (missing, no permission, an I/O error).
    #[error("cannot read {}: {detail}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        detail: String,
        /// Whether it does not exist, which some callers treat as "not configured here".
        missing: bool,
    },
    /// It is not a regular file: reading a FIFO waits for a writer, a device may never end.
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is: `a FIFO (named pipe)`, `a character device`, `a directory`, ….
        kind: &'static str,
    },
    /// It holds more than the cap allows for its kind.
    #[error("{} is longer than {cap} bytes", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
        /// The cap that was passed.
        cap: u64,
    },
    /// Its bytes are not UTF-8 text.
    #[error("{} is not UTF-8 text", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
}

impl FileError {
    /// What is wrong, without the file's name, for messages that already name it: `is a FIFO (named
    /// pipe), not a regular file`.
    pub fn detail(&self) -> String {
        match self {
            FileError::Io { detail, .. } => detail.clone(),
            FileError::NotRegular { kind, .. } => format!("is {kind}, not a regular file"),
            FileError::TooLong { cap, .. } => format!("is longer than {cap} bytes"),
            FileError::NotText { .. } => "is not UTF-8 text".into(),
        }
    }

    /// Whether the file does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, FileError::Io { missing: true, .. })
    }
}

fn io(path: &Path, e: &std::io::Error) -> FileError {
    let missing = e.kind() == std::io::ErrorKind::NotFound;
    FileError::Io { path: path.to_owned(), detail: e.to_string(), missing }
}

/// Opens `path` for reading without blocking on a FIFO, and checks on the opened file (no race with a
/// rename) that it is a regular file.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| io(path, &e))?;
    let kind = file.metadata().map_err(|e| io(path, &e))?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(FileError::NotRegular { path: path.to_owned(), kind: kind_of(kind) })
}

/// What a file that is not a regular file is, for messages: `a FIFO (named pipe)`, `a directory`, ….
pub fn kind_of(kind: std::fs::FileType) -> &'static str {
    if kind.is_file() {
        "a regular file"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// The bytes of the regular file `path`, at most `cap` of them; a longer file is [`FileError::TooLong`].
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    open_regular(path)?.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io(path, &e))?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLong { path: path.to_owned(), cap });
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, FileError> {
    String::from_utf8(read_capped(path, cap)?).map_err(|_| FileError::NotText { path: path.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A FIFO made with `mkfifo` in a temporary directory, which nothing ever writes into.
    pub(crate) fn fifo(dir: &Path) -> PathBuf {
        let path = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status().expect("run mkfifo");
        assert!(made.success(), "mkfifo failed");
        path
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = fifo(dir.path());
        let started = Instant::now();
        let e = read_capped(&path, 10).expect_err("a FIFO");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert_eq!(e.to_string(), format!("{} is a FIFO (named pipe), not a regular file", path.display()));
    }

    #[test]
    fn devices_and_directories_are_refused() {
        let e = read_capped(Path::new("/dev/zero"), 10).expect_err("a device");
        assert_eq!(e.to_string(), "/dev/zero is a character device, not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_capped(dir.path(), 10).expect_err("a directory");
        assert!(e.to_string().ends_with("is a directory, not a regular file"), "{e}");
        let link = dir.path().join("memory.current");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        assert!(matches!(read_capped(&link, 10), Err(FileError::NotRegular { .. })), "a link is followed");
        assert!(read_capped(&dir.path().join("none"), 10).expect_err("missing").is_missing());
    }

    #[test]
    fn reads_at_most_the_cap_and_proc_files_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, "12345").expect("write");
        assert_eq!(read_capped(&path, 5).expect("fits"), b"12345");
        assert_eq!(read_capped(&path, 4), Err(FileError::TooLong { path: path.clone(), cap: 4 }));
        std::fs::write(&path, [0xff]).expect("write");
        assert!(matches!(read_text_capped(&path, 4), Err(FileError::NotText { .. })));
        let status = read_text_capped(Path::new("/proc/self/status"), MAX_SMALL_FILE_BYTES).expect("status");
        assert!(status.contains("Threads:"), "a file that says it is empty is read whole");
    }
}
