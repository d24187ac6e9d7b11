//! The console's conversion: the core's streamed conversion over the pool's files, a slice
//! at a time. The spool and every output file are held outside WASM memory (as `Blob`s in
//! the worker), so WASM memory holds the compact indexes and a fixed working set whatever the
//! pool's size. The files are byte for byte those of the command line. Files being loaded
//! are read once, for the pool (their summary and search index) and the conversion together.

use cognito_fusionauth::{
    CognitoUser, FileSummary, Mapper, OutputPiece, RandomSource, StreamConverter, Watch,
};

use crate::digest::Digest;
use crate::held::Held;
use crate::pool::{Input, Pool};
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

/// Converts every file of `pool` with `mapper` (see [`read`] and [`write`]).
///
/// # Errors
/// As [`read`] and [`write`].
pub fn convert<B: Held>(
    pool: &mut Pool<B>,
    mapper: Mapper,
    random: impl RandomSource,
    progress: &mut dyn FnMut(Step),
) -> Result<Converted<B>, String> {
    let pass = read(pool, Vec::new(), mapper, progress)?;
    write(pass, random, progress)
}

/// The first pass of a conversion with `mapper`: reads and maps every file of `pool`, then
/// adds the files of `added` to the pool, reading each once for both (its users indexed for
/// the search as they are converted), telling `progress` how far it is. A file that cannot
/// be parsed is in the report as an `unreadable-file` error, which blocks the import files.
/// Every file of `added` is in the pool afterwards, even when the conversion fails.
///
/// # Errors
/// When the browser cannot read a file (again) or hold the work (the message says which).
pub fn read<B: Held>(
    pool: &mut Pool<B>,
    added: Vec<(String, B)>,
    mapper: Mapper,
    progress: &mut dyn FnMut(Step),
) -> Result<FirstPass<B>, String> {
    let mut pass = FirstPass::start(mapper, pool.users());
    for Input { held, loaded } in pool.inputs() {
        let name = &loaded.name;
        // A file that cannot be parsed is in the report already.
        let _ = pass
            .feed(name, held, &mut |_, _| {}, &mut |users| {
                progress(Step::Read(users));
            })
            .map_err(|stop| stop.message(name, true))?;
    }
    let mut failed = None;
    let mut bytes_read: u64 = pool.inputs().iter().map(|i| i.held.size_bytes()).sum();
    for (name, held) in added {
        // Room in the index for the file's users, as many a byte as in the files read so far
        // (and a little more): growing it by doubling would copy it, and WASM memory never
        // shrinks back.
        let users = pass.converter.users_read();
        if bytes_read > 0 && users > 0 {
            let estimate = held.size_bytes().saturating_mul(users) / bytes_read;
            pass.converter.reserve(estimate + estimate / 50);
        }
        bytes_read += held.size_bytes();
        if failed.is_some() {
            // The conversion has failed: the file is loaded on its own.
            pool.add(name.clone(), held, &mut |n| {
                progress(Step::Loading(name.clone(), n))
            });
            continue;
        }
        let stage = name.clone();
        let mut stopped = None;
        pool.add_read(
            name.clone(),
            held,
            &mut |held, each| {
                // The pool takes every user (it never asks to stop).
                let mut watch = |user: &CognitoUser<'_>, origin| {
                    each(user, origin);
                };
                match pass.feed(&name, held, &mut watch, &mut |_| {}) {
                    Ok(parsed) => parsed.map(Some),
                    Err(stop) => {
                        let message = stop.message(&name, false);
                        stopped = Some(message.clone());
                        Err(message)
                    }
                }
            },
            &mut |n| progress(Step::Loading(stage.clone(), n)),
        );
        failed = stopped;
    }
    failed.map_or(Ok(pass), Err)
}

/// Why a file's reading stopped a conversion.
pub(crate) enum Stop {
    /// The browser could not read the file (its message).
    Unreadable(String),
    /// The browser could not hold the conversion's work (the whole message).
    Full(String),
    /// A mapping worker failed (its message).
    Mapping(String),
}

impl Stop {
    /// What to tell of file `name`, read `again` after it was loaded or while it is.
    pub(crate) fn message(self, name: &str, again: bool) -> String {
        match (self, again) {
            (Self::Unreadable(e), true) => format!(
                "{name}: cannot be read again ({e}); was it changed or moved since it was chosen?"
            ),
            (Self::Unreadable(e), false) => format!("{name}: cannot be read: {e}"),
            (Self::Full(e), true) => e,
            (Self::Full(e), false) => format!("{name}: not read whole: {e}"),
            (Self::Mapping(e), _) => format!("{name}: the conversion's workers failed: {e}"),
        }
    }
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

