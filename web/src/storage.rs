//! Keeping the rules (with their settings) across reloads, in localStorage.
//!
//! Only the rules are stored, never the exports or anything read from them: those hold
//! personal data and stay in the tab's memory.

use cognito_fusionauth::Rules;

/// The localStorage key; the suffix is the rules format version.
pub const STORAGE_KEY: &str = "cognito-fusionauth.rules.v1";

/// The stored rules, or the defaults when there are none or they no longer read.
pub fn load() -> Rules {
    stored()
        .and_then(|text| Rules::from_json(&text).ok())
        .unwrap_or_else(Rules::defaults)
}

/// Stores `rules`; a failure (storage full or disabled) is logged, and the console goes on.
pub fn save(rules: &Rules) {
    let saved = storage().and_then(|s| {
        let text = serde_json::to_string(rules).ok()?;
        s.set_item(STORAGE_KEY, &text).ok()
    });
    if saved.is_none() {
        leptos::logging::warn!("the rules could not be saved in localStorage");
    }
}

fn stored() -> Option<String> {
    storage()?.get_item(STORAGE_KEY).ok().flatten()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
