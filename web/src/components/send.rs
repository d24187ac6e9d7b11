//! "Send to FusionAuth": the target, the options, Check / Send / Stop / Verify / Undo, a
//! progress bar per step, and the outcome. The state and its requests live in
//! crate::push_view; the worker runs the core's protocol.

use cognito_fusionauth::delivery::{PushReport, UserIssue};
use leptos::prelude::*;

use crate::client::PUSH_REPORT_NAME;
use crate::protocol::PushCommand;
use crate::push_view::{cors_help, Outcome, StepBar};
use crate::state::Console;
use crate::text::{count, plural};

/// The most refused or conflicting users listed (push-report.json has them all).
const LIST_LIMIT: usize = 100;

/// The "Send to FusionAuth" section.
#[component]
pub fn SendToFusionAuth() -> impl IntoView {
    let console = expect_context::<Console>();
    let push = console.push;
    let ready = move || {
        console
            .downloads
            .with(|d| d.iter().any(|f| f.name.starts_with("users-")))
    };
    let idle = move || push.running.get().is_none();
    let tenant = move || console.rules.with(|r| r.settings.tenant_id.clone());
    let start = move |command| push.start(tenant(), command);
    let mail_count = move || {
        push.outcome
            .with(|o| {
                o.as_ref()
                    .filter(|o| o.command == PushCommand::Check && o.report.stopped.is_none())
                    .map(|o| o.report.counts.new)
            })
            .or_else(|| {
                console
                    .digest
                    .with(|d| d.as_ref().map(|d| d.summary.imported))
            })
            .unwrap_or(0)
    };
    view! {
        <section id="send" aria-labelledby="send-title">
            <h2 id="send-title">"Send to FusionAuth"</h2>
            {move || (!ready()).then(|| view! {
                <p class="hint">"Once the exports convert without blocking errors, their import files can be sent from here."</p>
            })}
            <div class="form">
                <label for="fa-url">"FusionAuth URL"</label>
                <input id="fa-url" type="url" placeholder="https://auth.example.com" autocomplete="off" spellcheck="false"
                    prop:value=move || push.url.get()
                    on:input=move |ev| push.url.set(event_target_value(&ev))/>
                <label for="fa-key">"API key"</label>
                <input id="fa-key" type="password" autocomplete="off" spellcheck="false"
                    prop:value=move || push.key.get()
                    on:input=move |ev| push.key.set(event_target_value(&ev))/>
                <span class="label">"Tenant"</span>
                <span data-testid="push-tenant">
                    {move || tenant().unwrap_or_else(|| "FusionAuth's only tenant".into())}
                    " (set under "<a href="#settings">"Settings"</a>")"
                </span>
                <label for="reset-rate">"Reset emails per second"</label>
                <input id="reset-rate" type="number" min="0.1" max="1000" step="0.1"
                    prop:value=move || push.reset_rate.get()
                    on:input=move |ev| push.reset_rate.set(event_target_value(&ev))/>
            </div>
            <p class="hint">
                "The API key is held in this tab's memory only, never stored. Use a key made for this run: locked to "
                "the tenant, allowed only the endpoints a push calls (user import, search, bulk delete and "
                "forgot-password, identity-provider links, groups, applications, tenants, system version), and "
                "expiring; delete it afterwards."
            </p>
            <div class="checks">
                <label>
                    <input type="checkbox" prop:checked=move || push.create_groups.get()
                        on:change=move |ev| push.create_groups.set(event_target_checked(&ev))/>
                    "Create missing groups"
                </label>
                <label>
                    <input type="checkbox" prop:checked=move || push.send_resets.get() || push.asking_resets.get()
                        on:change=move |ev| {
                            if event_target_checked(&ev) {
                                push.asking_resets.set(true);
                            } else {
                                push.send_resets.set(false);
                                push.asking_resets.set(false);
                            }
                        }/>
                    "Send reset emails"
                </label>
            </div>
            {move || push.asking_resets.get().then(|| view! {
                <div class="confirm" role="alertdialog" aria-labelledby="resets-question" data-testid="resets-confirm">
                    <p id="resets-question">
                        "Send a password reset email to each user this run imports — "{move || people(mail_count())}
                        " at most — when you press Send? People already in FusionAuth get none."
                    </p>
                    <button on:click=move |_| { push.send_resets.set(true); push.asking_resets.set(false); }>"Yes, send reset emails"</button>
                    <button on:click=move |_| { push.send_resets.set(false); push.asking_resets.set(false); }>"No"</button>
                </div>
            })}
            <div class="actions">
                <button on:click=move |_| start(PushCommand::Check) disabled=move || !ready() || !idle()>"Check"</button>
                <button on:click=move |_| start(PushCommand::Send) disabled=move || !ready() || !idle() || push.asking_resets.get()>"Send"</button>
                <button on:click=move |_| push.stop() disabled=idle>"Stop"</button>
                <button on:click=move |_| start(PushCommand::Verify) disabled=move || !ready() || !idle()>"Verify"</button>
                <button on:click=move |_| start(PushCommand::Undo) disabled=move || !ready() || !idle()>"Undo"</button>
            </div>
            {move || push.failure.get().map(|message| view! {
                <p class="failure" role="alert" data-testid="push-failure">{message}</p>
            })}
            {move || push.confirm.get().map(|(users, groups)| view! {
                <div class="confirm" role="alertdialog" aria-labelledby="undo-question" data-testid="undo-confirm">
                    <p id="undo-question">
                        "Undo will permanently delete "{plural(users as u64, "user")}" this run imported and "
                        {plural(groups as u64, "group")}" it created from FusionAuth. This cannot be undone."
                    </p>
                    <button on:click=move |_| push.answer_undo(true)>"Delete them"</button>
                    <button on:click=move |_| push.answer_undo(false)>"Keep them"</button>
                </div>
            })}
            <ul class="steps" data-testid="push-steps">
                {move || push.steps.get().into_iter().map(step_bar).collect_view()}
            </ul>
            {move || push.counts.get().filter(|_| push.running.get().is_some()).map(|c| view! {
                <p data-testid="push-counts">
                    {format!("{} imported, {} skipped, {} conflicts, {} refused; {} links; {} resets sent",
                        count(c.imported), count(c.skipped), count(c.conflicts), count(c.refused),
                        count(c.links_created + c.links_existing), count(c.resets_sent))}
                </p>
            })}
            {move || push.outcome.get().map(outcome)}
        </section>
    }
}

