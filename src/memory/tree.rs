//! `process` with `process_tree = true`: a process and every descendant, the sum of their resident sets.
//!
//! A multi-worker server (gunicorn, uvicorn or LiteLLM with `--workers N`) serves requests in its workers,
//! so a leak grows there, not in the master a pid file names. Each read lists the process table again and
//! walks the tree down from the root, so workers the server recycles are followed. The root is the
//! target's identity: a new root is a restart; workers that end and are replaced are churn, counted and
//! logged, never a restart.

use super::Error;
use super::process::{named, open_system, read_pid_file, selector_text};
use super::read::{Identity, Read};
use crate::settings::ProcessSelector;
use std::collections::{BTreeSet, HashMap};
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// The `process` source over a whole process tree.
#[derive(Debug)]
pub struct Tree {
    /// How the root is found.
    selector: ProcessSelector,
    /// The whole process table, refreshed (memory, parents, command lines) at every read.
    system: Option<System>,
    /// leaksoak itself, never part of what is measured.
    own_pid: u32,
    /// The root `process_name` resolved to; followed until it is gone.
    resolved: Option<u32>,
    /// The root (pid, start time) at the last read: members are only compared within one root.
    root: Option<(u32, u64)>,
    /// The descendants (pid, start time) at the last read: those gone since are churn.
    members: BTreeSet<(u32, u64)>,
    /// Descendants that ended since the last [`Tree::take_churn`].
    churn: u32,
    /// Descendants that ended since leaksoak started, for `describe`.
    churn_total: u64,
    /// Root pid, its name and the number of processes at the last read, for `describe`.
    last_seen: Option<(u32, String, usize)>,
}

impl Tree {
    pub fn new(selector: ProcessSelector) -> Self {
        Self {
            selector,
            system: None,
            own_pid: std::process::id(),
            resolved: None,
            root: None,
            members: BTreeSet::new(),
            churn: 0,
            churn_total: 0,
            last_seen: None,
        }
    }

    /// "process tree of 1234 (uvicorn): 3 processes, 2 replaced since the start, by pid file /run/x.pid".
    pub fn describe(&self) -> String {
        let by = match &self.selector {
            ProcessSelector::Pid(_) => String::new(),
            other => format!(", by {}", selector_text(other)),
        };
        match &self.last_seen {
            Some((pid, name, n)) => {
                format!(
                    "process tree of {pid} ({name}): {n} processes, {} replaced since the start{by}",
                    self.churn_total
                )
            }
            None => format!("process tree{}", by.replacen(',', "", 1)),
        }
    }

    /// The root and its descendants at the last read (empty before the first).
    pub fn pids(&self) -> Vec<u32> {
        self.root.iter().map(|(pid, _)| *pid).chain(self.members.iter().map(|(pid, _)| *pid)).collect()
    }

    /// Descendants that ended since the previous call (worker churn, not a restart).
    pub fn take_churn(&mut self) -> u32 {
        std::mem::take(&mut self.churn)
    }

    pub fn read(&mut self) -> Result<Read, Error> {
        let mut system = match self.system.take() {
            Some(system) => system,
            None => open_system()?,
        };
        let read = self.read_from(&mut system);
        self.system = Some(system);
        read
    }

    fn read_from(&mut self, system: &mut System) -> Result<Read, Error> {
        let with_cmd = ProcessRefreshKind::nothing().with_memory().with_cmd(UpdateKind::OnlyIfNotSet).without_tasks();
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, with_cmd);
        let table = Table::of(system, self.own_pid);
        let root = self.root_pid(system, &table)?;
        let Some(&start_time) = table.start.get(&root) else {
            let selected_by = match &self.selector {
                ProcessSelector::Pid(_) => String::new(),
                other => selector_text(other),
            };
            return Err(Error::ProcessGone { pid: root, selected_by });
        };
        let tree = descendants(root, &table.parent);
        let bytes =
            tree.iter().chain([&root]).filter_map(|pid| system.process(Pid::from_u32(*pid))).map(|p| p.memory()).sum();
        let members: BTreeSet<(u32, u64)> = tree.iter().map(|pid| (*pid, table.start[pid])).collect();
        self.follow(root, start_time, members);
        let name =
            system.process(Pid::from_u32(root)).map(|p| p.name().to_string_lossy().into_owned()).unwrap_or_default();
        self.last_seen = Some((root, name, tree.len() + 1));
        Ok(Read { bytes, identity: Some(Identity::Process { pid: root, start_time }) })
    }

    /// The root to measure now: the configured pid, the pid file's, or the one `process_name` resolved to
    /// (looked up again once that one is gone).
    fn root_pid(&mut self, system: &System, table: &Table) -> Result<u32, Error> {
        match &self.selector {
            ProcessSelector::Pid(pid) => Ok(*pid),
            ProcessSelector::PidFile(path) => read_pid_file(path),
            ProcessSelector::Name(name) => {
                if let Some(pid) = self.resolved.filter(|pid| table.start.contains_key(pid)) {
                    return Ok(pid);
                }
                let pid = find_root(system, table, name)?;
                self.resolved = Some(pid);
                Ok(pid)
            }
        }
    }

    /// Remembers this read's tree; descendants gone since the last read of the same root are churn.
    fn follow(&mut self, root: u32, start_time: u64, members: BTreeSet<(u32, u64)>) {
        if self.root == Some((root, start_time)) {
            let ended = self.members.difference(&members).count();
            let started = members.difference(&self.members).count();
            if ended > 0 {
                self.churn = self.churn.saturating_add(u32::try_from(ended).unwrap_or(u32::MAX));
                self.churn_total += ended as u64;
                tracing::info!(
                    root,
                    ended,
                    started,
                    processes = members.len() + 1,
                    "process tree: workers ended and were replaced (worker churn, not a restart)"
                );
            }
        }
        self.root = Some((root, start_time));
        self.members = members;
    }
}

