//! Any bytes through the readers, the bulk conversion (two duplicate policies) and the
//! connector mapping. Errors are fine; a panic is a bug. The same bytes read in slices give
//! the same users and summary as read whole (or both fail).
#![no_main]

use std::sync::OnceLock;

use cognito_fusionauth::{
    connector_user, read_export, Converter, DuplicatePolicy, Mapper, Rules, SlicedExport,
};
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

/// The users (as text) and summary of `data` read in slices of `size`.
fn sliced(data: &[u8], size: usize) -> Option<(Vec<String>, String)> {
    let mut users = Vec::new();
    let mut file = SlicedExport::new("fuzz.json", 0);
    let mut read = |unit: &cognito_fusionauth::cognito::Unit<'_>| {
        unit.read(&mut |u, o| users.push(format!("{} {u:?}", o.index)))
    };
    for slice in data.chunks(size) {
        file.feed(slice, &mut read).ok()?;
    }
    let summary = file.finish(&mut read).ok()?;
    Some((users, format!("{summary:?}")))
}

fuzz_target!(|data: &[u8]| {
    let mut users = Vec::new();
    let whole = read_export("fuzz.json", 0, data, &mut |user, origin| {
        users.push(format!("{} {user:?}", origin.index));
    });
    if let Ok(summary) = &whole {
        // A file the whole-file reader takes reads the same in slices.
        let size = 1 + data.first().copied().unwrap_or(0) as usize % 64;
        let (sliced_users, sliced_summary) =
            sliced(data, size).expect("read whole, refused in slices");
        assert_eq!(sliced_users, users);
        assert_eq!(sliced_summary, format!("{summary:?}"));
    }

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
