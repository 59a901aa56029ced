//! One batch: `requests` requests at `concurrency`, outcomes folded into [`BatchStats`].

use super::client::Client;
use super::stats::BatchStats;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::task::JoinSet;

/// Sends `requests` requests with at most `concurrency` in flight and returns what they did.
///
/// Each worker claims requests from a shared counter, sends them over its own connections and folds its
/// outcomes into its own stats, merged at the end: no lock on the hot path, memory independent of the
/// request count. Dropping the future (on shutdown) aborts the requests in flight.
pub async fn run(client: &Arc<Client>, requests: u64, concurrency: usize) -> BatchStats {
    let remaining = Arc::new(AtomicU64::new(requests));
    let workers = concurrency.clamp(1, usize::try_from(requests.max(1)).unwrap_or(usize::MAX));
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let client = Arc::clone(client);
        let remaining = Arc::clone(&remaining);
        set.spawn(async move {
            let mut stats = BatchStats::new();
            let mut worker = client.worker();
            while claim(&remaining) {
                stats.record(&worker.send().await);
            }
            stats
        });
    }
    let mut total = BatchStats::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(stats) => total.merge(&stats),
            Err(e) => tracing::error!(error = %e, "a load worker ended abnormally"),
        }
    }
    total
}

fn claim(remaining: &AtomicU64) -> bool {
    remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
}
