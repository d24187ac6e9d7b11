//! What an export tells people on stderr: a progress bar on a terminal, and the summary at the
//! end (users, pages, retries, duration, users per status, with `--mfa` the AdminGetUser calls
//! and users per MFA method, the pool's custom attributes).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::SchemaAttributeType;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use super::pacing::Category;
use super::retry::Counts;

/// A finished export.
#[derive(Debug)]
pub(crate) struct Summary {
    /// The file written.
    pub(crate) out: PathBuf,
    /// Users in the file.
    pub(crate) users: u64,
    /// Users written by this run (less than `users` after `--resume`).
    pub(crate) users_this_run: u64,
    /// ListUsers pages, over every run of this export.
    pub(crate) pages: u64,
    /// Users per `UserStatus`.
    pub(crate) statuses: BTreeMap<String, u64>,
    /// Users listed again after the listing started over, and not written twice.
    pub(crate) skipped: u64,
    /// Requests and retries of this run.
    pub(crate) counts: Counts,
    /// This run's duration.
    pub(crate) elapsed: Duration,
    /// With `--groups`: the number of groups and of users in at least one.
    pub(crate) groups: Option<(usize, usize)>,
    /// With `--mfa`: what AdminGetUser found, over every run of this export.
    pub(crate) mfa: Option<MfaSummary>,
    /// The pool's custom (and developer-only) attributes, described.
    pub(crate) custom_attributes: Vec<String>,
}

/// What `--mfa` found.
#[derive(Debug, Default)]
pub(crate) struct MfaSummary {
    /// Users with at least one MFA method.
    pub(crate) users: u64,
    /// Users per method of `UserMFASettingList`.
    pub(crate) methods: BTreeMap<String, u64>,
    /// Users deleted between ListUsers and AdminGetUser.
    pub(crate) not_found: u64,
}

impl Summary {
    /// Prints the summary on stderr.
    pub(crate) fn print(&self) {
        let secs = self.elapsed.as_secs_f64().max(1e-3);
        let c = &self.counts;
        eprintln!(
            "cognito-fusionauth: exported {} users in {} pages to {}{}",
            self.users,
            self.pages,
            self.out.display(),
            if self.users_this_run == self.users {
                String::new()
            } else {
                format!(" ({} in this run)", self.users_this_run)
            }
        );
        eprintln!(
            "cognito-fusionauth: {secs:.1} s, {:.0} users/s, {} requests ({:.1}/s), {} throttled retries, {} other retries",
            self.users_this_run as f64 / secs,
            c.requests,
            c.requests as f64 / secs,
            c.throttled_retries,
            c.transient_retries,
        );
        for (status, n) in &self.statuses {
            eprintln!("cognito-fusionauth:   {status:<22} {n}");
        }
        if self.skipped > 0 {
            eprintln!(
                "cognito-fusionauth: {} users listed again after the listing started over were not written twice",
                self.skipped
            );
        }
        if let Some((groups, members)) = self.groups {
            eprintln!("cognito-fusionauth: {groups} groups; {members} users are in at least one");
        }
        if let Some(mfa) = &self.mfa {
            for line in mfa.lines(c.requests_of(Category::UserRead), secs) {
                eprintln!("cognito-fusionauth: {line}");
            }
        }
        if self.custom_attributes.is_empty() {
            eprintln!("cognito-fusionauth: the pool has no custom attributes");
        } else {
            eprintln!(
                "cognito-fusionauth: custom attributes of the pool ({}), for the mapping rules:",
                self.custom_attributes.len()
            );
            for attribute in &self.custom_attributes {
                eprintln!("cognito-fusionauth:   {attribute}");
            }
        }
    }
}

impl MfaSummary {
    /// The summary's lines about MFA, given this run's AdminGetUser requests and duration.
    fn lines(&self, requests: u64, secs: f64) -> Vec<String> {
        let mut lines = vec![format!(
            "{requests} AdminGetUser requests in this run ({:.1}/s)",
            requests as f64 / secs
        )];
        if self.users == 0 {
            lines.push("no user has MFA set up".to_owned());
        } else {
            let methods: Vec<String> = self
                .methods
                .iter()
                .map(|(method, n)| format!("{method} {n}"))
                .collect();
            lines.push(format!(
                "{} users have MFA set up: {}",
                self.users,
                methods.join(", ")
            ));
        }
        if self.not_found > 0 {
            lines.push(format!(
                "{} users were deleted between ListUsers and AdminGetUser: written with their \
                 ListUsers data, without MFA settings",
                self.not_found
            ));
        }
        lines
    }
}

