//! Shared helpers for the core integration tests: running a conversion and checking the
//! FusionAuth Import API's rules (fusionauth.io/docs/apis/users, "Import Users") on its output.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;

use base64::Engine;
use cognito_fusionauth::fields::is_uuid;
use cognito_fusionauth::rules::ENCRYPTION_SCHEMES;
use cognito_fusionauth::{Conversion, Converter, Rules};
use serde_json::Value;

pub const TENANT: &str = "30663132-6464-6665-3032-326466613934";
pub const APP: &str = "85a03867-dccf-4882-adde-1a79aeec50df";

/// A deterministic byte source (tests only; real callers use a CSPRNG).
pub fn counter() -> impl FnMut(&mut [u8]) {
    let mut n = 0u8;
    move |buf: &mut [u8]| {
        for b in buf {
            n = n.wrapping_add(37);
            *b = n;
        }
    }
}

pub fn convert(rules: &Rules, inputs: &[(&str, &[u8])]) -> Conversion {
    let mapper = rules.compile().expect("rules compile");
    let mut converter = Converter::new(&mapper);
    for (name, bytes) in inputs {
        converter.add_file(name, bytes).expect("input reads");
    }
    converter.finish()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn files(conversion: &Conversion) -> Vec<(String, Vec<u8>)> {
    let mut random = counter();
    conversion
        .files(&mut random)
        .map(|f| (f.name, f.content))
        .collect()
}

pub fn import_files(conversion: &Conversion) -> Vec<Value> {
    let mut random = counter();
    conversion
        .files(&mut random)
        .filter(|f| f.name.starts_with("users-"))
        .map(|f| serde_json::from_slice(&f.content).expect("import file is JSON"))
        .collect()
}

const FORBIDDEN: [&str; 5] = [
    "twoFactorEnabled",
    "twoFactorDelivery",
    "twoFactorSecret",
    "identities",
    "legacyIdentifier",
];

/// Asserts the rules of fusionauth.md §4 on every import file of a conversion.
pub fn assert_import_rules(conversion: &Conversion, chunk_size: usize) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    let mut usernames = HashSet::new();
    let mut tenants = HashSet::new();
    for file in import_files(conversion) {
        let users = file["users"].as_array().expect("users array");
        assert!(
            !users.is_empty() && users.len() <= chunk_size,
            "1..=chunk users per file"
        );
        assert_eq!(
            file.as_object().unwrap().len(),
            1,
            "only `users` at the top level"
        );
        for u in users {
            let o = u.as_object().unwrap();
            let who = format!("{u}");
            assert!(
                o.contains_key("email")
                    || o.contains_key("username")
                    || o.contains_key("phoneNumber"),
                "login id: {who}"
            );
            let id = u["id"].as_str().expect("id");
            assert!(is_uuid(id), "id is a lower-case UUID: {who}");
            assert!(ids.insert(id.to_owned()), "unique id {id}");
            if let Some(e) = u["email"].as_str() {
                assert!(emails.insert(e.to_lowercase()), "unique email {e}");
                assert!(e.contains('@') && !e.contains(' '), "plausible email {e}");
            }
            if let Some(n) = u["username"].as_str() {
                assert!(usernames.insert(n.to_lowercase()), "unique username {n}");
            }
            assert!(u["active"].is_boolean(), "active set explicitly: {who}");
            let scheme = u["encryptionScheme"].as_str().expect("encryptionScheme");
            assert!(ENCRYPTION_SCHEMES.contains(&scheme));
            assert!(
                b64.decode(u["salt"].as_str().expect("salt")).is_ok(),
                "salt is base64"
            );
            assert!(
                b64.decode(u["password"].as_str().expect("password"))
                    .is_ok(),
                "password is base64"
            );
            for key in [
                "insertInstant",
                "verifiedInstant",
                "expiry",
                "passwordLastUpdateInstant",
            ] {
                assert!(
                    u.get(key).is_none_or(Value::is_i64),
                    "{key} is integer ms: {who}"
                );
            }
            if let Some(langs) = u.get("preferredLanguages").and_then(Value::as_array) {
                assert!(langs.len() <= 20);
                let set: HashSet<_> = langs.iter().collect();
                assert_eq!(set.len(), langs.len(), "no duplicate languages");
                assert!(
                    langs.iter().all(|l| !l.as_str().unwrap().contains('-')),
                    "locales use _"
                );
            }
            if let Some(regs) = u.get("registrations").and_then(Value::as_array) {
                let apps: HashSet<_> = regs
                    .iter()
                    .map(|r| r["applicationId"].as_str().unwrap())
                    .collect();
                assert_eq!(apps.len(), regs.len(), "one registration per application");
                assert!(apps.iter().all(|a| is_uuid(a)));
            }
            for m in u
                .get("memberships")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                assert!(is_uuid(m["groupId"].as_str().unwrap()));
            }
            for key in FORBIDDEN {
                assert!(u.get(key).is_none(), "{key} must not be emitted");
            }
            assert!(
                u["data"].get("email").is_none(),
                "data.email would become the login email"
            );
            tenants.insert(u.get("tenantId").cloned());
        }
    }
    assert!(tenants.len() <= 1, "one tenant per import");
}

/// Every input user is either imported or excluded.
pub fn assert_nothing_lost(conversion: &Conversion) {
    let s = &conversion.report().summary;
    let imported: usize = import_files(conversion)
        .iter()
        .map(|f| f["users"].as_array().unwrap().len())
        .sum();
    assert_eq!(imported as u64, s.imported);
    assert_eq!(s.excluded, conversion.report().excluded.len() as u64);
    assert_eq!(
        s.users_read,
        s.imported + s.excluded,
        "every user imported or excluded"
    );
}