fn people(n: u64) -> String {
    if n == 1 {
        "1 person".into()
    } else {
        format!("{} people", count(n))
    }
}

fn step_bar(bar: StepBar) -> impl IntoView {
    let label = format!("{} progress", bar.step);
    let numbers = if bar.total > 0 {
        format!("{} of {}", count(bar.done), count(bar.total))
    } else {
        count(bar.done)
    };
    view! {
        <li>
            <span class="step">{bar.step.clone()}</span>
            <progress aria-label=label max=bar.total.max(1) value=bar.done.min(bar.total.max(1))></progress>
            <span>{numbers}</span>
        </li>
    }
}

fn outcome(o: Outcome) -> impl IntoView {
    let r = o.report;
    let origin = leptos::prelude::window()
        .location()
        .origin()
        .unwrap_or_default();
    let heading = match (o.command, &r.stopped) {
        (_, Some(_)) => "Stopped",
        (PushCommand::Check, None) => "Check: what Send would do",
        (PushCommand::Send, None) => "Sent",
        (PushCommand::Verify, None) => "Verified",
        (PushCommand::Undo, None) => "Undone",
    };
    let lines = if r.dry_run {
        r.plan_lines()
    } else {
        r.outcome_lines()
    };
    view! {
        <div class="outcome" data-testid="push-outcome">
            <h3>{heading}</h3>
            {o.unreachable.then(|| view! {
                <div class="failure" role="alert" data-testid="cors-help">
                    <p>"FusionAuth could not be reached from this page. The browser blocked the request or could not connect: "
                       "most often FusionAuth's CORS filter (off by default; when on, it allows only GET) does not let this page in."</p>
                    <p>{cors_help(&origin)}</p>
                    <p>"This page's origin: "<code data-testid="page-origin">{origin.clone()}</code></p>
                </div>
            })}
            {r.stopped.clone().filter(|_| !o.unreachable).map(|reason| view! {
                <p class="failure" role="alert" data-testid="push-stopped">{reason}</p>
            })}
            {r.fusionauth_version.clone().map(|v| view! {
                <p>{format!("FusionAuth {v}, tenant {}", r.tenant_id.as_deref().unwrap_or("?"))}</p>
            })}
            <ul data-testid="push-summary">
                {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            {messages("Problems", "push-problems", r.problems.clone())}
            {messages("Warnings", "push-warnings", r.warnings.clone())}
            {users("Refused by FusionAuth", "push-refused", &r.refused)}
            {users("Conflicts: another FusionAuth user holds the email or username", "push-conflicts", &r.conflicts)}
            {users("Missing from FusionAuth", "push-missing", &r.missing)}
            {steps(&r)}
            {o.download.map(|d| view! {
                <p><a href=d.url download=PUSH_REPORT_NAME>{PUSH_REPORT_NAME}</a></p>
            })}
        </div>
    }
}

fn messages(title: &'static str, testid: &'static str, list: Vec<String>) -> impl IntoView {
    (!list.is_empty()).then(|| {
        view! {
            <h4>{title}</h4>
            <ul data-testid=testid>{list.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
        }
    })
}

fn users(title: &'static str, testid: &'static str, list: &[UserIssue]) -> impl IntoView {
    let more = list.len().saturating_sub(LIST_LIMIT);
    (!list.is_empty()).then(|| {
        let rows = list
            .iter()
            .take(LIST_LIMIT)
            .map(|u| {
                view! {
                    <tr>
                        <td>{u.username.clone().unwrap_or_else(|| u.id.clone())}</td>
                        <td>{format!("{} #{}", u.file, u.index)}</td>
                        <td>{u.reason.clone()}</td>
                        <td>{u.error.clone().unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h4>{format!("{title} ({})", list.len())}</h4>
            <table data-testid=testid>
                <thead><tr><th>"User"</th><th>"File"</th><th>"Reason"</th><th>"FusionAuth's answer"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {(more > 0).then(|| view! { <p class="hint">{format!("and {more} more in {PUSH_REPORT_NAME}")}</p> })}
        }
    })
}

fn steps(r: &PushReport) -> impl IntoView {
    let rows = r
        .steps
        .iter()
        .map(|s| {
            view! {
                <li>{format!("{}: {}{}", s.step, s.status, s.detail.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())}</li>
            }
        })
        .collect_view();
    view! { <ul class="step-outcomes" data-testid="push-step-outcomes">{rows}</ul> }
}
