//! Loading exports: the file input, drag and drop, the sample pool, and what each file held.

use js_sys::Array;
use leptos::prelude::*;
use web_sys::{FileList, HtmlInputElement};

use crate::client;
use crate::protocol::{LoadedFile, Request};
use crate::state::Console;
use crate::text::{count, size};

/// Hands the chosen files to the worker (the page never reads them itself).
fn load(console: Console, files: Option<FileList>) {
    let Some(files) = files else { return };
    let list: Array = (0..files.length()).filter_map(|i| files.get(i)).collect();
    if list.length() > 0 {
        client::load(console, Some(list));
    }
}

/// The "Load" section.
#[component]
pub fn Load() -> impl IntoView {
    let console = expect_context::<Console>();
    let (dragging, set_dragging) = signal(false);
    let on_change = move |ev: leptos::ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        load(console, input.files());
        // The same file can be chosen again after a Clear.
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        load(console, ev.data_transfer().and_then(|d| d.files()));
    };
    view! {
        <section id="load" aria-labelledby="load-title">
            <h2 id="load-title">"Load exports"</h2>
            <div
                class="drop"
                class:dragging=dragging
                on:dragover=move |ev| {
                    ev.prevent_default();
                    set_dragging.set(true);
                }
                on:dragleave=move |_| set_dragging.set(false)
                on:drop=on_drop
            >
                <label for="files">"Cognito export files"</label>
                <input id="files" type="file" multiple on:change=on_change/>
                <p class="hint">
                    "Choose or drop list-users pages, admin-get-user or get-user responses, user arrays, "
                    "JSON Lines or a user-import CSV. Files are read in a background worker."
                </p>
            </div>
            <div class="actions">
                <button on:click=move |_| client::load(console, None)>"Load sample pool"</button>
                <button
                    class="secondary"
                    disabled=move || console.files.with(Vec::is_empty)
                    on:click=move |_| client::send(Request::Clear, Array::new())
                >
                    "Clear"
                </button>
            </div>
            <Show when=move || console.files.with(|f| !f.is_empty())>
                <table class="files" data-testid="files">
                    <thead>
                        <tr><th scope="col">"File"</th><th scope="col">"Size"</th><th scope="col">"Shape"</th>
                            <th scope="col" class="num">"Users"</th><th scope="col">"Status"</th></tr>
                    </thead>
                    <tbody>
                        {move || console.files.get().into_iter().map(file_row).collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

fn file_row(file: LoadedFile) -> impl IntoView {
    let users = file.users();
    let (shape, class, status) = match &file.read {
        Err(e) => (None, "error", e.clone()),
        Ok(s) if s.truncated => (
            Some(s.shape),
            "warning",
            "read; it has a pagination token: load the other pages too".to_owned(),
        ),
        Ok(s) => (Some(s.shape), "ok", "read".to_owned()),
    };
    let shape = shape
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "—".into());
    view! {
        <tr>
            <td>{file.name}</td>
            <td>{size(file.bytes)}</td>
            <td>{shape}</td>
            <td class="num">{count(users)}</td>
            <td class=class>{status}</td>
        </tr>
    }
}
