//! Lowering the CPU priority of the current thread (Linux niceness), for threads that must never compete
//! with the load.

/// Sets the niceness of the calling thread (0 normal … 19 lowest). Best effort: on failure the thread
/// keeps its priority and a debug line says why.
#[allow(unsafe_code)]
pub fn lower_current_thread(niceness: i32) {
    // SAFETY: gettid has no preconditions; setpriority only reads its integer arguments. On Linux,
    // PRIO_PROCESS with a thread id changes that one thread.
    let result = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, niceness)
    };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower the thread's priority");
    }
}
