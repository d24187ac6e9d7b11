//! The first pass against the in-memory conversion, mapped in place and by late workers.

use std::cell::Cell;

use cognito_fusionauth::{Code, Converter, DuplicatePolicy, OutputFile, RandomSource, Rules};

use super::*;
use crate::conversion::{write, Converted};
use crate::digest::Digest;
use crate::pool::tests::padded_page;

/// Maps units on this thread, the results handed back late: after `lag` more units are
/// asked for, as workers that take their time would; the unit numbered `fail` fails.
pub(crate) struct Late {
    mapper: Mapper,
    lag: usize,
    fail: Option<usize>,
    asked: Cell<usize>,
}

impl Late {
    pub(crate) fn new(rules: &Rules, lag: usize) -> Self {
        Self {
            mapper: rules.compile().unwrap(),
            lag,
            fail: None,
            asked: Cell::new(0),
        }
    }
}

impl Mappers for Late {
    fn map(&self, unit: Vec<u8>, index: bool) -> LocalBoxFuture<'static, Result<Mapped, String>> {
        let n = self.asked.get();
        self.asked.set(n + 1);
        let mapped = if self.fail == Some(n) {
            Err("the worker stopped".to_owned())
        } else {
            map_here(&self.mapper, &unit, index)
        };
        Box::pin(async move { mapped })
    }

    fn in_flight(&self) -> usize {
        self.lag
    }
}

/// The first pass with `mappers` (futures that are ready at once: nothing waits).
fn first_pass<B: Held>(
    pool: &mut Pool<B>,
    added: Vec<(String, B)>,
    mapper: Mapper,
    mappers: &impl Mappers,
    progress: &mut dyn FnMut(Step),
) -> Result<FirstPass<B>, String> {
    futures::executor::block_on(read(pool, added, mapper, mappers, progress))
}

/// Converts the files of `pool` on this thread.
pub(crate) fn convert_here<B: Held>(
    pool: &mut Pool<B>,
    mapper: Mapper,
    random: impl RandomSource,
    progress: &mut dyn FnMut(Step),
) -> Result<Converted<B>, String> {
    let mappers = InPlace(mapper.clone());
    let pass = first_pass(pool, Vec::new(), mapper, &mappers, progress)?;
    write(pass, random, progress)
}

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
/// rest are loaded by the conversion (as a load does), mapped in place or late (`lag`): the
/// pool, the result, the steps.
fn run(
    rules: &Rules,
    files: &[(&str, Vec<u8>)],
    before: usize,
    lag: Option<usize>,
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
    let pass = match lag {
        None => first_pass(
            &mut pool,
            added,
            mapper.clone(),
            &InPlace(mapper),
            &mut |s| steps.push(s),
        ),
        Some(lag) => first_pass(&mut pool, added, mapper, &Late::new(rules, lag), &mut |s| {
            steps.push(s)
        }),
    };
    let converted = write(pass.unwrap(), counter(), &mut |s| steps.push(s)).unwrap();
    (pool, converted, steps)
}

/// Converts `files` loaded before, loaded by the conversion, and half and half, mapped in
/// place and late: the same files and digest as the in-memory conversion each time, and the
/// same pool.
fn check(rules: &Rules, files: &[(&str, Vec<u8>)]) -> Converted<Vec<u8>> {
    let (reference_files, digest) = reference(rules, files);
    let mut runs = Vec::new();
    let ways = [files.len(), 0, 1]
        .into_iter()
        .flat_map(|b| [(b, None), (b, Some(3))]);
    for (before, lag) in ways {
        let (pool, converted, steps) = run(rules, files, before, lag);
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
    let error = convert_here(
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
    let mappers = Late::new(&Rules::defaults(), 2);
    let pass = first_pass(&mut pool, added, mapper, &mappers, &mut |_| {}).unwrap();
    assert_eq!(reads.get(), 0, "one read");
    let converted = write(pass, counter(), &mut |_| {}).unwrap();
    assert!(pool.users() > 0);
    assert_eq!(converted.digest.summary.users_read, pool.users());
    assert_eq!(pool.search("")[0].file_name, "guide.json");
}

#[test]
fn a_file_that_cannot_be_read_while_loading_is_listed_with_its_error_and_fails_the_conversion() {
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
    let mappers = InPlace(mapper.clone());
    let error = first_pass(&mut pool, added, mapper, &mappers, &mut |_| {}).unwrap_err();
    assert_eq!(error, "gone.json: cannot be read: NotReadableError");
    let files = pool.files();
    assert_eq!(files.len(), 2, "every file is in the pool");
    assert_eq!(files[0].read, Err(error));
    assert!(files[1].users() > 0, "the next is loaded on its own");
}

#[test]
fn a_mapping_worker_that_fails_fails_the_conversion_and_says_so() {
    let mut pool: Pool<Vec<u8>> = Pool::default();
    let big = padded_page(20_000, |i| format!("user{i}@example.com"));
    pool.add("big.json".to_owned(), big, &mut |_| {});
    let rules = Rules::defaults();
    let mut mappers = Late::new(&rules, 2);
    mappers.fail = Some(1);
    let mapper = rules.compile().unwrap();
    let added = vec![("more.json".to_owned(), fixture("guide-list-users.json"))];
    let error = first_pass(&mut pool, added, mapper, &mappers, &mut |_| {}).unwrap_err();
    assert_eq!(
        error,
        "big.json: the conversion's workers failed: the worker stopped"
    );
    // The file chosen with it is loaded all the same.
    let files = pool.files();
    assert_eq!(files.len(), 2);
    assert!(files[1].users() > 0);
    assert!(mappers.asked.get() > 3, "several units");
}
