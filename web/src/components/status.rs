//! The bar under the header: what is loaded, whether output is ready, and progress.

use leptos::prelude::*;

use crate::state::Console;
use crate::text::{count, plural};

/// Users, the conversion's verdict, the worker's progress and its latest failure.
#[component]
pub fn StatusBar() -> impl IntoView {
    let console = expect_context::<Console>();
    let verdict = move || {
        if console.converting.get() {
            return "Converting…".to_owned();
        }
        console.digest.with(|d| match d {
            None => "Nothing converted yet".to_owned(),
            Some(d) if d.summary.blocked => "Download blocked: errors to resolve".to_owned(),
            Some(d) => format!(
                "{} ready to import, {} excluded",
                plural(d.summary.imported, "user"),
                count(d.summary.excluded)
            ),
        })
    };
    let blocked = move || {
        console
            .digest
            .with(|d| d.as_ref().is_some_and(|d| d.summary.blocked))
    };
    view! {
        <div class="status" role="status" aria-live="polite">
            <span data-testid="users-loaded">{move || plural(console.users(), "user")}" loaded"</span>
            <span class="verdict" class:bad=blocked data-testid="verdict">{verdict}</span>
            {move || console.progress.get().map(|p| view! {
                <span class="progress">
                    <label for="progress">{p.stage.clone()}</label>
                    {if p.total > 0 {
                        view! { <progress id="progress" max=p.total value=p.done></progress> }.into_any()
                    } else {
                        view! { <progress id="progress"></progress> }.into_any()
                    }}
                    <span>{if p.total > 0 { format!("{} of {}", count(p.done), count(p.total)) } else { count(p.done) }}</span>
                </span>
            })}
        </div>
        {move || console.rules_error.get().map(|message| view! {
            <p class="failure" role="alert" data-testid="rules-error">"The rules do not compile, so nothing is converted: "{message}</p>
        })}
        {move || console.failure.get().map(|message| view! {
            <p class="failure" role="alert" data-testid="failure">{message}</p>
        })}
    }
}
