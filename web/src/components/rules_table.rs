//! The mapping rules as an editable table, with import, export and reset.

use cognito_fusionauth::rules::{Transform, TOP_LEVEL_SOURCES};
use cognito_fusionauth::Rules;
use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;

use crate::browser::save_text;
use crate::state::{value_text, Console, RuleEdit};

/// The file name rules are exported under (what the CLI's --rules takes).
const RULES_FILE: &str = "rules.json";

/// The "Rules" section.
#[component]
pub fn RulesTable() -> impl IntoView {
    let console = expect_context::<Console>();
    let rules = console.rules;
    let (import_error, set_import_error) = signal(None::<String>);
    let rows = move || rules.with(|r| r.attributes.len());
    let export = move |_| {
        let text = rules.with_untracked(|r| serde_json::to_string_pretty(r).unwrap_or_default());
        save_text(RULES_FILE, "application/json", &text);
    };
    let import = move |ev: leptos::ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            // A file the command line would refuse is refused here too.
            let checked = |t: String| Rules::from_json(&t).and_then(|r| r.compile().map(|_| r));
            match text.map(checked) {
                Some(Ok(new)) => {
                    set_import_error.set(None);
                    rules.set(new);
                }
                Some(Err(e)) => set_import_error.set(Some(format!("{}: {e}", file.name()))),
                None => set_import_error
                    .set(Some(format!("{}: the file could not be read", file.name()))),
            }
        });
    };
    view! {
        <section id="rules" aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules"</h2>
            <p class="hint">
                "Each rule takes a Cognito attribute (or Username, UserCreateDate, Enabled, UserStatus, Groups…), "
                "converts it and writes it to a FusionAuth field or to data.<path>. Attributes no rule takes "
                "land in data. The rules file is the one the command line's --rules takes."
            </p>
            <div class="actions">
                <button on:click=move |_| rules.update(|r| RuleEdit::Add.apply(r))>"Add rule"</button>
                <button class="secondary" on:click=move |_| rules.update(|r| RuleEdit::Reset.apply(r))>"Reset rules to defaults"</button>
                <button class="secondary" on:click=export>"Export rules"</button>
                <label class="button secondary" for="rules-file">"Import rules"</label>
                <input id="rules-file" class="sr-only" type="file" accept=".json,application/json" on:change=import/>
            </div>
            {move || import_error.get().map(|e| view! { <p class="failure" role="alert">{e}</p> })}
            <table class="rules" data-testid="rules">
                <thead>
                    <tr>
                        <th scope="col">"#"</th><th scope="col">"Source"</th><th scope="col">"Target"</th>
                        <th scope="col">"Transform"</th><th scope="col">"Value"</th><th><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || 0..rows() key=|i| *i children=move |i| view! { <RuleRow i/> }/>
                </tbody>
            </table>
            <datalist id="sources">
                {TOP_LEVEL_SOURCES.iter().map(|s| view! { <option value=*s/> }).collect_view()}
            </datalist>
        </section>
    }
}

/// One rule; its inputs follow the rule at row `i`, so moving or removing rules keeps the
/// row (and the keyboard focus in it) in place.
#[component]
fn RuleRow(i: usize) -> impl IntoView {
    let rules = expect_context::<Console>().rules;
    let edit = move |e: RuleEdit| rules.update(|r| e.apply(r));
    let rule = move || rules.with(|r| r.attributes.get(i).cloned());
    let n = i + 1;
    view! {
        <tr>
            <td class="num">{n}</td>
            <td>
                <input
                    list="sources"
                    aria-label=format!("Source of rule {n}")
                    prop:value=move || rule().and_then(|r| r.source).unwrap_or_default()
                    on:change=move |ev| edit(RuleEdit::Source(i, event_target_value(&ev)))
                />
                {move || rule().and_then(|r| r.unless_equals).map(|other| view! {
                    <span class="note">"skipped when equal to "<code>{other}</code></span>
                })}
            </td>
            <td><input
                aria-label=format!("Target of rule {n}")
                prop:value=move || rule().map(|r| r.target).unwrap_or_default()
                on:change=move |ev| edit(RuleEdit::Target(i, event_target_value(&ev)))
            /></td>
            <td><select
                aria-label=format!("Transform of rule {n}")
                on:change=move |ev| {
                    if let Some(t) = Transform::from_name(&event_target_value(&ev)) {
                        edit(RuleEdit::Transform(i, t));
                    }
                }
            >
                {Transform::ALL.iter().map(|t| view! {
                    <option value=t.name() prop:selected=move || rule().is_some_and(|r| r.transform == *t)>{t.name()}</option>
                }).collect_view()}
            </select></td>
            <td><input
                aria-label=format!("Value of rule {n}")
                placeholder=move || if rule().is_some_and(|r| r.transform == Transform::Constant) { "value" } else { "default" }
                prop:value=move || rule().map(|r| value_text(&r)).unwrap_or_default()
                on:change=move |ev| edit(RuleEdit::Value(i, event_target_value(&ev)))
            /></td>
            <td class="row-actions">
                <button class="icon" aria-label=format!("Move rule {n} up") on:click=move |_| edit(RuleEdit::MoveUp(i))>"↑"</button>
                <button class="icon" aria-label=format!("Move rule {n} down") on:click=move |_| edit(RuleEdit::MoveDown(i))>"↓"</button>
                <button class="icon" aria-label=format!("Remove rule {n}") on:click=move |_| edit(RuleEdit::Remove(i))>"✕"</button>
            </td>
        </tr>
    }
}
