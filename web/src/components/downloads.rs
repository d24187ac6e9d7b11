//! Downloading the output: one link per file, and "Download all" as one .zip.

use js_sys::Array;
use leptos::prelude::*;

use crate::client;
use crate::protocol::Request;
use crate::state::{Console, Download};
use crate::text::size;

/// The "Download" section.
#[component]
pub fn Downloads() -> impl IntoView {
    let console = expect_context::<Console>();
    let blocked = move || {
        console
            .digest
            .with(|d| d.as_ref().and_then(|d| d.summary.blocked_reason.clone()))
    };
    let zipping = move || {
        console
            .progress
            .with(|p| p.as_ref().is_some_and(|p| p.stage.contains(".zip")))
    };
    view! {
        <section id="download" aria-labelledby="download-title">
            <h2 id="download-title">"Download"</h2>
            {move || blocked().map(|reason| view! {
                <p class="blocked" role="alert" data-testid="blocked">
                    <strong>"The import files are blocked. "</strong>{reason}
                    " Only report.json can be downloaded until then."
                </p>
            })}
            <Show
                when=move || console.downloads.with(|d| !d.is_empty())
                fallback=|| view! { <p class="hint">"Load exports to get FusionAuth import files."</p> }
            >
                <ul class="downloads" data-testid="downloads">
                    {move || console.downloads.get().into_iter().map(link).collect_view()}
                </ul>
                <div class="actions">
                    <button on:click=move |_| client::send(Request::Zip, Array::new()) disabled=zipping>
                        "Download all"
                    </button>
                    {move || console.zip.get().map(link)}
                </div>
            </Show>
            <p class="hint">
                "Import the users-*.json files with FusionAuth's Import API (POST /api/user/import), "
                "then send each login id in login-ids.txt a forgot-password email, and POST each entry "
                "of links.json to /api/identity-provider/link."
            </p>
        </section>
    }
}

fn link(file: Download) -> impl IntoView {
    view! {
        <li>
            <a href=file.url download=file.name.clone()>{file.name.clone()}</a>
            <span class="size">{size(file.bytes)}</span>
        </li>
    }
}
