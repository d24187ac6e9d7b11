//! The core's modules follow its data path: each depends only on modules before it in
//! [`ORDER`] — leaf helpers first, then read → Cognito users → rules → validation → FusionAuth
//! files → delivery, then the fronts — so there is no import cycle, and a new module must say
//! where it stands. Unit tests (`#[cfg(test)] mod tests`) may look anywhere.

use std::collections::BTreeMap;
use std::path::Path;

/// Every top-level module of `core/src`, each after everything it uses.
const ORDER: [&str; 18] = [
    // Leaves: no stage of the data path.
    "error",
    "dates",
    "fields",
    "finding",
    "fusionauth",
    "wasm_alloc",
    // The data path.
    "cognito",
    "rules",
    "packed_user",
    "report",
    "validate",
    "output",
    "convert",
    "delivery",
    // The fronts.
    "connector",
    "preview",
    "estimate",
    "wasm",
];

/// The modules `text` names as `crate::module` (or inside `use crate::{…}`), without its tests
/// and comments (a doc link is not a use).
fn uses(text: &str) -> Vec<String> {
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i]);
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(|l| [l, "\n"])
        .collect();
    let text = code.as_str();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: `a, b::{c, d}, e::f`.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

/// Items lib.rs re-exports at the crate root (`pub use rules::{Mapper, Rules}`) → their module.
fn root_items(lib: &str) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.trim_end_matches(';').split_once("::") else {
            continue;
        };
        for name in names.trim_matches(['{', '}']).split(',') {
            items.insert(name.trim().to_owned(), module.to_owned());
        }
    }
    items
}

fn modules() -> BTreeMap<String, Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let root = root_items(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut modules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = top.trim_end_matches(".rs").to_owned();
            if top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let deps = modules.entry(top.clone()).or_default();
            let used = uses(&text)
                .into_iter()
                .map(|d| root.get(&d).cloned().unwrap_or(d));
            deps.extend(used.filter(|d| *d != top));
        }
    }
    modules
}

#[test]
fn every_module_uses_only_modules_before_it() {
    let modules = modules();
    let place = |m: &str| ORDER.iter().position(|o| *o == m);
    for (module, deps) in &modules {
        let at = place(module)
            .unwrap_or_else(|| panic!("core/src/{module} is not in ORDER: say where it stands"));
        for dep in deps {
            // Anything else (a macro, `crate::Result`'s alias) is not a module.
            let Some(dep_at) = place(dep) else {
                assert!(
                    !modules.contains_key(dep),
                    "{dep} is a module missing from ORDER"
                );
                continue;
            };
            assert!(
                dep_at < at,
                "{module} uses {dep}, which comes after it in the data path"
            );
        }
    }
    for module in ORDER {
        assert!(
            modules.contains_key(module),
            "ORDER names {module}, which is gone"
        );
    }
}

#[test]
fn root_re_exports_count_as_their_module() {
    let items =
        root_items("pub use rules::{DuplicatePolicy, Mapper};\npub use convert::Converter;\n");
    assert_eq!(items["Mapper"], "rules");
    assert_eq!(items["Converter"], "convert");
}

#[test]
fn the_scan_reads_grouped_and_nested_uses() {
    let text = "//! See [`crate::y`].\nuse crate::{a, b::{c, d}, e::f};\nfn x() { crate::g::h(); }\n#[cfg(test)]\nmod tests { use crate::z; }";
    assert_eq!(uses(text), ["a", "b", "e", "g"]);
}
