//! A stack of open JSON containers, one bit each, for the answer scanner ([`super::json`]): skipping a
//! value of any depth without recursion, and without allocating for the first 64 levels.

/// The containers open inside a skipped value, innermost last: one bit each (set for an object), the
/// first 64 without allocating.
#[derive(Debug, Default)]
pub struct Frames {
    /// How many are open.
    depth: usize,
    /// Bits of the outermost 64.
    low: u64,
    /// Bits of the deeper ones, 64 a word.
    high: Vec<u64>,
}

impl Frames {
    pub fn push(&mut self, object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        let slot = match word {
            0 => &mut self.low,
            _ => {
                if self.high.len() < word {
                    self.high.push(0);
                }
                &mut self.high[word - 1]
            }
        };
        *slot = (*slot & !(1 << bit)) | (u64::from(object) << bit);
        self.depth += 1;
    }

    /// Whether the innermost open container is an object; `None` when none is open.
    pub fn top(&self) -> Option<bool> {
        let d = self.depth.checked_sub(1)?;
        let word = if d < 64 { self.low } else { self.high[d / 64 - 1] };
        Some(word >> (d % 64) & 1 == 1)
    }

    pub fn pop(&mut self) {
        self.depth -= 1;
    }
}
