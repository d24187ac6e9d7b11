//! Run-wide settings: tenant, registrations, group and provider mappings, chunk size,
//! the duplicate policy and the password scheme.

use cognito_fusionauth::rules::{
    Registration, Settings as RunSettings, ENCRYPTION_SCHEMES, MAX_CHUNK_SIZE,
};
use cognito_fusionauth::DuplicatePolicy;
use leptos::prelude::*;

use super::map_editor::MapEditor;
use crate::state::Console;

/// Blank is none.
fn optional(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The "Settings" section.
#[component]
pub fn Settings() -> impl IntoView {
    let console = expect_context::<Console>();
    let rules = console.rules;
    view! {
        <section id="settings" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            <div class="form">
                <label for="on-duplicate">"Duplicate emails"</label>
                <select
                    id="on-duplicate"
                    on:change=move |ev| {
                        if let Some(policy) = DuplicatePolicy::from_name(&event_target_value(&ev)) {
                            rules.update(|r| r.settings.on_duplicate = policy);
                        }
                    }
                >
                    {DuplicatePolicy::ALL.into_iter().map(|policy| view! {
                        <option
                            value=policy.name()
                            prop:selected=move || rules.with(|r| r.settings.on_duplicate == policy)
                        >{policy.description()}</option>
                    }).collect_view()}
                </select>

                <SettingInput
                    id="tenant-id"
                    label="Tenant id"
                    placeholder="sent as X-FusionAuth-TenantId instead"
                    read=|s| s.tenant_id.clone().unwrap_or_default()
                    write=|s, text| s.tenant_id = optional(text)
                />
                <SettingInput
                    id="pool-id"
                    label="User pool id"
                    placeholder="us-east-1_AbCdEf (seeds ids of users without a UUID sub)"
                    read=|s| s.user_pool_id.clone().unwrap_or_default()
                    write=|s, text| s.user_pool_id = optional(text)
                />
                <SettingInput
                    id="chunk-size"
                    label="Users per import file"
                    number=true
                    read=|s| s.chunk_size.to_string()
                    write=|s, text| {
                        if let Ok(n) = text.trim().parse::<usize>() {
                            s.chunk_size = n.clamp(1, MAX_CHUNK_SIZE);
                        }
                    }
                />

                <label for="scheme">"Placeholder password scheme"</label>
                <select
                    id="scheme"
                    on:change=move |ev| rules.update(|r| r.settings.password.encryption_scheme = event_target_value(&ev))
                >
                    {ENCRYPTION_SCHEMES.iter().map(|scheme| view! {
                        <option
                            value=*scheme
                            prop:selected=move || rules.with(|r| r.settings.password.encryption_scheme == *scheme)
                        >{*scheme}</option>
                    }).collect_view()}
                </select>

                <SettingInput
                    id="factor"
                    label="Scheme factor"
                    number=true
                    read=|s| s.password.factor.to_string()
                    write=|s, text| {
                        if let Ok(n) = text.trim().parse::<u32>() {
                            s.password.factor = n.max(1);
                        }
                    }
                />
            </div>
            <div class="checks">
                <SettingCheck
                    label="Carry SMS and email MFA"
                    read=|s| s.carry_mfa
                    write=|s, on| s.carry_mfa = on
                />
                <SettingCheck
                    label="Reset emails for disabled users"
                    read=|s| s.reset_disabled_users
                    write=|s, on| s.reset_disabled_users = on
                />
            </div>
            <p class="hint">
                "Carry SMS and email MFA: users with SMS MFA and a verified phone, or email MFA and a verified "
                "email, keep it (twoFactor.methods); authenticator apps never do, as Cognito does not export their "
                "secrets. Off by default: FusionAuth sends the codes only once a messenger (SMS) or an email server "
                "is configured, and on some plans only with a licence. "
                "Federated-only users (who sign in with Google, Apple, SAML…) have no password and get no reset "
                "email; disabled users get none either unless the second box is ticked. Both are listed under "
                "no-password-reset."
            </p>
            <Registrations/>
            <MapEditor caption="Groups" key="Cognito group" value="FusionAuth group id" field=|s| &mut s.groups/>
            <MapEditor
                caption="Identity providers by name"
                key="Cognito provider name"
                value="FusionAuth identity provider id"
                field=|s| &mut s.identity_providers.by_name
            />
            <MapEditor
                caption="Identity providers by type"
                key="Cognito provider type"
                value="FusionAuth identity provider id"
                field=|s| &mut s.identity_providers.by_type
            />
            {move || console.digest.with(|d| {
                let unmapped: Vec<String> = d.iter()
                    .flat_map(|d| d.summary.unmapped_groups.iter().map(|(g, n)| format!("{g} ({n})")))
                    .collect();
                (!unmapped.is_empty()).then(|| view! {
                    <p class="hint">"Cognito groups without a FusionAuth group (kept in data.cognito.groups): "{unmapped.join(", ")}</p>
                })
            })}
        </section>
    }
}

/// A labelled input showing one setting as text; `write` takes the text on change (and
/// ignores what does not parse).
#[component]
fn SettingInput(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] number: bool,
    read: fn(&RunSettings) -> String,
    write: fn(&mut RunSettings, String),
) -> impl IntoView {
    let rules = expect_context::<Console>().rules;
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type=if number { "number" } else { "text" }
            min=number.then_some("1")
            placeholder=placeholder
            prop:value=move || rules.with(|r| read(&r.settings))
            on:change=move |ev| rules.update(|r| write(&mut r.settings, event_target_value(&ev)))
        />
    }
}