/// An in-memory spool for the streamed conversion's tests.
#[derive(Default)]
pub struct MemorySpool(pub Vec<Vec<u8>>);

impl cognito_fusionauth::Spool for MemorySpool {
    fn push(&mut self, block: Vec<u8>) {
        self.0.push(block);
    }
    fn truncate(&mut self, keep: u64) {
        self.0.truncate(keep as usize);
    }
}

/// Runs the streamed conversion (every pass, the spool in memory) and puts the pieces
/// together into files, in the order they complete. Inputs that cannot be read are skipped,
/// as the in-memory `convert` would not allow.
pub fn convert_streamed(
    rules: &Rules,
    inputs: &[(&str, &[u8])],
    random: &mut dyn cognito_fusionauth::RandomSource,
) -> (
    cognito_fusionauth::Report,
    Vec<cognito_fusionauth::OutputFile>,
) {
    convert_streamed_in(rules, inputs, random, Feed::Whole)
}

/// How [`convert_streamed_in`] gives the converter its inputs.
#[derive(Debug, Clone, Copy)]
pub enum Feed {
    /// Each file whole.
    Whole,
    /// In slices of this size.
    Slices(usize),
    /// In slices of `slice` bytes whose units are mapped apart ([`map_unit`], as another
    /// worker would) and taken back once `lag` more are in flight.
    ///
    /// [`map_unit`]: cognito_fusionauth::map_unit
    Apart { slice: usize, lag: usize },
}

/// Gives `converter` one file as `feed` says: its summary, or its error.
#[allow(dead_code)] // Each test binary uses its part of common.
pub fn feed_file(
    converter: &mut cognito_fusionauth::StreamConverter,
    mapper: &cognito_fusionauth::Mapper,
    name: &str,
    bytes: &[u8],
    feed: Feed,
    spool: &mut MemorySpool,
) -> Result<cognito_fusionauth::FileSummary, cognito_fusionauth::Error> {
    match feed {
        Feed::Whole => converter.add_file(name, bytes, spool).cloned(),
        Feed::Slices(size) => {
            converter.start_file(name, spool);
            bytes
                .chunks(size)
                .try_for_each(|s| converter.feed(s, spool))?;
            converter.end_file(spool).cloned()
        }
        Feed::Apart { slice, lag } => {
            converter.start_file(name, spool);
            let mut flight = std::collections::VecDeque::new();
            let mut cut = Ok(());
            for s in bytes.chunks(slice) {
                cut = converter.cut(s).map(|units| flight.extend(units));
                if cut.is_err() {
                    break;
                }
                while flight.len() > lag {
                    let unit = flight.pop_front().unwrap();
                    let mapped = cognito_fusionauth::map_unit(mapper, &unit).expect("map");
                    converter.take(&mapped, spool).expect("take");
                }
            }
            if cut.is_ok() {
                if let Ok(units) = converter.cut_end() {
                    flight.extend(units);
                }
            }
            for unit in flight {
                let mapped = cognito_fusionauth::map_unit(mapper, &unit).expect("map");
                converter.take(&mapped, spool).expect("take");
            }
            converter.end_cut(spool).cloned()
        }
    }
}

/// [`convert_streamed`], each input given as `feed` says; in slices, with the spool compressed
/// (so comparing the two also compares the spool's two forms).
pub fn convert_streamed_in(
    rules: &Rules,
    inputs: &[(&str, &[u8])],
    random: &mut dyn cognito_fusionauth::RandomSource,
    feed: Feed,
) -> (
    cognito_fusionauth::Report,
    Vec<cognito_fusionauth::OutputFile>,
) {
    use cognito_fusionauth::{OutputFile, OutputPiece, StreamConverter};
    let mapper = rules.compile().expect("rules compile");
    let mut spool = MemorySpool::default();
    let mut converter = StreamConverter::new(mapper.clone());
    converter.compress_spool(!matches!(feed, Feed::Whole));
    for (name, bytes) in inputs {
        let _ = feed_file(&mut converter, &mapper, name, bytes, feed, &mut spool);
        assert_eq!(converter.blocks(), spool.0.len() as u64, "{name}");
    }
    let mut gathering = converter.finish(&mut spool);
    let wanted = gathering.wanted().to_vec();
    for p in wanted {
        gathering.take(&spool.0[p as usize]).expect("take");
    }
    let resolved = gathering.resolve().expect("resolve");
    let report = resolved.report().clone();
    let mut open: Vec<OutputFile> = Vec::new();
    let mut done: Vec<OutputFile> = Vec::new();
    let mut emit = |piece: OutputPiece| {
        let at = match open.iter().position(|f| f.name == piece.name) {
            Some(i) => i,
            None => {
                assert!(
                    done.iter().all(|f| f.name != piece.name),
                    "{} written again after it was complete",
                    piece.name
                );
                open.push(OutputFile {
                    name: piece.name.clone(),
                    content: Vec::new(),
                });
                open.len() - 1
            }
        };
        open[at].content.extend_from_slice(&piece.bytes);
        if piece.complete {
            done.push(open.remove(at));
        }
    };
    let mut output = resolved.output(|buf: &mut [u8]| random.fill(buf));
    for block in &spool.0 {
        output.block(block, &mut emit).expect("block");
    }
    output.finish(&mut emit).expect("finish");
    assert!(open.is_empty(), "files left incomplete");
    (report, done)
}
