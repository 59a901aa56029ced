//! The fake endpoint's bounded memory on purpose (docs/fake-endpoint.md#plateaus): memory that grows
//! with requests and then stops (`working_set`) or is released at a bound (`cache`), so users and tests
//! can watch leaksoak call bounded growth "not a leak" end to end, next to the leak knobs that never stop.
//!
//! Memory is held in anonymous mappings of [`CHUNK`] bytes, touched when mapped and unmapped when the
//! cache is emptied, so the resident set follows exactly (the heap allocator would keep freed chunks).

use crate::settings::{FakeLlm, Plateau};
use memmap2::MmapMut;
use std::sync::Mutex;

/// Memory is taken and given back in chunks of this size: 1 MiB, as an allocator arena or a buffer pool
/// grows.
pub const CHUNK: usize = 1 << 20;

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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending += settings.plateau_bytes_per_request;
        while state.pending >= CHUNK {
            state.pending -= CHUNK;
            if settings.plateau == Plateau::WorkingSet
                && (state.chunks.len() + 1) * CHUNK > settings.plateau_limit_bytes
            {
                state.pending = 0;
                return;
            }
            if settings.plateau == Plateau::Cache && (state.chunks.len() + 1) * CHUNK > settings.plateau_limit_bytes {
                state.chunks.clear();
                continue;
            }
            if let Ok(mut chunk) = MmapMut::map_anon(CHUNK) {
                chunk.fill(0x5A);
                state.chunks.push(chunk);
            }
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).chunks.len() * CHUNK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn off_holds_nothing() {
        let store = PlateauStore::default();
        (0..100).for_each(|_| store.request(&settings(Plateau::Off)));
        assert_eq!(store.bytes(), 0);
    }
}
