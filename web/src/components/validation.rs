//! Validation: counts per finding code, the users behind each, and duplicate groups side
//! by side.

use cognito_fusionauth::report::DuplicateGroup;
use cognito_fusionauth::{Code, DuplicatePolicy, Finding};
use leptos::prelude::*;
use web_sys::HtmlDetailsElement;

use crate::digest::{CodeDigest, Digest, LIST_LIMIT};
use crate::state::Console;
use crate::text::{count, plural};

/// The "Validation" section.
#[component]
pub fn Validation() -> impl IntoView {
    let console = expect_context::<Console>();
    view! {
        <section id="validation" aria-labelledby="validation-title">
            <h2 id="validation-title">"Validation"</h2>
            {move || match console.digest.get() {
                None => view! { <p class="hint">"Findings appear here once exports are loaded."</p> }.into_any(),
                Some(digest) => view! { <Findings digest/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Findings(digest: Digest) -> impl IntoView {
    let s = &digest.summary;
    let totals = format!(
        "{} read, {} to import, {} excluded, {}.",
        plural(s.users_read, "user"),
        count(s.imported),
        count(s.excluded),
        plural(s.chunks, "import file"),
    );
    let policy = serde_json::from_value::<DuplicatePolicy>(serde_json::Value::String(
        s.duplicate_policy.clone(),
    ))
    .unwrap_or_default();
    let held_back = digest.held_back();
    let duplicates = digest.duplicates.clone();
    let groups = digest.duplicate_groups;
    let excluded = digest.excluded.clone();
    let excluded_count = s.excluded;
    view! {
        <p data-testid="totals">{totals}</p>
        {(held_back > 0).then(|| view! {
            <p class="blocked">{format!("{} held back until the errors below are resolved.", plural(held_back, "user"))}</p>
        })}
        {digest.codes.is_empty().then(|| view! { <p class="ok">"No findings: every user maps cleanly."</p> })}
        <table class="codes" data-testid="codes">
            <thead>
                <tr><th scope="col">"Finding"</th><th scope="col">"Severity"</th><th scope="col" class="num">"Users"</th></tr>
            </thead>
            <tbody>{digest.codes.iter().map(|c| code_row(c.clone())).collect_view()}</tbody>
        </table>
        {(!duplicates.is_empty()).then(|| view! {
            <h3>{format!("Duplicate groups ({})", count(groups))}</h3>
            <p class="hint">{policy_hint(policy)}</p>
            <div class="groups" data-testid="duplicate-groups">
                {duplicates.into_iter().map(move |g| group(g, policy)).collect_view()}
            </div>
            {more(groups, LIST_LIMIT)}
        })}
        {(!digest.excluded.is_empty()).then(|| view! {
            <Disclosure summary=format!("Excluded users ({})", count(s.excluded))>
                <ul class="findings">
                    {excluded.iter().map(|e| view! {
                        <li><span class="who">{format!("{} #{} {}", e.file, e.index, e.username)}</span>" "{e.reason.clone()}</li>
                    }).collect_view()}
                </ul>
                {more(excluded_count, LIST_LIMIT)}
            </Disclosure>
        })}
    }
}

fn code_row(c: CodeDigest) -> impl IntoView {
    let name = c.code.as_str().to_owned();
    let severity = c.severity.as_str();
    let total = c.count;
    let findings = c.findings;
    view! {
        <tr class=severity data-code=name.clone()>
            <td>
                <Disclosure summary=name.clone()>
                    <ul class="findings">{findings.iter().cloned().map(finding).collect_view()}</ul>
                    {more(total, LIST_LIMIT)}
                </Disclosure>
            </td>
            <td><span class=format!("badge {severity}")>{severity}</span></td>
            <td class="num">{count(total)}</td>
        </tr>
    }
}

/// A `<details>` whose content is built only once it is opened: a large pool has thousands
/// of findings, and building them all would stall the page each time a conversion ends.
#[component]
fn Disclosure(summary: String, children: ChildrenFn) -> impl IntoView {
    let (open, set_open) = signal(false);
    view! {
        <details on:toggle=move |ev| set_open.set(event_target::<HtmlDetailsElement>(&ev).open())>
            <summary>{summary}</summary>
            <Show when=move || open.get()>{children()}</Show>
        </details>
    }
}

fn finding(f: Finding) -> impl IntoView {
    let who = match (f.index, &f.username) {
        (Some(i), Some(u)) => format!("{} #{i} {u}", f.file),
        _ => f.file.clone(),
    };
    let field = f
        .field
        .map(|field| format!("{field}: "))
        .unwrap_or_default();
    view! { <li><span class="who">{who}</span>" "<code>{field}</code>{f.message}</li> }
}

fn group(g: DuplicateGroup, policy: DuplicatePolicy) -> impl IntoView {
    let label = match g.code {
        Code::DuplicateEmail => "Email",
        Code::DuplicateUsername => "Username",
        Code::DuplicatePhone => "Phone number",
        _ => "Id",
    };
    view! {
        <div class="group" role="group" aria-label=format!("{label} {}", g.value)>
            <p class="value">{label}" "<strong>{g.value.clone()}</strong></p>
            <div class="side-by-side">
                {g.users.into_iter().enumerate().map(|(i, u)| view! {
                    <div class="card">
                        <span class="who">{u.username}</span>
                        <span class="where">{format!("{} #{}", u.file, u.index)}</span>
                        <span class="fate">{fate(policy, i == 0)}</span>
                    </div>
                }).collect_view()}
            </div>
        </div>
    }
}

/// What the policy does to a user of a duplicate group (the first is the one kept).
fn fate(policy: DuplicatePolicy, first: bool) -> &'static str {
    match (policy, first) {
        (DuplicatePolicy::Error, _) => "blocks the import",
        (_, true) => "kept",
        (DuplicatePolicy::MoveToData, false) => "kept; value moved to data",
        (_, false) => "excluded",
    }
}

fn policy_hint(policy: DuplicatePolicy) -> &'static str {
    match policy {
        DuplicatePolicy::Error => "Under the error policy duplicates block the import: fix the export, or pick another policy in Settings (Duplicate emails).",
        DuplicatePolicy::KeepNewest => "The most recently modified user of each group is kept; the others are excluded.",
        DuplicatePolicy::KeepFirst => "The first user of each group in file order is kept; the others are excluded.",
        DuplicatePolicy::MoveToData => "Everybody is kept; the shared value moves into data.cognito on all but the newest user.",
    }
}

fn more(total: u64, shown: usize) -> Option<impl IntoView> {
    (total > shown as u64).then(|| view! {
        <p class="hint">{format!("Showing {} of {}; report.json lists them all.", count(shown as u64), count(total))}</p>
    })
}
