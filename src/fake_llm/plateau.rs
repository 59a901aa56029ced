//! The fake endpoint's bounded memory on purpose (docs/fake-endpoint.md#plateaus): memory that grows
//! with requests and then stops (`working_set`) or is released at a bound (`cache`), so users and tests
//! can watch leaksoak call bounded growth "not a leak" end to end, next to the leak knobs that never stop;
//! and memory that grows in chunks without end (`staircase`), a leak that reaches memory only in steps.
//!
//! Memory is held in anonymous mappings of `plateau_chunk_bytes` bytes, touched when mapped and unmapped
//! when the cache is emptied, so the resident set follows exactly (the heap allocator would keep freed
//! chunks).

use crate::settings::{FakeLlm, MAX_PLATEAU_LIMIT_BYTES, Plateau};
use memmap2::MmapMut;
use std::sync::Mutex;

/// The bounded memory and the requests' bytes not yet a whole chunk.
#[derive(Debug, Default)]
pub struct PlateauStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Mapped, touched chunks.
    chunks: Vec<MmapMut>,
    /// Bytes owed by requests since the last whole chunk.
    pending: usize,
}

impl PlateauStore {
    /// Adds one request's bytes under `settings`' plateau knobs; maps a chunk when a whole one is owed, and
    /// stops (`working_set`) or empties the store (`cache`) at the limit.
    pub fn request(&self, settings: &FakeLlm) {
        if settings.plateau == Plateau::Off {
            return;
        }
        let chunk_bytes = settings.plateau_chunk_bytes.max(1);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending += settings.plateau_bytes_per_request;
        while state.pending >= chunk_bytes {
            state.pending -= chunk_bytes;
            let full = |limit: usize| (state.chunks.len() + 1) * chunk_bytes > limit;
            let stop = match settings.plateau {
                Plateau::WorkingSet => full(settings.plateau_limit_bytes),
                Plateau::Staircase => full(MAX_PLATEAU_LIMIT_BYTES as usize),
                Plateau::Cache | Plateau::Off => false,
            };
            if stop {
                state.pending = 0;
                return;
            }
            if settings.plateau == Plateau::Cache && full(settings.plateau_limit_bytes) {
                state.chunks.clear();
                continue;
            }
            if let Ok(mut chunk) = MmapMut::map_anon(chunk_bytes) {
                chunk.fill(0x5A);
                state.chunks.push(chunk);
            }
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).chunks.iter().map(|c| c.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: usize = 1 << 20;

    fn settings(plateau: Plateau) -> FakeLlm {
        FakeLlm { plateau, plateau_bytes_per_request: 64 * 1024, plateau_limit_bytes: 4 * CHUNK, ..FakeLlm::default() }
    }

    #[test]
    fn a_working_set_grows_in_chunks_to_its_limit_and_stops() {
        let (store, s) = (PlateauStore::default(), settings(Plateau::WorkingSet));
        let held: Vec<usize> = (0..200).map(|_| store.request(&s)).map(|()| store.bytes() / CHUNK).collect();
        assert_eq!(held[14], 0, "16 requests of 64 KiB make the first chunk");
        assert_eq!(held[15], 1);
        assert_eq!(*held.iter().max().expect("some"), 4, "never past the limit");
        assert_eq!(held[199], 4, "and stays there");
    }

    #[test]
    fn a_cache_fills_to_its_limit_and_is_released() {
        let (store, s) = (PlateauStore::default(), settings(Plateau::Cache));
        let held: Vec<usize> = (0..200).map(|_| store.request(&s)).map(|()| store.bytes() / CHUNK).collect();
        assert_eq!(*held.iter().max().expect("some"), 4);
        let drops = held.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(drops >= 2, "released again and again: {held:?}");
    }

    #[test]
    fn one_request_larger_than_the_limit_stops_at_the_limit() {
        let s = FakeLlm { plateau_bytes_per_request: 64 * CHUNK, ..settings(Plateau::WorkingSet) };
        let store = PlateauStore::default();
        store.request(&s);
        assert_eq!(store.bytes(), 4 * CHUNK);
    }

    #[test]
    fn a_staircase_keeps_a_chunk_every_n_requests_past_any_limit() {
        // 2 MiB chunks at 512 bytes a request: a chunk every 4,096 requests.
        let s = FakeLlm {
            plateau_bytes_per_request: 512,
            plateau_chunk_bytes: 2 * CHUNK,
            plateau_limit_bytes: CHUNK,
            ..settings(Plateau::Staircase)
        };
        let store = PlateauStore::default();
        let held: Vec<usize> = (0..5 * 4096).map(|_| store.request(&s)).map(|()| store.bytes()).collect();
        assert_eq!(held[4094], 0);
        assert_eq!(held[4095], 2 * CHUNK, "the first chunk at request 4,096");
        assert_eq!(held[5 * 4096 - 1], 10 * CHUNK, "five chunks, past plateau_limit_bytes: it never stops");
        assert_eq!(held.windows(2).filter(|w| w[1] != w[0]).count(), 5, "five steps, nothing between");
    }

    #[test]
    fn off_holds_nothing() {
        let store = PlateauStore::default();
        (0..100).for_each(|_| store.request(&settings(Plateau::Off)));
        assert_eq!(store.bytes(), 0);
    }
}