/// The live processes of one refresh: start times and parents, leaksoak and threads left out.
struct Table {
    start: HashMap<u32, u64>,
    parent: HashMap<u32, u32>,
}

impl Table {
    fn of(system: &System, own_pid: u32) -> Self {
        let live = system.processes().values().filter(|p| {
            p.thread_kind().is_none()
                && p.pid().as_u32() != own_pid
                && !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead)
        });
        let mut table = Self { start: HashMap::new(), parent: HashMap::new() };
        for p in live {
            table.start.insert(p.pid().as_u32(), p.start_time());
            if let Some(parent) = p.parent() {
                table.parent.insert(p.pid().as_u32(), parent.as_u32());
            }
        }
        table
    }
}

/// Every live descendant of `root` (children, their children, …), `root` excepted, in pid order.
pub fn descendants(root: u32, parent: &HashMap<u32, u32>) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, &ppid) in parent {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = vec![];
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            // A cycle cannot happen in a real table; a bad read must still not loop forever.
            if child != root && !out.contains(&child) {
                out.push(child);
                todo.push(child);
            }
        }
    }
    out.sort_unstable();
    out
}

/// The matches of `process_name` that have no matching ancestor: a server's master, not its workers.
pub fn roots(matches: &[u32], parent: &HashMap<u32, u32>) -> Vec<u32> {
    let matched: BTreeSet<u32> = matches.iter().copied().collect();
    matched
        .iter()
        .copied()
        .filter(|&pid| {
            let mut at = pid;
            for _ in 0..parent.len() {
                match parent.get(&at) {
                    Some(&up) if matched.contains(&up) => return false,
                    Some(&up) if up != at => at = up,
                    _ => break,
                }
            }
            true
        })
        .collect()
}

/// The one root among the processes `name` matches; several unrelated trees are ambiguous.
fn find_root(system: &System, table: &Table, name: &str) -> Result<u32, Error> {
    let shown: HashMap<u32, String> = table
        .start
        .keys()
        .filter_map(|pid| system.process(Pid::from_u32(*pid)).and_then(|p| named(p, name)).map(|n| (*pid, n)))
        .collect();
    let matches: Vec<u32> = shown.keys().copied().collect();
    match roots(&matches, &table.parent).as_slice() {
        [] => Err(Error::NoProcessNamed { name: name.into() }),
        [root] => Ok(*root),
        several => Err(Error::AmbiguousProcessName {
            name: name.into(),
            matches: several.iter().map(|pid| (*pid, shown[pid].clone())).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parents(pairs: &[(u32, u32)]) -> HashMap<u32, u32> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn descendants_are_the_whole_subtree() {
        // 1 -> 10 (master) -> 11, 12 (workers) -> 13 (a worker's child); 20 is elsewhere.
        let p = parents(&[(10, 1), (11, 10), (12, 10), (13, 12), (20, 1)]);
        assert_eq!(descendants(10, &p), vec![11, 12, 13]);
        assert_eq!(descendants(13, &p), Vec::<u32>::new());
        assert_eq!(descendants(99, &p), Vec::<u32>::new());
    }

    #[test]
    fn a_cycle_in_a_bad_table_ends() {
        let p = parents(&[(10, 11), (11, 10)]);
        assert_eq!(descendants(10, &p), vec![11]);
        assert_eq!(roots(&[10, 11], &p).len(), 0, "each has a matching ancestor: no root, nothing measured");
    }

    #[test]
    fn the_oldest_matching_ancestor_is_the_root() {
        // master 10 and workers 11, 12 all match; 30 matches too, under an unrelated parent.
        let p = parents(&[(10, 1), (11, 10), (12, 10), (13, 12), (30, 2)]);
        assert_eq!(roots(&[11, 10, 12, 13], &p), vec![10]);
        assert_eq!(roots(&[11, 12], &p), vec![11, 12], "workers whose master does not match are two roots");
        assert_eq!(roots(&[10, 11, 30], &p), vec![10, 30], "two unrelated servers are ambiguous");
    }

    #[test]
    fn ended_workers_are_churn_a_new_root_is_not() {
        let mut tree = Tree::new(ProcessSelector::Pid(10));
        tree.follow(10, 100, [(11, 1), (12, 1)].into());
        assert_eq!(tree.take_churn(), 0, "the first read has nothing to compare with");
        tree.follow(10, 100, [(11, 1), (14, 2)].into());
        assert_eq!(tree.take_churn(), 1, "worker 12 ended, 14 replaced it");
        assert_eq!(tree.take_churn(), 0, "taken once");
        tree.follow(10, 100, [(11, 1), (12, 3), (14, 2)].into());
        assert_eq!(tree.take_churn(), 0, "a reused pid with a new start time is a new worker, none ended");
        tree.follow(20, 200, [(21, 4)].into());
        assert_eq!(tree.take_churn(), 0, "a new root is a restart (the sampler's business), not churn");
        assert_eq!(tree.churn_total, 1);
    }
}
