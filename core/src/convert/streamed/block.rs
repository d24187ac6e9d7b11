//! A spool block: a tag byte, the number in its file of the users' first (their own numbers
//! count from it: a block mapped by another worker is numbered from its piece of the file,
//! and placed by writing this base alone), then the users framed one after the other, as they
//! are or compressed with LZ4 (for a spool on disk, where fewer bytes cost less than the
//! squeezing).

use super::damaged;
use crate::error::Result;

/// Spooled users are framed in a block by their length, 4 bytes little-endian.
const FRAME: usize = 4;

/// The tag of a block whose users follow as they are.
const PLAIN: u8 = 0;

/// The tag of a block whose users follow compressed: their length (4 bytes little-endian),
/// then an LZ4 block.
const LZ4: u8 = 1;

/// The tag, then the base (8 bytes little-endian).
const HEAD: usize = 1 + 8;

/// More than LZ4 can expand a block by (255 times, and a little).
const MAX_RATIO: usize = 256;

/// A block being filled: users are appended framed, then it is sealed.
#[derive(Debug)]
pub(super) struct Block(Vec<u8>);

impl Block {
    /// An empty block with room for `size` bytes of users, numbered from `base`.
    pub(super) fn with_capacity(size: usize, base: u64) -> Self {
        let mut bytes = Vec::with_capacity(size + HEAD);
        bytes.push(PLAIN);
        bytes.extend_from_slice(&base.to_le_bytes());
        Self(bytes)
    }

    /// Appends one user, which `write` appends to the vector it is given.
    pub(super) fn push(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.0.len();
        self.0.extend_from_slice(&[0; FRAME]);
        write(&mut self.0);
        let len = u32::try_from(self.0.len() - at - FRAME).unwrap_or(u32::MAX);
        self.0[at..at + FRAME].copy_from_slice(&len.to_le_bytes());
    }

    /// The block's bytes for the spool, compressed when `compress` is set.
    pub(super) fn seal(self, compress: bool) -> Vec<u8> {
        let users = &self.0[HEAD..];
        let (true, Ok(len)) = (compress, u32::try_from(users.len())) else {
            return self.0;
        };
        let start = HEAD + FRAME;
        let mut out = vec![0; start + lz4_flex::block::get_maximum_output_size(users.len())];
        out[..HEAD].copy_from_slice(&self.0[..HEAD]);
        out[0] = LZ4;
        out[HEAD..start].copy_from_slice(&len.to_le_bytes());
        match lz4_flex::block::compress_into(users, &mut out[start..]) {
            Ok(n) => {
                out.truncate(start + n);
                out
            }
            // Cannot happen with an output of the maximum size; the plain block is as good.
            Err(_) => self.0,
        }
    }
}

/// Numbers the users of a sealed block `offset` further on in their file (a block mapped
/// from a piece of the file, numbered from the piece's start).
///
/// # Errors
/// Not a block.
pub(super) fn shift(block: &mut [u8], offset: u64) -> Result<()> {
    match block.first() {
        Some(&(PLAIN | LZ4)) if block.len() >= HEAD => {
            let mut base = [0u8; 8];
            base.copy_from_slice(&block[1..HEAD]);
            let base = u64::from_le_bytes(base).wrapping_add(offset);
            block[1..HEAD].copy_from_slice(&base.to_le_bytes());
            Ok(())
        }
        _ => Err(damaged("not a block".into())),
    }
}

/// The number of a block's first user in its file, and its users as the spool gave it back,
/// each as [`PackedUser::to_spool`] wrote it (numbered from that base); a compressed block is
/// expanded into `scratch` first.
///
/// # Errors
/// A block the spool damaged: no tag, an unknown tag, or compressed bytes that do not expand
/// to the length they claim; a user cut short comes as the iterator's last item.
///
/// [`PackedUser::to_spool`]: crate::packed_user::PackedUser::to_spool
pub(super) fn records<'b>(
    block: &'b [u8],
    scratch: &'b mut Vec<u8>,
) -> Result<(u64, impl Iterator<Item = Result<&'b [u8]>>)> {
    let head = block
        .get(..HEAD)
        .ok_or_else(|| damaged("a block is cut short".into()))?;
    let mut base = [0u8; 8];
    base.copy_from_slice(&head[1..]);
    open(head[0], &block[HEAD..], scratch).map(|users| (u64::from_le_bytes(base), framed(users)))
}

