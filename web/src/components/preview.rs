//! The preview: find a user, see the Cognito record beside the FusionAuth user it becomes.

use js_sys::Array;
use leptos::prelude::*;

use crate::client;
use crate::preview::show;
use crate::protocol::{Request, UserHit};
use crate::state::Console;

/// The "Preview" section.
#[component]
pub fn Preview() -> impl IntoView {
    let console = expect_context::<Console>();
    // Mapped on the page, not in the worker: one user takes microseconds, and the preview
    // follows rule edits even while the worker converts a large pool.
    let shown = Memo::new(move |_| {
        console.record.with(|r| {
            r.as_ref()
                .map(|(_, json)| console.rules.with(|rules| show(rules, json)))
        })
    });
    let selected = move || {
        console
            .record
            .with(|r| r.as_ref().map(|(hit, _)| (hit.file, hit.index)))
    };
    view! {
        <section id="preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview"</h2>
            <div class="search">
                <label for="search">"Find a user by email or username"</label>
                <input
                    id="search"
                    type="search"
                    prop:value=move || console.query.get()
                    on:input=move |ev| {
                        console.query.set(event_target_value(&ev));
                        client::search(console);
                    }
                />
            </div>
            <ul class="hits" data-testid="hits" aria-label="Users found">
                {move || console.hits.get().into_iter().map(|hit| {
                    let current = selected() == Some((hit.file, hit.index));
                    view! { <li><HitButton hit current/></li> }
                }).collect_view()}
            </ul>
            {move || match shown.get() {
                None => view! { <p class="hint">"Load exports and pick a user to preview."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="failure" role="alert">{e}</p> }.into_any(),
                Some(Ok(s)) => view! {
                    <div class="panes">
                        <figure>
                            <figcaption>"Cognito record"</figcaption>
                            <pre data-testid="cognito-record" tabindex="0">{s.cognito}</pre>
                        </figure>
                        <figure>
                            <figcaption>"FusionAuth user"</figcaption>
                            <pre data-testid="fusionauth-user" tabindex="0">{s.fusionauth}</pre>
                        </figure>
                    </div>
                    {(!s.findings.is_empty()).then(|| view! {
                        <ul class="findings" aria-label="Findings for this user">
                            {s.findings.into_iter().map(|f| view! {
                                <li><code>{f.code.as_str()}</code>" "<code>{f.field}</code>": "{f.message}</li>
                            }).collect_view()}
                        </ul>
                    })}
                    {(!s.links.is_empty()).then(|| view! {
                        <figure>
                            <figcaption>"Link requests (links.json)"</figcaption>
                            <pre tabindex="0">{s.links}</pre>
                        </figure>
                    })}
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn HitButton(hit: UserHit, current: bool) -> impl IntoView {
    let request = Request::Record {
        file: hit.file,
        index: hit.index,
    };
    let email = hit.email.clone().unwrap_or_else(|| "no email".into());
    view! {
        <button
            class="hit"
            class:current=current
            aria-pressed=current.to_string()
            on:click=move |_| client::send(request.clone(), Array::new())
        >
            <span class="who">{hit.username}</span>
            <span class="email">{email}</span>
            <span class="where">{format!("{} #{}", hit.file_name, hit.index)}</span>
        </button>
    }
}
