//! The console: a static page where a migration engineer loads Cognito exports, edits the
//! mapping rules, sees validation and downloads FusionAuth import files.
//!
//! Everything happens in the browser. The page ([`App`]) holds the rules and what the
//! worker reported; the Web Worker ([`worker`]) holds the exports and runs the core on them,
//! so that reading and converting a million users never freezes the page. The preview maps
//! its one user on the page itself, so it follows every rule edit at once.

pub mod browser;
pub mod chart;
pub mod client;
pub mod components;
pub mod conversion;
pub mod delivery;
pub mod digest;
pub mod held;
pub mod mapping;
pub mod mapping_workers;
pub mod pool;
pub mod preview;
pub mod protocol;
pub mod push_view;
pub mod search;
pub mod spool;
pub mod state;
pub mod storage;
pub mod text;
pub mod worker;
pub mod zip;

use leptos::prelude::*;

use components::{
    Downloads, Estimate, Load, Preview, RulesTable, SendToFusionAuth, Settings, StatusBar,
    Validation,
};
use state::Console;

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new(storage::load());
    provide_context(console);
    client::start(console);
    // Whatever component changes the rules, the change is saved and converted: one effect
    // on the rules signal does both (a rules file that does not compile is saved too, so a
    // reload keeps the edit, but only a compiling one is converted).
    Effect::new(move |_| {
        console.rules.with(storage::save);
        if console.rules_error.with(Option::is_none) {
            client::convert(console);
        }
    });
    view! {
        <a class="skip" href="#load">"Skip to the console"</a>
        <header>
            <h1>"Cognito → FusionAuth"</h1>
            <p class="tagline">"Everything stays in this browser tab: nothing leaves your machine but what you send to the FusionAuth you name."</p>
            <nav aria-label="Sections">
                <a href="#load">"Load"</a>
                <a href="#validation">"Validation"</a>
                <a href="#download">"Download"</a>
                <a href="#send">"Send"</a>
                <a href="#preview">"Preview"</a>
                <a href="#settings">"Settings"</a>
                <a href="#rules">"Rules"</a>
                <a href="#estimate">"Estimate"</a>
            </nav>
            <StatusBar/>
        </header>
        <main>
            <Load/>
            <Validation/>
            <Downloads/>
            <SendToFusionAuth/>
            <Preview/>
            <Settings/>
            <RulesTable/>
            <Estimate/>
        </main>
    }
}
