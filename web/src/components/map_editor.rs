//! A two-column table editing one name → id map of the settings (groups, providers).

use std::collections::BTreeMap;

use cognito_fusionauth::rules::Settings;
use leptos::prelude::*;

use crate::state::Console;

/// Reads or writes one map of the settings.
pub type Field = fn(&mut Settings) -> &mut BTreeMap<String, String>;

/// Rows of `key → value` with a remove button each, and a row to add one.
#[component]
pub fn MapEditor(
    /// The table's caption.
    caption: &'static str,
    /// The key column's heading (e.g. "Cognito group").
    key: &'static str,
    /// The value column's heading (e.g. "FusionAuth group id").
    value: &'static str,
    /// The map edited.
    field: Field,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let (new_key, set_new_key) = signal(String::new());
    let (new_value, set_new_value) = signal(String::new());
    let rows = move || {
        console
            .rules
            .with(|r| field(&mut r.settings.clone()).clone())
    };
    let add = move |_| {
        let k = new_key.get_untracked().trim().to_owned();
        if k.is_empty() {
            return;
        }
        let v = new_value.get_untracked().trim().to_owned();
        console.rules.update(|r| {
            field(&mut r.settings).insert(k, v);
        });
        set_new_key.set(String::new());
        set_new_value.set(String::new());
    };
    view! {
        <table class="map">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">{key}</th><th scope="col">{value}</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {move || rows().into_iter().map(|(k, v)| {
                    let k2 = k.clone();
                    let k3 = k.clone();
                    view! {
                        <tr>
                            <td>{k.clone()}</td>
                            <td>
                                <input
                                    aria-label=format!("{value} for {k}")
                                    prop:value=v
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev).trim().to_owned();
                                        console.rules.update(|r| {
                                            field(&mut r.settings).insert(k2.clone(), v);
                                        });
                                    }
                                />
                            </td>
                            <td>
                                <button
                                    class="secondary"
                                    aria-label=format!("Remove {k}")
                                    on:click=move |_| console.rules.update(|r| {
                                        field(&mut r.settings).remove(&k3);
                                    })
                                >"Remove"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
                <tr class="add">
                    <td><input aria-label=format!("New {key}") prop:value=new_key on:input=move |ev| set_new_key.set(event_target_value(&ev))/></td>
                    <td><input aria-label=format!("New {value}") prop:value=new_value on:input=move |ev| set_new_value.set(event_target_value(&ev))/></td>
                    <td><button on:click=add>"Add"</button></td>
                </tr>
            </tbody>
        </table>
    }
}
