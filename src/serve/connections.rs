//! The metrics server's connections, with idle ones evicted first. A client that opens connections and
//! sends nothing (or keeps them alive between requests) holds no place a scrape needs: when the server is
//! at [`MAX_CONNECTIONS`], the connection that has been idle longest is closed to make room, so a scrape
//! is accepted at once however many idle connections a flood holds or reopens. Connections in the middle
//! of a request are never evicted.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

/// Connections kept open at once; past this, the longest-idle one is closed for each new one. Each costs a
/// socket and a read buffer of at most `MAX_HEAD_BYTES`.
pub const MAX_CONNECTIONS: usize = 256;

/// A new connection's time to send its request before it counts among the evictable idle ones (while
/// older idle ones remain): a scrape sends its request at once, a flood's idle connections never do.
pub const GRACE: Duration = Duration::from_secs(1);

/// One connection's state, shared between the registry and the connection's task.
#[derive(Debug)]
pub struct Conn {
    /// When it was admitted, or last answered.
    since: Mutex<Instant>,
    /// Set when request bytes arrive, cleared when the response is handed over: a connection with this
    /// set is being served and is never evicted.
    active: AtomicBool,
    /// Cancelled to close the connection (eviction).
    close: CancellationToken,
}

impl Conn {
    /// Completes when the registry evicts this connection.
    pub async fn evicted(&self) {
        self.close.cancelled().await;
    }

    /// The response is handed over: the connection is idle until its next request.
    pub fn answered(&self) {
        self.active.store(false, Ordering::Relaxed);
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn new() -> Self {
        Self { since: Mutex::new(Instant::now()), active: AtomicBool::new(false), close: CancellationToken::new() }
    }

    /// Idle (not in the middle of a request) for at least `grace`.
    fn idle_for(&self, grace: Duration) -> bool {
        !self.active.load(Ordering::Relaxed) && self.since.lock().unwrap_or_else(|e| e.into_inner()).elapsed() >= grace
    }
}

/// The open connections, oldest first.
#[derive(Debug, Default)]
pub struct Registry {
    /// In the order they were admitted (or last answered, see [`Registry::admit`]).
    open: Mutex<VecDeque<Arc<Conn>>>,
}

impl Registry {
    /// Registers a new connection, evicting idle ones while [`MAX_CONNECTIONS`] or more are open: the
    /// oldest idle past its [`GRACE`], else the oldest idle. When every open connection is in the middle of
    /// a request, none is evicted.
    pub fn admit(&self) -> Arc<Conn> {
        let conn = Arc::new(Conn::new());
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|c| !c.close.is_cancelled());
        while open.len() >= MAX_CONNECTIONS {
            let settled = open.iter().position(|c| c.idle_for(GRACE));
            let Some(i) = settled.or_else(|| open.iter().position(|c| c.idle_for(Duration::ZERO))) else { break };
            if let Some(idle) = open.remove(i) {
                idle.close.cancel();
            }
        }
        open.push_back(Arc::clone(&conn));
        conn
    }

    /// Forgets a connection that has closed.
    pub fn remove(&self, conn: &Arc<Conn>) {
        conn.close.cancel();
        self.open.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| !Arc::ptr_eq(c, conn));
    }

    /// Connections open now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|c| !c.close.is_cancelled()).count()
    }
}

/// A stream that marks its connection active when request bytes arrive.
#[derive(Debug)]
pub struct Watched<S> {
    /// The socket.
    inner: S,
    /// Whose activity it marks.
    conn: Arc<Conn>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, conn: Arc<Conn>) -> Self {
        Self { inner, conn }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.active.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_connection_makes_room_and_a_busy_one_never_does() {
        let registry = Registry::default();
        let first = registry.admit();
        first.active.store(true, Ordering::Relaxed);
        let second = registry.admit();
        for _ in 2..MAX_CONNECTIONS {
            registry.admit();
        }
        assert_eq!(registry.len(), MAX_CONNECTIONS);
        registry.admit();
        assert!(!first.close.is_cancelled(), "a connection in the middle of a request stays");
        assert!(second.close.is_cancelled(), "the longest-idle one is evicted");
        assert_eq!(registry.len(), MAX_CONNECTIONS);
    }
}
