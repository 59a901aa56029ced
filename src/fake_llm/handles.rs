//! The fake endpoint's deliberate leaks that are not bytes (docs/fake-endpoint.md#leaks-that-are-not-bytes):
//! a file descriptor, a socket or a thread kept for every N successful requests, as a proxy does that opens
//! a file per call, creates an HTTP client per call and never closes it, or starts a thread per call and
//! never joins it. They let a user, and leaksoak's own tests, watch the resource series and their gauges
//! rise end to end.
//!
//! What is kept is real: an open `/dev/null`; a TCP connection to a private loopback listener whose far end
//! was accepted and closed, so the kept end is one socket in `CLOSE_WAIT` (the shape of a client that never
//! closes what the server hung up); a parked thread with a small stack. All of it is released when the
//! endpoint stops (the threads wake and end when the store is dropped).

use crate::settings::FakeLlm;
use std::fs::File;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The most file descriptors and sockets kept, together: past it the knobs stop keeping more, so a long
/// run ends as a visible plateau in the series instead of a fake endpoint that cannot accept connections.
/// Half the process's soft `RLIMIT_NOFILE` when that is lower (docs/fake-endpoint.md).
pub const MAX_KEPT_DESCRIPTORS: usize = 10_000;

/// The most threads kept: each is a real kernel task, and a few thousand is a test of the machine.
pub const MAX_KEPT_THREADS: usize = 1_000;

/// Stack of a kept thread: it only waits, so the smallest stack the platform allows is enough.
const THREAD_STACK: usize = 64 * 1024;

/// What is kept, and the successful requests counted towards the next one.
#[derive(Debug, Default)]
pub struct HandleStore {
    /// Successful requests so far: every `leak_*_every`-th one keeps a handle.
    served: AtomicU64,
    /// Everything kept, under one lock: taken only by a request that keeps something.
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// Open `/dev/null`, one per `leak_fds_every` requests.
    files: Vec<File>,
    /// Client ends of connections the far end closed, one per `leak_sockets_every` requests.
    sockets: Vec<TcpStream>,
    /// Where the kept connections go; bound on the first one.
    listener: Option<TcpListener>,
    /// One sender per kept thread, which blocks receiving from it: dropped with the store, every `recv`
    /// fails and the threads end.
    threads: Vec<Sender<()>>,
}

/// How many of each kind the store holds now; exported on the fake endpoint's `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Kept open files.
    pub fds: usize,
    /// Kept sockets.
    pub sockets: usize,
    /// Kept threads.
    pub threads: usize,
}

impl HandleStore {
    /// Counts one successful request and keeps whatever the knobs ask for on it. A handle that cannot be
    /// made (the limit reached, an error from the kernel) is skipped: the endpoint goes on answering.
    pub fn request(&self, settings: &FakeLlm) {
        let (fds, sockets, threads) =
            (settings.leak_fds_every, settings.leak_sockets_every, settings.leak_threads_every);
        if fds == 0 && sockets == 0 && threads == 0 {
            return;
        }
        let n = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        let due = |every: u64| every != 0 && n.is_multiple_of(every);
        if !(due(fds) || due(sockets) || due(threads)) {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let room = descriptor_limit().saturating_sub(kept.files.len() + kept.sockets.len());
        if due(fds)
            && room > 0
            && let Ok(f) = File::open("/dev/null")
        {
            kept.files.push(f);
        }
        if due(sockets) && room > 1 {
            kept.keep_socket();
        }
        if due(threads) && kept.threads.len() < MAX_KEPT_THREADS {
            kept.keep_thread();
        }
    }

    /// What is held now.
    pub fn counts(&self) -> Counts {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        Counts { fds: kept.files.len(), sockets: kept.sockets.len(), threads: kept.threads.len() }
    }
}

impl Kept {
    fn keep_socket(&mut self) {
        if self.listener.is_none() {
            self.listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok();
        }
        let Some(listener) = &self.listener else { return };
        let Ok(addr) = listener.local_addr() else { return };
        let Ok(stream) = TcpStream::connect(addr) else { return };
        // The far end is accepted and closed at once: only the client end stays, as one socket.
        drop(listener.accept());
        self.sockets.push(stream);
    }

