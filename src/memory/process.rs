//! `process` (and `self`): a process's resident set, through sysinfo. Each read refreshes only that one
//! process's memory; the whole process table is listed only to resolve `process_name`, once, and again
//! when the process it found is gone.

use super::Error;
use super::read::{Identity, Read};
use crate::files::FileError;
use crate::settings::ProcessSelector;
use std::path::Path;
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// The `process` source, also used for leaksoak's own RSS (`self`).
#[derive(Debug)]
pub struct Process {
    /// How the process is found.
    selector: ProcessSelector,
    /// Holds at most the measured process; opened at the first read (`Sampler::new` does no I/O).
    system: Option<System>,
    /// leaksoak itself, never a match for `process_name`.
    own_pid: u32,
    /// The pid `process_name` resolved to; followed until that process is gone.
    resolved: Option<u32>,
    /// Pid and name at the last successful read, for `describe`.
    last_seen: Option<(u32, String)>,
}

impl Process {
    pub fn new(selector: ProcessSelector) -> Self {
        Self { selector, system: None, own_pid: std::process::id(), resolved: None, last_seen: None }
    }

    /// leaksoak's own process.
    pub fn own() -> Self {
        Self::new(ProcessSelector::Pid(std::process::id()))
    }

    /// "process 1234 (litellm)", plus how it was found when not by pid.
    pub fn describe(&self) -> String {
        match (&self.last_seen, &self.selector) {
            (Some((pid, name)), ProcessSelector::Pid(_)) => format!("process {pid} ({name})"),
            (Some((pid, name)), by) => format!("process {pid} ({name}), by {}", selector_text(by)),
            (None, by) => format!("process by {}", selector_text(by)),
        }
    }

    /// The pid measured by the last successful read.
    pub fn last_pid(&self) -> Option<u32> {
        self.last_seen.as_ref().map(|(pid, _)| *pid)
    }

    pub fn read(&mut self) -> Result<Read, Error> {
        let pid = self.pid()?;
        if let Some(read) = self.measure(pid)? {
            return Ok(read);
        }
        // A process found by name is gone: look the name up again (a restarted target has a new pid).
        if self.resolved.take().is_some() {
            let pid = self.pid()?;
            if let Some(read) = self.measure(pid)? {
                return Ok(read);
            }
        }
        let selected_by = match &self.selector {
            ProcessSelector::Pid(_) => String::new(),
            other => selector_text(other),
        };
        Err(Error::ProcessGone { pid, selected_by })
    }

    /// The pid to measure now: the configured one, the pid file's (read before every sample), or the one
    /// `process_name` resolved to.
    fn pid(&mut self) -> Result<u32, Error> {
        match &self.selector {
            ProcessSelector::Pid(pid) => Ok(*pid),
            ProcessSelector::PidFile(path) => read_pid_file(path),
            ProcessSelector::Name(name) => match self.resolved {
                Some(pid) => Ok(pid),
                None => {
                    let pid = find_by_name(name, self.own_pid)?;
                    self.resolved = Some(pid);
                    Ok(pid)
                }
            },
        }
    }

    /// Refreshes the memory of `pid` alone; `None` when it is not running.
    fn measure(&mut self, pid: u32) -> Result<Option<Read>, Error> {
        let system = match &mut self.system {
            Some(system) => system,
            None => self.system.insert(open_system()?),
        };
        let key = Pid::from_u32(pid);
        let only_memory = ProcessRefreshKind::nothing().with_memory().without_tasks();
        system.refresh_processes_specifics(ProcessesToUpdate::Some(&[key]), true, only_memory);
        let Some(process) = system.process(key) else {
            return Ok(None);
        };
        if matches!(process.status(), ProcessStatus::Zombie | ProcessStatus::Dead) {
            return Ok(None);
        }
        self.last_seen = Some((pid, process.name().to_string_lossy().into_owned()));
        let identity = Identity::Process { pid, start_time: process.start_time() };
        Ok(Some(Read { bytes: process.memory(), identity: Some(identity) }))
    }
}

pub(super) fn open_system() -> Result<System, Error> {
    System::new().map_err(|e| Error::ProcessTable { detail: e.to_string() })
}

/// The most of a pid file read: a pid and a newline take a dozen bytes; a pid file pointing at a large
/// file (or `/dev/zero`) must not be read whole before every sample.
const MAX_PID_FILE_BYTES: u64 = 64;

pub(super) fn read_pid_file(path: &Path) -> Result<u32, Error> {
    let bad = |detail: String| Error::PidFile { path: path.to_owned(), detail };
    let bytes = crate::files::read_capped(path, MAX_PID_FILE_BYTES).map_err(|e| match e {
        FileError::Io { detail, .. } => bad(detail),
        FileError::NotRegular { kind, .. } => bad(format!("is {kind}, not a regular file")),
        FileError::TooLong { .. } | FileError::NotText { .. } => {
            bad(format!("is longer than {MAX_PID_FILE_BYTES} bytes, not a pid file"))
        }
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(bad(format!("holds {:?}, not a pid", text.chars().take(40).collect::<String>()))),
    }
}

/// The one running process, other than leaksoak, whose name is `name` or whose command line contains it.
fn find_by_name(name: &str, own_pid: u32) -> Result<u32, Error> {
    // A throwaway table: the sampler's own keeps only the measured process.
    let mut system = open_system()?;
    let with_cmd = ProcessRefreshKind::nothing().with_cmd(UpdateKind::Always).without_tasks();
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, with_cmd);
    let mut matches: Vec<(u32, String)> = system
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none() && p.pid().as_u32() != own_pid)
        .filter(|p| !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead))
        .filter_map(|p| named(p, name).map(|shown| (p.pid().as_u32(), shown)))
        .collect();
    matches.sort();
    match matches.as_slice() {
        [] => Err(Error::NoProcessNamed { name: name.into() }),
        [(pid, _)] => Ok(*pid),
        _ => Err(Error::AmbiguousProcessName { name: name.into(), matches }),
    }
}

/// The name of `process` when `name` is its name or part of its command line. Only the name is ever shown:
/// a command line may carry secrets (`--api-key=…`), and errors reach logs, `/status` and `/report`.
pub(super) fn named(process: &sysinfo::Process, name: &str) -> Option<String> {
    let own_name = process.name().to_string_lossy();
    let cmd = process.cmd().iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
    (own_name == name || cmd.contains(name)).then(|| own_name.into_owned())
}

/// How a process is selected, for `describe` and errors: "pid file /run/x.pid".
pub fn selector_text(selector: &ProcessSelector) -> String {
    match selector {
        ProcessSelector::Pid(pid) => format!("pid {pid}"),
        ProcessSelector::PidFile(path) => format!("pid file {}", path.display()),
        ProcessSelector::Name(name) => format!("process_name {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_file_is_read_bounded() {
        let err = read_pid_file(Path::new("/dev/zero")).expect_err("a device is no pid file");
        assert!(err.to_string().contains("is a character device, not a regular file"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo.pid");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
        let err = read_pid_file(&fifo).expect_err("a FIFO is refused without waiting for a writer");
        assert!(err.to_string().contains("is a FIFO (named pipe), not a regular file"), "{err}");
        let long = dir.path().join("long.pid");
        std::fs::write(&long, format!("4242{}", " ".repeat(100))).expect("write");
        assert!(read_pid_file(&long).expect_err("too long").to_string().contains("longer than 64 bytes"));
        let file = dir.path().join("target.pid");
        std::fs::write(&file, "4242\n").expect("write");
        assert_eq!(read_pid_file(&file).expect("a pid"), 4242);
    }
}
