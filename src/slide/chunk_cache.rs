//! A bounded cache of decoded TIFF chunks, shared by the readers of one slide.
//!
//! A slide is analysed in windows (a tile's core plus an overlap on every side), so neighbouring
//! windows read the same TIFF tiles or strips: with 512-pixel TIFF tiles, a 2048-pixel core and
//! a 256-pixel overlap, a window spans 6 × 6 chunks for 4 × 4 of new ones. Decoding a compressed
//! chunk costs far more than copying it, so [`super::SlideReader`] keeps the chunks it decoded
//! in a [`ChunkCache`] shared (through an [`Arc`]) with its reopened copies on the other worker
//! threads.
//!
//! The cache holds at most a fixed number of bytes of decoded pixels and evicts the least
//! recently used chunk first. A decoding error is returned to the reader that met it and is
//! never stored, so a corrupt chunk is an error on every read.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::tiles::Rect;

/// The decoded RGB pixels of one chunk.
#[derive(Debug, PartialEq, Eq)]
pub struct DecodedChunk {
    /// The slide rectangle the pixels cover: the chunk's data, which at the right and bottom
    /// edges of the slide may extend beyond it (TIFF tiles are padded to whole tiles).
    pub rect: Rect,
    /// Row-major RGB, 3 bytes a pixel, `rect.width` pixels a row.
    pub rgb: Vec<u8>,
}

impl DecodedChunk {
    fn bytes(&self) -> usize {
        self.rgb.len()
    }
}

/// What a cache did so far (for tests and measurements).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStatistics {
    /// Reads of a chunk that found it decoded.
    pub hits: u64,
    /// Reads of a chunk that decoded it (successfully or not).
    pub decodes: u64,
    /// Chunks held now.
    pub chunks: usize,
    /// Bytes of pixels held now.
    pub bytes: usize,
    /// The most bytes held at any time.
    pub peak_bytes: usize,
}

/// Decoded chunks by chunk index, at most `budget` bytes of pixels, least recently used
/// evicted first. A chunk larger than the whole budget is not kept (a budget of 0 keeps
/// nothing).
#[derive(Debug)]
pub struct ChunkCache {
    budget: usize,
    state: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    /// Chunk index → (chunk, the tick of its last use).
    entries: HashMap<u32, (Arc<DecodedChunk>, u64)>,
    /// Tick of last use → chunk index, oldest first.
    recency: BTreeMap<u64, u32>,
    /// Ticks once per use, so ticks are unique.
    clock: u64,
    statistics: CacheStatistics,
}

impl CacheState {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The chunk `index` if held, marked as just used.
    fn lookup(&mut self, index: u32) -> Option<Arc<DecodedChunk>> {
        let now = self.tick();
        let (chunk, last_use) = self.entries.get_mut(&index)?;
        self.recency.remove(last_use);
        *last_use = now;
        let chunk = Arc::clone(chunk);
        self.recency.insert(now, index);
        Some(chunk)
    }

    /// Stores `chunk` as `index` (replacing a copy another reader stored meanwhile), then
    /// evicts the least recently used chunks until at most `budget` bytes are held.
    fn store(&mut self, index: u32, chunk: Arc<DecodedChunk>, budget: usize) {
        let now = self.tick();
        let added = chunk.bytes();
        if let Some((old, last_use)) = self.entries.insert(index, (chunk, now)) {
            self.recency.remove(&last_use);
            self.statistics.bytes -= old.bytes();
        }
        self.recency.insert(now, index);
        self.statistics.bytes += added;
        while self.statistics.bytes > budget {
            let Some((_, oldest)) = self.recency.pop_first() else {
                break;
            };
            if let Some((old, _)) = self.entries.remove(&oldest) {
                self.statistics.bytes -= old.bytes();
            }
        }
        self.statistics.chunks = self.entries.len();
        self.statistics.peak_bytes = self.statistics.peak_bytes.max(self.statistics.bytes);
    }
}

