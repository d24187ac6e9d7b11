//! The console's conversion: the core's streamed conversion over the pool's files. Its first
//! pass ([`mapping::read`](crate::mapping::read)) reads the files a slice at a time; the rest
//! ([`write`]) checks across users and writes the files. The spool and every output file are
//! held outside WASM memory (as `Blob`s in the worker), so WASM memory holds the compact
//! indexes and a fixed working set whatever the pool's size. The files are byte for byte
//! those of the command line.

use cognito_fusionauth::{Mapper, OutputPiece, RandomSource, StreamConverter};

use crate::digest::Digest;
use crate::held::Held;
use crate::protocol::OutputMeta;
use crate::spool::HeldSpool;

/// How far a conversion is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// This many users of the file being loaded (named) are read, and mapped.
    Loading(String, u64),
    /// This many users are read (and mapped), over the files loaded before.
    Read(u64),
    /// Every user is read; the checks across users run.
    Checking,
    /// This many users of all are written to the files.
    Writing(u64, u64),
}

/// A conversion's result: what the page shows of the report, and the files.
#[derive(Debug)]
pub struct Converted<B> {
    /// The report, trimmed for display.
    pub digest: Digest,
    /// The output files in the command line's order: the import chunks, `login-ids.txt`,
    /// `links.json`, `report.json` (only the report when it blocks the others).
    pub outputs: Vec<(OutputMeta, B)>,
}

/// A conversion whose first pass is done: every user read, mapped and spooled.
#[derive(Debug)]
pub struct FirstPass<B> {
    converter: StreamConverter,
    spool: HeldSpool<B>,
}

impl<B: Held> FirstPass<B> {
    /// A first pass with `mapper`, its index with room for `users`.
    pub(crate) fn start(mapper: Mapper, users: u64) -> Self {
        let mut converter = StreamConverter::new(mapper);
        converter.reserve(users);
        // Blob storage goes through the browser process: a quarter of the bytes is worth the
        // compressing (1M users: about 15 % faster, half the browser's memory).
        converter.compress_spool(true);
        Self {
            converter,
            spool: HeldSpool::default(),
        }
    }

    /// The conversion and its spool.
    pub(crate) fn parts(&mut self) -> (&mut StreamConverter, &mut HeldSpool<B>) {
        (&mut self.converter, &mut self.spool)
    }

    /// Makes room in the index for a file of `size` bytes, as many users a byte as in the
    /// `bytes_read` before (and a little more): growing it by doubling would copy it, and WASM
    /// memory never shrinks back. Whether it could (not before any user is read).
    pub(crate) fn reserve_for(&mut self, size: u64, bytes_read: u64) -> bool {
        let users = self.converter.users_read();
        if bytes_read > 0 && users > 0 {
            let estimate = size.saturating_mul(users) / bytes_read;
            self.converter.reserve(estimate + estimate / 50);
        }
        bytes_read > 0 && users > 0
    }
}

/// The rest of a conversion: the checks across users, then the output files written as
/// `Blob`s (imported users get placeholder passwords from `random`), telling `progress` how
/// far it is.
///
/// # Errors
/// When the browser cannot read the spool back or hold the files.
pub fn write<B: Held>(
    pass: FirstPass<B>,
    random: impl RandomSource,
    progress: &mut dyn FnMut(Step),
) -> Result<Converted<B>, String> {
    let FirstPass {
        converter,
        mut spool,
    } = pass;
    progress(Step::Checking);
    let mut gathering = converter.finish(&mut spool);
    for n in gathering.wanted().to_vec() {
        spool
            .with_block(n, |block| gathering.take(block))?
            .map_err(|e| e.to_string())?;
    }
    let resolved = gathering.resolve().map_err(|e| e.to_string())?;
    let mut digest = Digest::start(resolved.report());
    let total = resolved.report().summary.users_read;
    let mut files = Files::default();
    let mut output = resolved.output_watched(random, |f| digest.add(f));
    for n in 0..spool.blocks() {
        spool
            .with_block(n, |block| output.block(block, &mut |p| files.piece(p)))?
            .map_err(|e| e.to_string())?;
        files.check()?;
        progress(Step::Writing(output.users_written(), total));
    }
    output
        .finish(&mut |p| files.piece(p))
        .map_err(|e| e.to_string())?;
    files.check()?;
    Ok(Converted {
        digest: digest.finish(),
        outputs: files.done,
    })
}

/// The output files: those complete, and the pieces of those being written.
struct Files<B> {
    done: Vec<(OutputMeta, B)>,
    growing: Vec<(String, u64, Vec<B>)>,
    failed: Option<String>,
}

impl<B> Default for Files<B> {
    fn default() -> Self {
        Self {
            done: Vec::new(),
            growing: Vec::new(),
            failed: None,
        }
    }
}

impl<B: Held> Files<B> {
    fn piece(&mut self, piece: OutputPiece) {
        if let Err(e) = self.add(piece) {
            self.failed.get_or_insert(e);
        }
    }

    fn add(&mut self, piece: OutputPiece) -> Result<(), String> {
        let mime = mime_type(&piece.name);
        let i = match self.growing.iter().position(|(n, ..)| *n == piece.name) {
            Some(i) => i,
            None => {
                self.growing.push((piece.name.clone(), 0, Vec::new()));
                self.growing.len() - 1
            }
        };
        let (_, bytes, parts) = &mut self.growing[i];
        *bytes += piece.bytes.len() as u64;
        parts.push(B::keep(&piece.bytes, mime)?);
        if piece.complete {
            let (name, bytes, parts) = self.growing.remove(i);
            let whole = B::join(&parts, mime)?;
            self.done.push((OutputMeta { name, bytes }, whole));
        }
        Ok(())
    }

    fn check(&mut self) -> Result<(), String> {
        match self.failed.take() {
            Some(e) => Err(format!("the browser could not hold an output file: {e}")),
            None => Ok(()),
        }
    }
}

/// The MIME type an output file is downloaded with.
fn mime_type(name: &str) -> &'static str {
    if name.ends_with(".json") {
        "application/json"
    } else {
        "text/plain;charset=utf-8"
    }
}
