//! Any text as editable rules: parse, compile, and if they compile, convert the sample pool
//! with them and write every output file. Errors are fine; a panic is a bug.
#![no_main]

use cognito_fusionauth::{Converter, Rules};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/sample-pool.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = Rules::from_json(text) else {
        return;
    };
    let Ok(mapper) = rules.compile() else {
        return;
    };
    let mut converter = Converter::new(&mapper);
    let _ = converter.add_file("sample-pool.json", SAMPLE);
    let conversion = converter.finish();
    let mut random = |buf: &mut [u8]| buf.fill(1);
    let _ = conversion.blocked();
    for file in conversion.files(&mut random) {
        let _ = (file.name.len(), file.content.len());
    }
});
