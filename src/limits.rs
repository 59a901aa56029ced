//! The process's own limits, read from the kernel in one place.

/// The soft limit on open files of this process (`RLIMIT_NOFILE`, `ulimit -n`); `None` when it is unlimited
/// or cannot be read. It can change at run time (`prlimit`), so it is read each time: one system call.
#[allow(unsafe_code)]
pub fn open_files() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given, which lives for the call.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_file_limit_is_read() {
        // Test runners set a finite soft limit (a CI container's is 1024 or more).
        assert!(super::open_files().is_some_and(|n| n >= 64), "{:?}", super::open_files());
    }
}
