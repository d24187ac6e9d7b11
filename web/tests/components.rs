//! Components mounted into a real page: wasm-bindgen-test in headless Chromium
//! (`make web-test` runs them through `wasm-bindgen-test-runner` and chromedriver).
#![cfg(target_arch = "wasm32")]

use cognito_fusionauth::{Converter, Rules};
use cognito_fusionauth_console::components::{Estimate, Validation};
use cognito_fusionauth_console::digest::Digest;
use cognito_fusionauth_console::state::Console;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Event, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element in the page's body to mount into.
fn container() -> HtmlElement {
    let element = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&element).unwrap();
    element.unchecked_into()
}

fn type_into(root: &HtmlElement, id: &str, value: &str) {
    let input: HtmlInputElement = root
        .query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value(value);
    input.dispatch_event(&Event::new("input").unwrap()).unwrap();
}

/// The sample pool's digest under `policy`.
fn sample_digest(policy: &str) -> Digest {
    let mut rules = Rules::defaults();
    rules.settings.on_duplicate = serde_json::from_value(serde_json::json!(policy)).unwrap();
    let mapper = rules.compile().unwrap();
    let mut converter = Converter::new(&mapper);
    converter
        .add_file(
            "sample-pool.json",
            include_bytes!("../../tests/fixtures/sample-pool.json"),
        )
        .unwrap();
    Digest::of(converter.finish().report())
}

#[wasm_bindgen_test]
async fn the_estimate_follows_its_inputs() {
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), Estimate);
    type_into(&root, "probability", "10");
    type_into(&root, "days", "7");
    leptos::task::tick().await;
    let text = root.text_content().unwrap();
    assert!(
        text.contains("After 7 days: 52.2 % of users migrated."),
        "{text}"
    );
    assert!(text.contains("90 % are reached after 22 days"), "{text}");
    type_into(&root, "probability", "250");
    leptos::task::tick().await;
    let text = root.text_content().unwrap();
    assert!(
        text.contains("probability"),
        "an out-of-range P is explained: {text}"
    );
}

/// The Validation section showing the sample pool under `policy`.
async fn validation(policy: &'static str) -> HtmlElement {
    let root = container();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        let console = Console::new(Rules::defaults());
        console.digest.set(Some(sample_digest(policy)));
        provide_context(console);
        view! { <Validation/> }
    });
    // Kept mounted for the rest of the test page's life.
    mounted.forget();
    leptos::task::tick().await;
    root
}

#[wasm_bindgen_test]
async fn validation_lists_codes_and_side_by_side_duplicates() {
    let root = validation("error").await;
    let first = root
        .query_selector("[data-testid=codes] tbody tr")
        .unwrap()
        .unwrap();
    assert_eq!(
        first.get_attribute("data-code").as_deref(),
        Some("duplicate-email")
    );
    let group = root
        .query_selector("[aria-label='Email test@example.com']")
        .unwrap()
        .unwrap();
    assert_eq!(group.query_selector_all(".card").unwrap().length(), 2);
    assert!(group.text_content().unwrap().contains("blocks the import"));
    assert!(root
        .text_content()
        .unwrap()
        .contains("held back until the errors below are resolved"));
}

#[wasm_bindgen_test]
async fn under_keep_newest_the_first_of_a_group_is_kept() {
    let root = validation("keep-newest").await;
    let group = root
        .query_selector("[aria-label='Email test@example.com']")
        .unwrap()
        .unwrap();
    let fates: Vec<String> = (0..2)
        .map(|i| {
            let cards = group.query_selector_all(".fate").unwrap();
            cards.item(i).unwrap().text_content().unwrap()
        })
        .collect();
    assert_eq!(fates, ["kept", "excluded"]);
    assert!(!root.text_content().unwrap().contains("held back"));
}