/// A checkbox for one on/off setting.
#[component]
fn SettingCheck(
    label: &'static str,
    read: fn(&RunSettings) -> bool,
    write: fn(&mut RunSettings, bool),
) -> impl IntoView {
    let rules = expect_context::<Console>().rules;
    view! {
        <label>
            <input
                type="checkbox"
                prop:checked=move || rules.with(|r| read(&r.settings))
                on:change=move |ev| rules.update(|r| write(&mut r.settings, event_target_checked(&ev)))
            />
            {label}
        </label>
    }
}

/// The applications every user is registered to, with role names.
#[component]
fn Registrations() -> impl IntoView {
    let rules = expect_context::<Console>().rules;
    let rows = move || rules.with(|r| r.settings.registrations.len());
    let edit = move |i: usize, f: Box<dyn FnOnce(&mut Registration)>| {
        rules.update(|r| {
            if let Some(reg) = r.settings.registrations.get_mut(i) {
                f(reg);
            }
        })
    };
    view! {
        <table class="map">
            <caption>"Registrations"</caption>
            <thead><tr><th scope="col">"Application id"</th><th scope="col">"Roles (comma-separated)"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                <For each=move || 0..rows() key=|i| *i children=move |i| {
                    let read = move |f: fn(&Registration) -> String| move || {
                        rules.with(|r| r.settings.registrations.get(i).map(f).unwrap_or_default())
                    };
                    view! {
                        <tr>
                            <td><input
                                aria-label=format!("Application id of registration {}", i + 1)
                                prop:value=read(|reg| reg.application_id.clone())
                                on:change=move |ev| {
                                    let id = event_target_value(&ev).trim().to_owned();
                                    edit(i, Box::new(move |reg| reg.application_id = id));
                                }
                            /></td>
                            <td><input
                                aria-label=format!("Roles of registration {}", i + 1)
                                prop:value=read(|reg| reg.roles.join(", "))
                                on:change=move |ev| {
                                    let roles = event_target_value(&ev)
                                        .split(',')
                                        .map(str::trim)
                                        .filter(|r| !r.is_empty())
                                        .map(str::to_owned)
                                        .collect();
                                    edit(i, Box::new(move |reg| reg.roles = roles));
                                }
                            /></td>
                            <td><button
                                class="secondary"
                                aria-label=format!("Remove registration {}", i + 1)
                                on:click=move |_| rules.update(|r| {
                                    if i < r.settings.registrations.len() {
                                        r.settings.registrations.remove(i);
                                    }
                                })
                            >"Remove"</button></td>
                        </tr>
                    }
                }/>
            </tbody>
        </table>
        <button
            on:click=move |_| rules.update(|r| r.settings.registrations.push(Registration {
                application_id: String::new(),
                roles: Vec::new(),
            }))
        >"Add registration"</button>
    }
}
