//! The console's conversion: the core's streamed conversion over the pool's files, a slice
//! at a time. The spool and every output file are held outside WASM memory (as `Blob`s in
//! the worker), so WASM memory holds the compact indexes and a fixed working set whatever the
//! pool's size. The files are byte for byte those of the command line.

use cognito_fusionauth::{Mapper, OutputPiece, RandomSource, StreamConverter};

use crate::digest::Digest;
use crate::held::Held;
use crate::pool::Pool;
use crate::protocol::OutputMeta;
use crate::spool::HeldSpool;

/// How far a conversion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This many users are read (and mapped), over all files.
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

/// Converts every file of `pool` with `mapper`, telling `progress` how far it is; imported
/// users get placeholder passwords from `random`. A file that cannot be read is in the report
/// as an `unreadable-file` error, which blocks the import files.
///
/// # Errors
/// When the browser cannot read a file again or hold the work (the message says which).
pub fn convert<B: Held>(
    pool: &Pool<B>,
    mapper: Mapper,
    random: impl RandomSource,
    progress: &mut dyn FnMut(Step),
) -> Result<Converted<B>, String> {
    let mut spool = HeldSpool::<B>::default();
    let mut converter = StreamConverter::new(mapper);
    converter.reserve(pool.users());
    // Blob storage goes through the browser process: a quarter of the bytes is worth the
    // compressing (1M users: about 15 % faster, half the browser's memory).
    converter.compress_spool(true);
    for input in pool.inputs() {
        let name = &input.loaded.name;
        converter.start_file(name, &mut spool);
        let mut failed = false;
        let read = input.held.slices(&mut |slice| {
            // A read error goes into the report (the file ends there).
            failed = converter.feed(slice, &mut spool).is_err();
            progress(Step::Read(converter.users_read()));
            Ok(!failed && spool.check().is_ok())
        });
        spool.check()?;
        read.map_err(|e| {
            format!(
                "{name}: cannot be read again ({e}); was it changed or moved since it was chosen?"
            )
        })?;
        if !failed {
            // An error (a file cut short) goes into the report too.
            let _ = converter.end_file(&mut spool);
            spool.check()?;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::tests::padded_page;
    use cognito_fusionauth::{Code, Converter, DuplicatePolicy, OutputFile, Rules};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                n = n.wrapping_add(1);
                *b = n;
            }
        }
    }

    /// The in-memory conversion of the same files: the reference.
    fn reference(rules: &Rules, files: &[(&str, Vec<u8>)]) -> (Vec<OutputFile>, Digest) {
        let mapper = rules.compile().unwrap();
        let mut converter = Converter::new(&mapper);
        for (name, bytes) in files {
            let _ = converter.add_file(name, bytes);
        }
        let conversion = converter.finish();
        let mut random = counter();
        let files = conversion.files(&mut random).collect();
        (files, Digest::of(conversion.report()))
    }

    fn check(rules: &Rules, files: &[(&str, Vec<u8>)]) -> Converted<Vec<u8>> {
        let mut pool = Pool::default();
        for (name, bytes) in files {
            pool.add((*name).to_owned(), bytes.clone(), &mut |_| {});
        }
        let mut steps = Vec::new();
        let converted = convert(&pool, rules.compile().unwrap(), counter(), &mut |s| {
            steps.push(s)
        })
        .unwrap();
        let (files, digest) = reference(rules, files);
        let names = |outputs: &[(OutputMeta, Vec<u8>)]| -> Vec<String> {
            outputs.iter().map(|(m, _)| m.name.clone()).collect()
        };
        assert_eq!(
            names(&converted.outputs),
            files.iter().map(|f| f.name.clone()).collect::<Vec<_>>()
        );
        for ((meta, bytes), file) in converted.outputs.iter().zip(&files) {
            assert!(*bytes == file.content, "{} differs", file.name);
            assert_eq!(meta.bytes, file.content.len() as u64);
        }
        assert_eq!(converted.digest, digest);
        assert!(steps.contains(&Step::Checking));
        let users = digest.summary.users_read;
        assert_eq!(steps.last(), Some(&Step::Writing(users, users)));
        converted
    }

    #[test]
    fn the_files_and_digest_are_those_of_the_in_memory_conversion() {
        let files = [
            ("sample-pool.json", fixture("sample-pool.json")),
            ("guide-list-users.json", fixture("guide-list-users.json")),
        ];
        let mut rules = Rules::defaults();
        rules.settings.chunk_size = 7;
        rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
        let converted = check(&rules, &files);
        assert!(converted.outputs.len() > 4);
        assert!(!converted.digest.codes.is_empty());
        // The default policy blocks on the sample's duplicates: the report alone.
        let converted = check(&Rules::defaults(), &files);
        assert_eq!(converted.outputs.len(), 1);
    }

    #[test]
    fn a_pool_larger_than_a_slice_converts_to_the_same_files() {
        // Emails shared across the pool: users read back for the checks, across slices.
        let big = padded_page(40_000, |i| format!("user{}@example.com", i % 39_000));
        assert!(big.len() as u64 > 2 * <Vec<u8> as Held>::SLICE);
        let mut rules = Rules::defaults();
        rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
        rules.settings.chunk_size = 10_000;
        check(&rules, &[("big.json", big)]);
    }

    #[test]
    fn an_unreadable_file_is_in_the_report_and_blocks_the_import_files() {
        let files = [
            ("guide-list-users.json", fixture("guide-list-users.json")),
            ("broken.json", b"{\"Users\": [".to_vec()),
        ];
        let converted = check(&Rules::defaults(), &files);
        assert_eq!(converted.outputs.len(), 1);
        assert!(converted.digest.summary.blocked);
        let code = converted
            .digest
            .codes
            .iter()
            .find(|c| c.code == Code::UnreadableFile)
            .expect("the broken file is reported");
        assert_eq!(code.findings[0].file, "broken.json");
    }

    /// Bytes that can be read a set number of times (a file changed after it was chosen).
    #[derive(Debug, Clone)]
    struct Fading(Vec<u8>, std::rc::Rc<std::cell::Cell<u32>>);

    impl Held for Fading {
        fn size_bytes(&self) -> u64 {
            self.0.len() as u64
        }

        fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
            let left = self.1.get();
            if left == 0 {
                return Err("NotReadableError".into());
            }
            self.1.set(left - 1);
            self.0.read(start, end)
        }

        fn keep(bytes: &[u8], _mime: &str) -> Result<Self, String> {
            Ok(Self(
                bytes.to_vec(),
                std::rc::Rc::new(std::cell::Cell::new(u32::MAX)),
            ))
        }

        fn join(parts: &[Self], _mime: &str) -> Result<Self, String> {
            let bytes: Vec<u8> = parts.iter().flat_map(|p| p.0.clone()).collect();
            Self::keep(&bytes, "")
        }
    }

    #[test]
    fn a_file_that_cannot_be_read_again_fails_the_conversion_and_names_itself() {
        let reads = std::rc::Rc::new(std::cell::Cell::new(1));
        let mut pool = Pool::default();
        let file = Fading(fixture("guide-list-users.json"), reads.clone());
        pool.add("guide.json".into(), file, &mut |_| {});
        assert_eq!(reads.get(), 0, "the load read it once");
        let error = convert(
            &pool,
            Rules::defaults().compile().unwrap(),
            counter(),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            error.starts_with("guide.json: cannot be read again (NotReadableError)"),
            "{error}"
        );
    }
}