    /// Reads and maps one file, a slice at a time, showing `watch` each user; `progress` gets
    /// the users read over all files after each slice. A file that cannot be parsed ends in
    /// the report; its summary is handed back when it can.
    fn feed(
        &mut self,
        name: &str,
        held: &B,
        watch: Watch<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Result<FileSummary, String>, Stop> {
        let (converter, spool) = (&mut self.converter, &mut self.spool);
        converter.start_file(name, spool);
        let mut parsed = Ok(());
        let read = held.slices(&mut |slice| {
            // A parse error goes into the report (the file ends there).
            parsed = converter
                .feed_watched(slice, spool, watch)
                .map_err(|e| e.to_string());
            progress(converter.users_read());
            Ok(parsed.is_ok() && spool.check().is_ok())
        });
        spool.check().map_err(Stop::Full)?;
        read.map_err(Stop::Unreadable)?;
        if let Err(e) = parsed {
            return Ok(Err(e));
        }
        // An error (a file cut short) goes into the report too.
        let summary = converter
            .end_file_watched(spool, watch)
            .cloned()
            .map_err(|e| e.to_string());
        spool.check().map_err(Stop::Full)?;
        Ok(summary)
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

#[cfg(test)]
pub(crate) mod tests {
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

    pub(crate) fn counter() -> impl FnMut(&mut [u8]) {
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

    /// Converts `files` in a pool where the first `before` were loaded on their own and the
    /// rest are loaded by the conversion (as a load does): the pool, the result, the steps.
    fn run(
        rules: &Rules,
        files: &[(&str, Vec<u8>)],
        before: usize,
    ) -> (Pool<Vec<u8>>, Converted<Vec<u8>>, Vec<Step>) {
        let mut pool = Pool::default();
        for (name, bytes) in &files[..before] {
            pool.add((*name).to_owned(), bytes.clone(), &mut |_| {});
        }
        let added = files[before..]
            .iter()
            .map(|(name, bytes)| ((*name).to_owned(), bytes.clone()))
            .collect();
        let mut steps = Vec::new();
        let mapper = rules.compile().unwrap();
        let pass = read(&mut pool, added, mapper, &mut |s| steps.push(s)).unwrap();
        let converted = write(pass, counter(), &mut |s| steps.push(s)).unwrap();
        (pool, converted, steps)
    }

    /// Converts `files` loaded before, loaded by the conversion, and half and half: the same
    /// files and digest as the in-memory conversion each time, and the same pool.
    fn check(rules: &Rules, files: &[(&str, Vec<u8>)]) -> Converted<Vec<u8>> {
        let (reference_files, digest) = reference(rules, files);
        let mut runs = Vec::new();
        for before in [files.len(), 0, 1] {
            let (pool, converted, steps) = run(rules, files, before);
            let names: Vec<&str> = converted.outputs.iter().map(|(m, _)| &*m.name).collect();
            let expected: Vec<&str> = reference_files.iter().map(|f| &*f.name).collect();
            assert_eq!(names, expected, "{before} loaded before");
            for ((meta, bytes), file) in converted.outputs.iter().zip(&reference_files) {
                assert!(*bytes == file.content, "{} differs", file.name);
                assert_eq!(meta.bytes, file.content.len() as u64);
            }
            assert_eq!(converted.digest, digest);
            assert!(steps.contains(&Step::Checking));
            let users = digest.summary.users_read;
            assert_eq!(steps.last(), Some(&Step::Writing(users, users)));
            // The files the conversion loads show their users as read (from the first).
            let loading = Step::Loading(files[0].0.to_owned(), 0);
            assert_eq!(before == 0, steps.contains(&loading), "{before}");
            runs.push((pool, converted));
        }
        // However the files were loaded, the pool lists and finds the same.
        for (pool, _) in &runs[1..] {
            assert_eq!(pool.files(), runs[0].0.files());
            assert_eq!(pool.search(""), runs[0].0.search(""));
            assert_eq!(pool.search("example"), runs[0].0.search("example"));
        }
        runs.swap_remove(0).1
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
            &mut pool,
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

    #[test]
    fn a_loaded_file_is_read_once_for_the_pool_and_its_conversion() {
        let reads = std::rc::Rc::new(std::cell::Cell::new(1));
        let mut pool = Pool::default();
        let added = vec![(
            "guide.json".to_owned(),
            Fading(fixture("guide-list-users.json"), reads.clone()),
        )];
        let mapper = Rules::defaults().compile().unwrap();
        let pass = read(&mut pool, added, mapper, &mut |_| {}).unwrap();
        assert_eq!(reads.get(), 0, "one read");
        let converted = write(pass, counter(), &mut |_| {}).unwrap();
        assert!(pool.users() > 0);
        assert_eq!(converted.digest.summary.users_read, pool.users());
        assert_eq!(pool.search("")[0].file_name, "guide.json");
    }

    #[test]
    fn a_file_that_cannot_be_read_while_loading_is_listed_with_its_error_and_fails_the_conversion()
    {
        let reads = |n| std::rc::Rc::new(std::cell::Cell::new(n));
        let mut pool = Pool::default();
        let added = vec![
            (
                "gone.json".to_owned(),
                Fading(fixture("guide-list-users.json"), reads(0)),
            ),
            (
                "guide.json".to_owned(),
                Fading(fixture("guide-list-users.json"), reads(u32::MAX)),
            ),
        ];
        let mapper = Rules::defaults().compile().unwrap();
        let error = read(&mut pool, added, mapper, &mut |_| {}).unwrap_err();
        assert_eq!(error, "gone.json: cannot be read: NotReadableError");
        let files = pool.files();
        assert_eq!(files.len(), 2, "every file is in the pool");
        assert_eq!(files[0].read, Err(error));
        assert!(files[1].users() > 0, "the next is loaded on its own");
    }
}
