//! Files as the browser holds them: `Blob`s (in the page and the worker), `blob:` URLs and
//! downloads.

use js_sys::{Array, Uint8Array};
use leptos::prelude::document;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, ErrorEvent, Event, FileReaderSync, HtmlAnchorElement, Url};

/// A `Blob` of `content` with the MIME type `mime` (the bytes are copied out of WASM memory).
///
/// # Errors
/// When the browser refuses to make it (out of memory).
pub fn blob(content: &[u8], mime: &str) -> Result<Blob, JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = Array::of1(&Uint8Array::from(content));
    Blob::new_with_u8_array_sequence_and_options(&parts, &options)
}

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
    if let Some(url) = blob(text.as_bytes(), mime)
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

/// The bytes of `blob`, read synchronously (in the worker only: the page has no
/// `FileReaderSync`).
///
/// # Errors
/// When the browser cannot read it.
pub fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(js_message)?;
    let buffer = reader.read_as_array_buffer(blob).map_err(js_message)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The message of a JS error (or whatever was thrown).
pub fn js_message(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// What a worker's `error` event says: an uncaught error's message, or that its script could
/// not be loaded (then the event is a plain `Event`).
pub fn worker_error(event: &Event) -> String {
    event.dyn_ref::<ErrorEvent>().map_or_else(
        || "its script could not be loaded".to_owned(),
        ErrorEvent::message,
    )
}