/// `custom:plan: String, mutable, length 1..32` for each custom or developer-only attribute.
pub(crate) fn custom_attributes(schema: &[SchemaAttributeType]) -> Vec<String> {
    schema
        .iter()
        .filter_map(|a| {
            let name = a.name()?;
            if !(name.starts_with("custom:") || name.starts_with("dev:")) {
                return None;
            }
            let mut text = format!(
                "{name}: {}, {}",
                a.attribute_data_type().map_or("String", |t| t.as_str()),
                if a.mutable().unwrap_or(true) {
                    "mutable"
                } else {
                    "immutable"
                }
            );
            if let Some(c) = a.string_attribute_constraints() {
                text += &format!(
                    ", length {}..{}",
                    c.min_length().unwrap_or("0"),
                    c.max_length().unwrap_or("2048")
                );
            }
            if let Some(c) = a.number_attribute_constraints() {
                if c.min_value().is_some() || c.max_value().is_some() {
                    text += &format!(
                        ", {}..{}",
                        c.min_value().unwrap_or(""),
                        c.max_value().unwrap_or("")
                    );
                }
            }
            Some(text)
        })
        .collect()
}

/// A progress bar on stderr when it is a terminal: users per second and, when Cognito's
/// estimate of the pool's users is known, the ETA. Hidden otherwise.
pub(crate) fn progress_bar(estimated_users: u64) -> ProgressBar {
    let template = if estimated_users > 0 {
        "{msg} [{bar:30}] {pos}/~{len} users ({rate}, ETA {eta})"
    } else {
        "{spinner} {msg} {pos} users ({rate}, {elapsed})"
    };
    terminal_bar(ProgressBar::new(estimated_users), template)
}

/// A spinner counting group memberships on stderr when it is a terminal; hidden otherwise.
pub(crate) fn membership_spinner() -> ProgressBar {
    terminal_bar(
        ProgressBar::new_spinner(),
        "{spinner} {msg} {pos} memberships ({elapsed})",
    )
}

/// `bar` styled with `template` (where `{rate}` is whole steps per second), ticking; hidden
/// when stderr is not a terminal.
fn terminal_bar(bar: ProgressBar, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            )
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, NumberAttributeConstraintsType, StringAttributeConstraintsType,
    };

    use super::*;

    #[test]
    fn the_mfa_lines_count_requests_methods_and_deleted_users() {
        let mfa = MfaSummary {
            users: 3,
            methods: [
                ("SMS_MFA".to_owned(), 2),
                ("SOFTWARE_TOKEN_MFA".to_owned(), 2),
            ]
            .into(),
            not_found: 1,
        };
        assert_eq!(
            mfa.lines(120, 2.0),
            [
                "120 AdminGetUser requests in this run (60.0/s)",
                "3 users have MFA set up: SMS_MFA 2, SOFTWARE_TOKEN_MFA 2",
                "1 users were deleted between ListUsers and AdminGetUser: written with their \
                 ListUsers data, without MFA settings",
            ]
        );
        assert_eq!(
            MfaSummary::default().lines(0, 1.0)[1],
            "no user has MFA set up"
        );
    }

    #[test]
    fn custom_attributes_are_described_and_standard_ones_left_out() {
        let schema = [
            SchemaAttributeType::builder()
                .name("email")
                .attribute_data_type(AttributeDataType::String)
                .build(),
            SchemaAttributeType::builder()
                .name("custom:plan")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .min_length("1")
                        .max_length("32")
                        .build(),
                )
                .build(),
            SchemaAttributeType::builder()
                .name("custom:age")
                .attribute_data_type(AttributeDataType::Number)
                .mutable(false)
                .number_attribute_constraints(
                    NumberAttributeConstraintsType::builder()
                        .min_value("0")
                        .max_value("200")
                        .build(),
                )
                .build(),
            SchemaAttributeType::builder()
                .name("dev:custom:tenant")
                .build(),
        ];
        assert_eq!(
            custom_attributes(&schema),
            [
                "custom:plan: String, mutable, length 1..32",
                "custom:age: Number, immutable, 0..200",
                "dev:custom:tenant: String, mutable",
            ]
        );
    }
}
