//! Files handed from the page to the person: `blob:` URLs and downloads.

use js_sys::Array;
use leptos::prelude::document;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Starts the browser's download of `url` under `name`.
pub fn download(url: &str, name: &str) {
    let anchor = document()
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok());
    if let Some(anchor) = anchor {
        anchor.set_href(url);
        anchor.set_download(name);
        anchor.click();
    }
}

/// Downloads `text` as a file named `name`.
pub fn save_text(name: &str, mime: &str, text: &str) {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&Array::of1(&text.into()), &options);
    if let Some(url) = blob
        .ok()
        .and_then(|b| Url::create_object_url_with_blob(&b).ok())
    {
        download(&url, name);
        // Revoked once the browser has surely fetched it.
        leptos::prelude::set_timeout(
            move || {
                let _ = Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(60),
        );
    }
}