impl ChunkCache {
    /// An empty cache holding at most `budget` bytes of decoded pixels.
    pub fn new(budget: usize) -> ChunkCache {
        ChunkCache {
            budget,
            state: Mutex::new(CacheState::default()),
        }
    }

    /// The most bytes of pixels the cache holds.
    pub fn budget(&self) -> usize {
        self.budget
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        // Every update of the state completes without panicking; keep using it regardless.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Chunk `index`: the cached one, or the one `decode` returns, which is kept if it fits the
    /// budget. An error of `decode` is returned and not kept, so the next read decodes again.
    ///
    /// The lock is not held while decoding: two readers that miss the same chunk at once both
    /// decode it (the same pixels), and the second copy replaces the first.
    pub fn get_or_decode<E>(
        &self,
        index: u32,
        decode: impl FnOnce() -> Result<DecodedChunk, E>,
    ) -> Result<Arc<DecodedChunk>, E> {
        {
            let mut state = self.lock();
            if let Some(chunk) = state.lookup(index) {
                state.statistics.hits += 1;
                return Ok(chunk);
            }
            state.statistics.decodes += 1;
        }
        let chunk = Arc::new(decode()?);
        if chunk.bytes() <= self.budget {
            self.lock().store(index, Arc::clone(&chunk), self.budget);
        }
        Ok(chunk)
    }

    /// Hits, decodes and bytes held so far.
    pub fn statistics(&self) -> CacheStatistics {
        self.lock().statistics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk of `pixels` grey pixels of value `value` (3 bytes each).
    fn chunk(value: u8, pixels: u32) -> DecodedChunk {
        DecodedChunk {
            rect: Rect::new(0, 0, pixels, 1),
            rgb: vec![value; pixels as usize * 3],
        }
    }

    fn read(cache: &ChunkCache, index: u32) -> u8 {
        let decoded: Result<_, ()> = cache.get_or_decode(index, || Ok(chunk(index as u8, 10)));
        decoded.unwrap().rgb[0]
    }

    #[test]
    fn least_recently_used_chunks_are_evicted_within_the_budget() {
        // 30 bytes a chunk, 100 bytes of budget: three chunks fit.
        let cache = ChunkCache::new(100);
        for index in [1, 2, 3] {
            assert_eq!(read(&cache, index), index as u8);
        }
        // Use 1 again, so 2 is now the least recently used; adding 4 evicts 2.
        read(&cache, 1);
        read(&cache, 4);
        let statistics = cache.statistics();
        assert_eq!((statistics.hits, statistics.decodes), (1, 4));
        assert_eq!((statistics.chunks, statistics.bytes), (3, 90));
        // 1, 3 and 4 are held (hits); 2 is decoded again and evicts 3.
        for index in [1, 4, 2, 3] {
            read(&cache, index);
        }
        let statistics = cache.statistics();
        // Two more hits (1 and 4); two more decodes: 2, then 3 (which 2 evicted, the oldest once
        // 1 and 4 were used).
        assert_eq!((statistics.hits, statistics.decodes), (3, 6));
        assert!(statistics.peak_bytes <= 100, "{statistics:?}");
    }

    #[test]
    fn chunks_larger_than_the_budget_and_errors_are_not_kept() {
        let cache = ChunkCache::new(20);
        for _ in 0..2 {
            assert_eq!(read(&cache, 7), 7);
        }
        assert_eq!(cache.statistics().decodes, 2);
        assert_eq!(cache.statistics().bytes, 0);
        let cache = ChunkCache::new(1000);
        let mut attempts = 0;
        for _ in 0..3 {
            let result = cache.get_or_decode(5, || {
                attempts += 1;
                Err::<DecodedChunk, _>("damaged")
            });
            assert_eq!(result.unwrap_err(), "damaged");
        }
        assert_eq!(attempts, 3);
        assert_eq!(cache.statistics().chunks, 0);
    }
}
