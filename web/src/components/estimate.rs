//! The slow-migration estimate S = 1-(1-P)^D, its inverse, and a chart of S over days.

use cognito_fusionauth::{days_to_reach, estimate};
use leptos::prelude::*;

use crate::chart::{curve, HEIGHT, WIDTH};

/// The "Estimate" section.
#[component]
pub fn Estimate() -> impl IntoView {
    let (percent, set_percent) = signal(5.0_f64);
    let (days, set_days) = signal(30_u32);
    let (target, set_target) = signal(90.0_f64);
    let p = move || percent.get() / 100.0;
    let share = move || estimate(p(), f64::from(days.get())).map(|s| format!("{:.1} %", s * 100.0));
    let needed =
        move || days_to_reach(p(), target.get() / 100.0).map(|d| format!("{} days", d.ceil()));
    let number = |ev: &leptos::ev::Event| event_target_value(ev).trim().parse::<f64>().ok();
    view! {
        <section id="estimate" aria-labelledby="estimate-title">
            <h2 id="estimate-title">"Slow-migration estimate"</h2>
            <p class="hint">"With a Connector, users move when they log in. If a user logs in on a given day with "
                "probability P, the share migrated after D days is S = 1 − (1 − P)^D."</p>
            <div class="form">
                <label for="probability">"Daily login probability P (%)"</label>
                <input id="probability" type="number" min="0.01" max="100" step="any" prop:value=move || percent.get().to_string()
                    on:input=move |ev| if let Some(v) = number(&ev) { set_percent.set(v) }/>
                <label for="days">"Days D"</label>
                <input id="days" type="number" min="1" max="3650" prop:value=move || days.get().to_string()
                    on:input=move |ev| if let Some(v) = number(&ev) { set_days.set(v.clamp(0.0, 3650.0) as u32) }/>
                <label for="target">"Target share S (%)"</label>
                <input id="target" type="number" min="1" max="99.99" step="any" prop:value=move || target.get().to_string()
                    on:input=move |ev| if let Some(v) = number(&ev) { set_target.set(v) }/>
            </div>
            <p data-testid="estimate">
                {move || match share() {
                    Ok(s) => format!("After {} days: {s} of users migrated.", days.get()),
                    Err(e) => e.to_string(),
                }}
                " "
                {move || match needed() {
                    Ok(d) => format!("{} % are reached after {d}.", target.get()),
                    Err(e) => e.to_string(),
                }}
            </p>
            <svg class="chart" viewBox=format!("-40 -10 {} {}", WIDTH + 60.0, HEIGHT + 40.0) role="img"
                aria-label=move || format!("Share of users migrated over {} days", days.get())>
                <line class="axis" x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT/>
                <line class="axis" x1="0" y1="0" x2="0" y2=HEIGHT/>
                <line class="grid" x1="0" y1=HEIGHT / 2.0 x2=WIDTH y2=HEIGHT / 2.0/>
                <text x="-8" y="4" text-anchor="end">"100%"</text>
                <text x="-8" y=HEIGHT / 2.0 + 4.0 text-anchor="end">"50%"</text>
                <text x="-8" y=HEIGHT + 4.0 text-anchor="end">"0%"</text>
                <text x="0" y=HEIGHT + 20.0>"day 0"</text>
                <text x=WIDTH y=HEIGHT + 20.0 text-anchor="end">{move || format!("day {}", days.get())}</text>
                <path class="curve" d=move || curve(p(), days.get())/>
            </svg>
        </section>
    }
}