    fn keep_thread(&mut self) {
        let (wake, parked): (Sender<()>, Receiver<()>) = channel();
        let spawned =
            std::thread::Builder::new().name("fake-llm-kept".into()).stack_size(THREAD_STACK).spawn(move || {
                // Nothing is ever sent: `recv` returns when the store, and with it `wake`, is dropped.
                let _ = parked.recv();
            });
        if spawned.is_ok() {
            self.threads.push(wake);
        }
    }
}

/// [`MAX_KEPT_DESCRIPTORS`], or half the soft limit on open files when that is lower.
fn descriptor_limit() -> usize {
    let soft = crate::limits::open_files().map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    MAX_KEPT_DESCRIPTORS.min(soft / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(fds: u64, sockets: u64, threads: u64) -> FakeLlm {
        FakeLlm { leak_fds_every: fds, leak_sockets_every: sockets, leak_threads_every: threads, ..FakeLlm::default() }
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map(Iterator::count).unwrap_or(0)
    }

    #[test]
    fn keeps_one_of_each_kind_every_n_requests() {
        let (store, s) = (HandleStore::default(), every(10, 20, 50));
        for _ in 0..100 {
            store.request(&s);
        }
        assert_eq!(store.counts(), Counts { fds: 10, sockets: 5, threads: 2 });
    }

    #[test]
    fn off_keeps_nothing_and_counts_nothing() {
        let store = HandleStore::default();
        for _ in 0..100 {
            store.request(&FakeLlm::default());
        }
        assert_eq!(store.counts(), Counts::default());
        assert_eq!(store.served.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn what_is_kept_is_real_and_released_with_the_store() {
        use std::os::fd::AsRawFd;
        let links = || -> Vec<String> {
            std::fs::read_dir("/proc/self/fd")
                .map(|d| d.flatten().filter_map(|f| std::fs::read_link(f.path()).ok()))
                .map(|l| l.map(|p| p.to_string_lossy().into_owned()).collect())
                .unwrap_or_default()
        };
        let before = open_fds();
        let store = HandleStore::default();
        for _ in 0..4 {
            store.request(&every(1, 1, 0));
        }
        // 4 files, 4 sockets, and the private listener (other tests may open files meanwhile: at least).
        assert!(open_fds() >= before + 9, "{} open, {before} before", open_fds());
        let kept: Vec<String> = {
            let kept = store.kept.lock().expect("lock");
            assert_eq!(
                kept.sockets.iter().filter_map(|s| s.peer_addr().ok()).count(),
                4,
                "connections to the listener"
            );
            let fds = kept.sockets.iter().map(AsRawFd::as_raw_fd).chain(kept.files.iter().map(AsRawFd::as_raw_fd));
            fds.filter_map(|fd| std::fs::read_link(format!("/proc/self/fd/{fd}")).ok())
                .map(|l| l.to_string_lossy().into_owned())
                .filter(|l| l.starts_with("socket:"))
                .collect()
        };
        assert_eq!(kept.len(), 4, "each kept socket is a socket descriptor: {kept:?}");
        drop(store);
        // Socket inodes are unique while open: none of the kept ones is open any more.
        let open = links();
        assert!(kept.iter().all(|k| !open.contains(k)), "still open after the drop: {kept:?}");
    }

    #[test]
    fn kept_threads_are_live_kernel_tasks() {
        let named = || {
            std::fs::read_dir("/proc/self/task")
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|t| {
                            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "fake-llm-kept")
                        })
                        .count()
                })
                .unwrap_or(0)
        };
        let store = HandleStore::default();
        for _ in 0..3 {
            store.request(&every(0, 0, 1));
        }
        assert_eq!(store.counts().threads, 3);
        // Each thread names itself as it starts: give them a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while named() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(named() >= 3, "{} kept threads in /proc/self/task", named());
    }
}
