//! The console's spool: the blocks of mapped users a conversion writes in its first pass and
//! reads back in its others, held outside WASM memory (as `Blob`s in the worker), so that a
//! pool of any size converts in bounded memory. Blocks are packed into groups of a few
//! mebibytes, and a group is read back whole, once per pass (the passes read in order): a
//! browser round trip per group instead of one per block. (Keeping groups in WASM memory up
//! to an allowance made a 1M-user conversion 5 % faster for 770 MB more WASM memory.)

use cognito_fusionauth::Spool;

use crate::held::Held;

/// The size of a group, in bytes (a block larger than that is a group of its own).
const GROUP: usize = 8 << 20;

/// Where a block is: its group, and its bytes in the group.
#[derive(Clone, Copy)]
struct Place {
    group: usize,
    start: usize,
    len: usize,
}

/// The spool of one conversion.
pub struct HeldSpool<B> {
    places: Vec<Place>,
    /// The groups sealed.
    groups: Vec<B>,
    /// The group being filled (number `groups.len()`).
    open: Vec<u8>,
    /// The group read back last, by number.
    cache: Option<(usize, Vec<u8>)>,
    /// The first group the browser would not hold.
    failed: Option<String>,
}

impl<B> std::fmt::Debug for HeldSpool<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldSpool")
            .field("blocks", &self.places.len())
            .field("groups", &self.groups.len())
            .finish_non_exhaustive()
    }
}

impl<B> Default for HeldSpool<B> {
    fn default() -> Self {
        Self {
            places: Vec::new(),
            groups: Vec::new(),
            open: Vec::new(),
            cache: None,
            failed: None,
        }
    }
}

impl<B: Held> Spool for HeldSpool<B> {
    fn push(&mut self, block: Vec<u8>) {
        if !self.open.is_empty() && self.open.len() + block.len() > GROUP {
            self.seal();
        }
        self.places.push(Place {
            group: self.groups.len(),
            start: self.open.len(),
            len: block.len(),
        });
        if self.open.is_empty() && block.len() >= GROUP {
            self.open = block;
        } else {
            self.open.extend_from_slice(&block);
        }
    }

    fn truncate(&mut self, keep: u64) {
        self.places.truncate(keep as usize);
        let open = self.groups.len();
        match self.places.last() {
            Some(p) if p.group == open => self.open.truncate(p.start + p.len),
            last => {
                self.open.clear();
                self.groups.truncate(last.map_or(0, |p| p.group + 1));
            }
        }
    }
}

impl<B: Held> HeldSpool<B> {
    /// Blocks in the spool.
    pub fn blocks(&self) -> u64 {
        self.places.len() as u64
    }

    fn seal(&mut self) {
        match B::keep(&self.open, "application/octet-stream") {
            Ok(held) => self.groups.push(held),
            // The spool is broken from here on: `check` and `with_block` say so.
            Err(e) => {
                self.failed.get_or_insert(e);
            }
        }
        self.open.clear();
    }

    /// The browser's refusal to hold a group, as an error.
    ///
    /// # Errors
    /// When the browser would not hold a group.
    pub fn check(&self) -> Result<(), String> {
        match &self.failed {
            Some(e) => Err(format!(
                "the browser could not hold the conversion's work: {e}"
            )),
            None => Ok(()),
        }
    }

    /// Hands block `n` to `use_block`.
    ///
    /// # Errors
    /// When there is no such block, or the browser cannot read its group back.
    pub fn with_block<R>(
        &mut self,
        n: u64,
        use_block: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, String> {
        let place = *self
            .places
            .get(n as usize)
            .ok_or_else(|| format!("block {n} of the conversion's work is missing"))?;
        let range = place.start..place.start + place.len;
        let bytes: &[u8] = match self.groups.get(place.group) {
            None => &self.open,
            Some(held) => {
                if self.cache.as_ref().is_none_or(|(g, _)| *g != place.group) {
                    self.cache = None;
                    let bytes = held.read(0, held.size_bytes()).map_err(|e| {
                        format!(
                            "the browser could not give back the conversion's work ({e}). A \
                             private window keeps it in memory and limits it (to about 2 GB in \
                             Chromium): use a normal window, or the command line"
                        )
                    })?;
                    self.cache = Some((place.group, bytes));
                }
                self.cache.as_ref().map_or(&[][..], |(_, b)| b)
            }
        };
        let block = bytes
            .get(range)
            .ok_or_else(|| format!("block {n} of the conversion's work is cut short"))?;
        Ok(use_block(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: u8, len: usize) -> Vec<u8> {
        vec![n; len]
    }

    fn read(spool: &mut HeldSpool<Vec<u8>>, n: u64) -> Vec<u8> {
        spool.with_block(n, <[u8]>::to_vec).unwrap()
    }

    #[test]
    fn blocks_come_back_from_sealed_groups_and_the_open_one() {
        let mut spool = HeldSpool::<Vec<u8>>::default();
        let sizes = [1000, GROUP / 2, GROUP / 2 + 1, GROUP + 5, 10, 0, 77];
        for (i, &len) in sizes.iter().enumerate() {
            spool.push(block(i as u8, len));
        }
        spool.check().unwrap();
        assert_eq!(spool.blocks(), sizes.len() as u64);
        assert_eq!(spool.groups.len(), 3);
        for (i, &len) in sizes.iter().enumerate() {
            assert_eq!(read(&mut spool, i as u64), block(i as u8, len));
        }
        // In any order.
        assert_eq!(read(&mut spool, 1), block(1, GROUP / 2));
        assert!(spool.with_block(sizes.len() as u64, |_| ()).is_err());
    }

    #[test]
    fn a_truncated_spool_forgets_the_blocks_after_and_takes_new_ones() {
        let mut spool = HeldSpool::<Vec<u8>>::default();
        for i in 0..6u8 {
            spool.push(block(i, GROUP / 3 + 1));
        }
        // Back into a sealed group, then into the open one.
        spool.truncate(2);
        spool.push(block(9, 10));
        spool.truncate(3);
        spool.push(block(8, 20));
        assert_eq!(spool.blocks(), 4);
        assert_eq!(read(&mut spool, 1), block(1, GROUP / 3 + 1));
        assert_eq!(read(&mut spool, 2), block(9, 10));
        assert_eq!(read(&mut spool, 3), block(8, 20));
        spool.truncate(0);
        spool.push(block(7, 3));
        assert_eq!(read(&mut spool, 0), block(7, 3));
        assert_eq!(spool.blocks(), 1);
    }
}