/// The users' bytes of a block tagged `tag`, expanded into `scratch` if it is compressed.
fn open<'b>(tag: u8, rest: &'b [u8], scratch: &'b mut Vec<u8>) -> Result<&'b [u8]> {
    match tag {
        PLAIN => Ok(rest),
        LZ4 if rest.len() >= FRAME => {
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            // LZ4 expands at most about 255 times: a larger claim is damage, not a size to
            // make room for.
            if len > (rest.len() - FRAME).saturating_mul(MAX_RATIO) {
                return Err(damaged(
                    "a compressed block claims more than it can hold".into(),
                ));
            }
            // Every byte is written over (or the block is an error): no need to zero it.
            scratch.resize(len, 0);
            match lz4_flex::block::decompress_into(&rest[FRAME..], scratch) {
                Ok(n) if n == len => Ok(scratch),
                Ok(_) => Err(damaged("a compressed block is cut short".into())),
                Err(e) => Err(damaged(format!("a compressed block is damaged ({e})"))),
            }
        }
        _ => Err(damaged("a block of an unknown kind".into())),
    }
}

/// The users of an opened block, one after the other.
fn framed(users: &[u8]) -> impl Iterator<Item = Result<&[u8]>> {
    let mut rest = users;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let record = rest
            .get(..FRAME)
            .map(|f| u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize)
            .and_then(|len| rest.get(FRAME..FRAME + len));
        Some(match record {
            Some(record) => {
                rest = &rest[FRAME + record.len()..];
                Ok(record)
            }
            None => {
                rest = &[];
                Err(damaged("a block is cut short".into()))
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(users: &[&[u8]], compress: bool) -> Vec<u8> {
        let mut b = Block::with_capacity(64, 5);
        for u in users {
            b.push(|out| out.extend_from_slice(u));
        }
        b.seal(compress)
    }

    fn read(block: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut scratch = vec![9; 3];
        let users = records(block, &mut scratch)?
            .1
            .map(|r| r.map(<[u8]>::to_vec))
            .collect();
        users
    }

    #[test]
    fn plain_and_compressed_blocks_give_back_the_same_users() {
        let users: &[&[u8]] = &[b"", b"one", &[7; 5000], b"{\"x\":1}"];
        let plain = block(users, false);
        let packed = block(users, true);
        assert_eq!(plain[0], PLAIN);
        assert_eq!(packed[0], LZ4);
        assert!(packed.len() < plain.len() / 4, "repetitive users shrink");
        assert_eq!(read(&plain).unwrap(), users);
        assert_eq!(read(&packed).unwrap(), users);
        assert_eq!(read(&block(&[], true)).unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_shifted_block_numbers_its_users_further_on() {
        for compress in [false, true] {
            let mut sealed = block(&[b"ab", b"cd"], compress);
            let mut scratch = Vec::new();
            assert_eq!(records(&sealed, &mut scratch).unwrap().0, 5);
            shift(&mut sealed, 1 << 40).unwrap();
            assert_eq!(records(&sealed, &mut scratch).unwrap().0, (1 << 40) + 5);
            assert_eq!(read(&sealed).unwrap(), [&b"ab"[..], b"cd"]);
        }
        assert!(shift(&mut [PLAIN, 0, 0], 1).is_err(), "cut short");
        assert!(shift(&mut [7; HEAD], 1).is_err(), "unknown tag");
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_panic() {
        let packed = block(&[&[7; 5000], b"two"], true);
        assert!(read(&[]).is_err(), "empty");
        assert!(read(&[9; HEAD + 2]).is_err(), "unknown tag");
        assert!(read(&[PLAIN, 0, 0]).is_err(), "no base");
        assert!(
            read(&[LZ4, 0, 0, 0, 0, 0, 0, 0, 0, 1]).is_err(),
            "no length"
        );
        assert!(read(&packed[..packed.len() - 2]).is_err(), "cut short");
        let mut longer = packed.clone();
        longer[HEAD] = longer[HEAD].wrapping_add(1);
        assert!(read(&longer).is_err(), "claims more than it holds");
        let mut huge = packed.clone();
        huge[HEAD..HEAD + FRAME].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&huge).is_err(), "claims more than LZ4 can expand to");
        let mut garbled = packed.clone();
        for b in &mut garbled[HEAD + FRAME..] {
            *b ^= 0x5a;
        }
        assert!(read(&garbled).is_err(), "garbled");
        let plain = block(&[b"one", b"two"], false);
        assert!(read(&plain[..plain.len() - 1]).is_err(), "plain cut short");
    }
}
