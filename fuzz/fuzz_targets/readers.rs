//! Any bytes through the readers, the bulk conversion (two duplicate policies) and the
//! connector mapping. Errors are fine; a panic is a bug.
#![no_main]

use std::sync::OnceLock;

use cognito_fusionauth::{connector_user, read_export, Converter, DuplicatePolicy, Mapper, Rules};
use libfuzzer_sys::fuzz_target;

fn mappers() -> &'static [Mapper; 2] {
    static MAPPERS: OnceLock<[Mapper; 2]> = OnceLock::new();
    MAPPERS.get_or_init(|| {
        let defaults = Rules::defaults().compile().expect("default rules compile");
        let mut rules = Rules::defaults();
        rules.settings.on_duplicate = DuplicatePolicy::MoveToData;
        let move_to_data = rules.compile().expect("MoveToData rules compile");
        [defaults, move_to_data]
    })
}

fuzz_target!(|data: &[u8]| {
    let mut users = 0u64;
    let _ = read_export("fuzz.json", 0, data, &mut |user, origin| {
        users += 1;
        let _ = (user.username.len(), origin.index);
    });

    for mapper in mappers() {
        let mut converter = Converter::new(mapper);
        let _ = converter.add_file("fuzz.json", data);
        // The same file twice: every user is a duplicate of itself.
        let _ = converter.add_file("again.json", data);
        let conversion = converter.finish();
        let mut random = |buf: &mut [u8]| buf.fill(1);
        let _ = conversion.blocked();
        for file in conversion.files(&mut random) {
            let _ = (file.name.len(), file.content.len());
        }
        for user in conversion.users() {
            let _ = user.is_object();
        }
    }

    let _ = connector_user("fuzz.json", data, &mappers()[0], "2024-01-01T00:00:00.000Z");
});
