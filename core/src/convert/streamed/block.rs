//! A spool block: a tag byte, then the users framed one after the other, as they are or
//! compressed with LZ4 (for a spool on disk, where fewer bytes cost less than the squeezing).

use super::damaged;
use crate::error::Result;

/// Spooled users are framed in a block by their length, 4 bytes little-endian.
const FRAME: usize = 4;

/// The tag of a block whose users follow as they are.
const PLAIN: u8 = 0;

/// The tag of a block whose users follow compressed: their length (4 bytes little-endian),
/// then an LZ4 block.
const LZ4: u8 = 1;

/// More than LZ4 can expand a block by (255 times, and a little).
const MAX_RATIO: usize = 256;

/// A block being filled: users are appended framed, then it is sealed.
#[derive(Debug)]
pub(super) struct Block(Vec<u8>);

impl Block {
    /// An empty block with room for `size` bytes of users.
    pub(super) fn with_capacity(size: usize) -> Self {
        let mut bytes = Vec::with_capacity(size + 1);
        bytes.push(PLAIN);
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

    /// The plain block [`seal`](Self::seal) made of `bytes` (sent back by another worker),
    /// each user first handed to `fix`.
    ///
    /// # Errors
    /// Not a plain block, a user cut short, or the first error of `fix`.
    pub(super) fn reopen(
        mut bytes: Vec<u8>,
        fix: &mut dyn FnMut(&mut [u8]) -> std::result::Result<(), String>,
    ) -> Result<Self> {
        if bytes.first() != Some(&PLAIN) {
            return Err(damaged("a mapped block is not a plain one".into()));
        }
        let mut at = 1;
        while at < bytes.len() {
            let len = bytes
                .get(at..at + FRAME)
                .map(|f| u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize);
            let record = len.and_then(|len| bytes.get_mut(at + FRAME..at + FRAME + len));
            let record = record.ok_or_else(|| damaged("a mapped block is cut short".into()))?;
            fix(record).map_err(damaged)?;
            at += FRAME + record.len();
        }
        Ok(Self(bytes))
    }

    /// The block's bytes for the spool, compressed when `compress` is set.
    pub(super) fn seal(self, compress: bool) -> Vec<u8> {
        let users = &self.0[1..];
        let (true, Ok(len)) = (compress, u32::try_from(users.len())) else {
            return self.0;
        };
        let mut out = vec![0; 1 + FRAME + lz4_flex::block::get_maximum_output_size(users.len())];
        out[0] = LZ4;
        out[1..=FRAME].copy_from_slice(&len.to_le_bytes());
        match lz4_flex::block::compress_into(users, &mut out[1 + FRAME..]) {
            Ok(n) => {
                out.truncate(1 + FRAME + n);
                out
            }
            // Cannot happen with an output of the maximum size; the plain block is as good.
            Err(_) => self.0,
        }
    }
}

/// The users of a block as the spool gave it back, each as [`PackedUser::to_spool`] wrote
/// it; a compressed block is expanded into `scratch` first.
///
/// # Errors
/// A block the spool damaged: no tag, an unknown tag, or compressed bytes that do not expand
/// to the length they claim; a user cut short comes as the iterator's last item.
///
/// [`PackedUser::to_spool`]: crate::packed_user::PackedUser::to_spool
pub(super) fn records<'b>(
    block: &'b [u8],
    scratch: &'b mut Vec<u8>,
) -> Result<impl Iterator<Item = Result<&'b [u8]>>> {
    open(block, scratch).map(framed)
}

/// The users' bytes of a block, expanded into `scratch` if it is compressed.
fn open<'b>(block: &'b [u8], scratch: &'b mut Vec<u8>) -> Result<&'b [u8]> {
    match block.split_first() {
        Some((&PLAIN, users)) => Ok(users),
        Some((&LZ4, rest)) if rest.len() >= FRAME => {
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
        Some(_) => Err(damaged("a block of an unknown kind".into())),
        None => Err(damaged("an empty block".into())),
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
        let mut b = Block::with_capacity(64);
        for u in users {
            b.push(|out| out.extend_from_slice(u));
        }
        b.seal(compress)
    }

    fn read(block: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut scratch = vec![9; 3];
        let users = records(block, &mut scratch)?
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
    fn a_reopened_block_is_the_block_with_each_user_fixed() {
        let users: &[&[u8]] = &[b"ab", b"", b"cd"];
        let mut upper = |u: &mut [u8]| {
            u.make_ascii_uppercase();
            Ok(())
        };
        let reopened = Block::reopen(block(users, false), &mut upper).unwrap();
        assert_eq!(
            read(&reopened.seal(true)).unwrap(),
            [&b"AB"[..], b"", b"CD"]
        );
        let plain = block(users, false);
        let mut keep = |_: &mut [u8]| Ok(());
        assert!(
            Block::reopen(block(users, true), &mut keep).is_err(),
            "compressed"
        );
        assert!(Block::reopen(plain[..plain.len() - 1].to_vec(), &mut keep).is_err());
        assert!(Block::reopen(Vec::new(), &mut keep).is_err(), "empty");
        let mut refuse = |_: &mut [u8]| Err("no".to_owned());
        assert!(Block::reopen(plain, &mut refuse).is_err());
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_panic() {
        let packed = block(&[&[7; 5000], b"two"], true);
        assert!(read(&[]).is_err(), "empty");
        assert!(read(&[9, 0, 0]).is_err(), "unknown tag");
        assert!(read(&[LZ4, 1]).is_err(), "no length");
        assert!(read(&packed[..packed.len() - 2]).is_err(), "cut short");
        let mut longer = packed.clone();
        longer[1] = longer[1].wrapping_add(1);
        assert!(read(&longer).is_err(), "claims more than it holds");
        let mut huge = packed.clone();
        huge[1..=FRAME].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&huge).is_err(), "claims more than LZ4 can expand to");
        let mut garbled = packed.clone();
        for b in &mut garbled[1 + FRAME..] {
            *b ^= 0x5a;
        }
        assert!(read(&garbled).is_err(), "garbled");
        let plain = block(&[b"one", b"two"], false);
        assert!(read(&plain[..plain.len() - 1]).is_err(), "plain cut short");
    }
}
