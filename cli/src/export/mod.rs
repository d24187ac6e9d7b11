//! Exporting a user pool: ListUsers followed to the end (60 users a page, never stopping on a
//! short page) and written as a stream into a list-users JSON file, under the pacing of
//! [`pacing`] with the retries of [`retry`], and a checkpoint after every page so that an
//! interrupted export resumes where it stopped.
//!
//! Order of work: DescribeUserPool (estimated users for the ETA, the schema for the summary);
//! with `--groups`, every group's members; then the ListUsers pages, and with `--mfa` an
//! AdminGetUser per user of each page ([`mfa`]). After each page the users are handed to the
//! operating system and the checkpoint records the next token and the length of the partial
//! file, so a resume drops at most a page that was cut short.

mod backoff;
mod checkpoint;
mod client;
mod groups;
mod mfa;
mod output;
mod pacing;
mod retry;
mod summary;
mod user;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use aws_sdk_cognitoidentityprovider::types::UserType;
use aws_sdk_cognitoidentityprovider::Client;

use self::backoff::Backoff;
use self::checkpoint::Checkpoint;
pub(crate) use self::client::Connection;
use self::client::{classify, describe, failed, rejects_token};
use self::groups::Memberships;
use self::mfa::Mfa;
use self::output::{known_subs, sibling, Output, Subs};
pub(crate) use self::pacing::DEFAULT_USER_READ_RATE;
use self::pacing::{Category, Pacer, RealClock};
use self::retry::Caller;
use self::summary::MfaSummary;
pub(crate) use self::summary::Summary;
use self::user::{sub, ExportedUser};

/// ListUsers' largest page.
const PAGE_SIZE: i32 = 60;

/// What to export, and where.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// The pool and how to reach it.
    pub(crate) connection: Connection<'a>,
    /// Attach each user's `Groups`.
    pub(crate) groups: bool,
    /// Attach each user's MFA settings from AdminGetUser at this many requests per second.
    pub(crate) mfa: Option<f64>,
    /// Continue from the checkpoint.
    pub(crate) resume: bool,
    /// Attempts per request.
    pub(crate) max_attempts: u32,
    /// The file to write.
    pub(crate) out: &'a Path,
    /// Stop after this many pages as if interrupted (the tests' way to interrupt an export).
    pub(crate) stop_after_pages: Option<u64>,
}

/// The files beside the output.
#[derive(Debug)]
struct Paths {
    partial: PathBuf,
    checkpoint: PathBuf,
}

/// Runs the export to the end.
///
/// # Errors
///
/// When a request fails for good, a file cannot be written, or the checkpoint does not fit;
/// the message names the request and says what was already written.
pub(crate) async fn export(request: &Request<'_>) -> Result<Summary> {
    let started = Instant::now();
    let pool_id = request.connection.user_pool_id;
    let paths = Paths {
        partial: sibling(request.out, ".partial"),
        checkpoint: sibling(request.out, ".checkpoint"),
    };
    // On --resume, the partial file is checked against the checkpoint before any request.
    let resumed = match saved_checkpoint(request, &paths)? {
        Some(checkpoint) => {
            let output = Output::resume(
                &paths.partial,
                checkpoint.partial_bytes,
                checkpoint.users_written,
            )?;
            Some((output, checkpoint))
        }
        None => None,
    };

    let client = client::client(&request.connection).await;
    let mut pacer = Pacer::new(RealClock::new());
    if let Some(rate) = request.mfa {
        pacer.set_rate(Category::UserRead, rate);
    }
    let caller = Caller::new(pacer, Backoff::new(request.max_attempts));
    let nothing_written = |e: anyhow::Error| match &resumed {
        Some((_, c)) => e.context(saved(c, &paths.partial)),
        None => e.context("the export stopped before writing any user"),
    };
    let pool = caller
        .call(
            Category::UserPoolRead,
            || client.describe_user_pool().user_pool_id(pool_id).send(),
            classify,
        )
        .await
        .map_err(|e| nothing_written(failed("DescribeUserPool", e)))?;
    let pool = pool.user_pool();
    let custom_attributes = summary::custom_attributes(pool.map_or(&[], |p| p.schema_attributes()));
    let estimated_users = pool.map_or(0, |p| p.estimated_number_of_users);
    let memberships = if request.groups {
        let spinner = summary::membership_spinner();
        let memberships = groups::fetch(&client, &caller, pool_id, &spinner)
            .await
            .map_err(nothing_written)?;
        spinner.finish_and_clear();
        Some(memberships)
    } else {
        None
    };
    let bar = summary::progress_bar(u64::try_from(estimated_users).unwrap_or(0));

    let (output, checkpoint) = match resumed {
        Some(resumed) => resumed,
        None => {
            let mut output = Output::create(&paths.partial)?;
            let checkpoint = Checkpoint::new(
                pool_id,
                request.groups,
                request.mfa.is_some(),
                output.flush()?,
            );
            checkpoint.save(&paths.checkpoint)?;
            (output, checkpoint)
        }
    };
    let users_before = checkpoint.users_written;
    let mut listing = Listing {
        client: &client,
        caller: &caller,
        request,
        paths: &paths,
        memberships: memberships.as_ref(),
        output,
        checkpoint,
    };
    bar.set_message("exporting:");
    bar.set_position(listing.checkpoint.users_written);
    bar.reset_eta();
    listing.run(&bar).await?;
    bar.finish_and_clear();

    let Listing {
        output, checkpoint, ..
    } = listing;
    output.finish(request.out)?;
    if let Err(e) = std::fs::remove_file(&paths.checkpoint) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e).with_context(|| format!("cannot remove {}", paths.checkpoint.display()));
        }
    }
    Ok(Summary {
        out: request.out.to_owned(),
        users: checkpoint.users_written,
        users_this_run: checkpoint.users_written - users_before,
        pages: checkpoint.pages,
        statuses: checkpoint.statuses,
        skipped: checkpoint.skipped,
        counts: caller.counts(),
        elapsed: started.elapsed(),
        groups: memberships.map(|m| (m.groups(), m.members())),
        mfa: checkpoint.mfa.then(|| MfaSummary {
            users: checkpoint.mfa_users,
            methods: checkpoint.mfa_methods.clone(),
            not_found: checkpoint.mfa_not_found,
        }),
        custom_attributes,
    })
}

/// The checkpoint to resume from with `--resume`; without it, a refusal to overwrite an
/// unfinished export.
fn saved_checkpoint(request: &Request<'_>, paths: &Paths) -> Result<Option<Checkpoint>> {
    let exists = paths.checkpoint.exists();
    if !request.resume {
        if exists {
            bail!(
                "{} records an unfinished export: pass --resume to continue it, or delete it \
                 and {} to start over",
                paths.checkpoint.display(),
                paths.partial.display()
            );
        }
        return Ok(None);
    }
    if !exists {
        bail!(
            "nothing to resume: {} does not exist (an export removes it when it finishes)",
            paths.checkpoint.display()
        );
    }
    let checkpoint = Checkpoint::load(&paths.checkpoint)?;
    if checkpoint.user_pool_id != request.connection.user_pool_id {
        bail!(
            "{} is the checkpoint of user pool {}, not {}",
            paths.checkpoint.display(),
            checkpoint.user_pool_id,
            request.connection.user_pool_id
        );
    }
    for (flag, made_with, asked) in [
        ("--groups", checkpoint.groups, request.groups),
        ("--mfa", checkpoint.mfa, request.mfa.is_some()),
    ] {
        if made_with != asked {
            let with = if made_with { "with" } else { "without" };
            bail!(
                "{} was made {with} {flag}: resume {with} it",
                paths.checkpoint.display()
            );
        }
    }
    Ok(Some(checkpoint))
}

/// `the export stopped: 360 users from 6 pages are saved in users.json.partial; ...`: what an
/// interrupted export leaves and how to go on.
fn saved(checkpoint: &Checkpoint, partial: &Path) -> String {
    format!(
        "the export stopped: {} users from {} pages are saved in {}; run the same command \
         with --resume to continue",
        checkpoint.users_written,
        checkpoint.pages,
        partial.display()
    )
}

/// The ListUsers loop and what it writes to.
struct Listing<'a, 'r> {
    client: &'a Client,
    caller: &'a Caller<RealClock>,
    request: &'a Request<'r>,
    paths: &'a Paths,
    memberships: Option<&'a Memberships>,
    output: Output,
    checkpoint: Checkpoint,
}

impl Listing<'_, '_> {
    /// Reads pages until Cognito sends no token, writing and checkpointing each.
    async fn run(&mut self, bar: &indicatif::ProgressBar) -> Result<()> {
        let pool_id = self.request.connection.user_pool_id;
        // After the listing started over, the subs already in the file: those users are not
        // written again.
        let mut known = if self.checkpoint.skip_known {
            Some(known_subs(
                &self.paths.partial,
                self.checkpoint.partial_bytes,
            )?)
        } else {
            None
        };
        let mut started_over = false;
        loop {
            let token = self.checkpoint.pagination_token.clone();
            let result = self
                .caller
                .call(
                    Category::UserList,
                    || {
                        self.client
                            .list_users()
                            .user_pool_id(pool_id)
                            .limit(PAGE_SIZE)
                            .set_pagination_token(token.clone())
                            .send()
                    },
                    classify,
                )
                .await;
            let page = match result {
                Ok(page) => page,
                Err(gave_up)
                    if token.is_some() && !started_over && rejects_token(&gave_up.error) =>
                {
                    let subs = known_subs(&self.paths.partial, self.checkpoint.partial_bytes)?;
                    bar.suspend(|| {
                        eprintln!(
                            "cognito-fusionauth: Cognito no longer accepts the saved pagination \
                             token ({}); listing the pool again from the start, without the {} \
                             users already in {}",
                            describe(&gave_up.error),
                            subs.len(),
                            self.paths.partial.display()
                        );
                    });
                    known = Some(subs);
                    started_over = true;
                    self.checkpoint.skip_known = true;
                    self.checkpoint.pagination_token = None;
                    self.checkpoint.save(&self.paths.checkpoint)?;
                    continue;
                }
                Err(gave_up) => {
                    let page = self.checkpoint.pages + 1;
                    return Err(failed(&format!("ListUsers (page {page})"), gave_up)
                        .context(saved(&self.checkpoint, &self.paths.partial)));
                }
            };
            let users = self.new_users(page.users(), known.as_ref());
            let mfa = match self.request.mfa {
                Some(rate) => Some(self.read_mfa(&users, rate).await?),
                None => None,
            };
            self.write_page(&users, mfa.as_deref())?;
            bar.set_position(self.checkpoint.users_written);
            if self.request.mfa.is_some() {
                bar.set_message(format!(
                    "exporting ({} AdminGetUser):",
                    self.caller.counts().requests_of(Category::UserRead)
                ));
            }
            // The last page is not checkpointed: until the file is renamed, a resume reads it
            // again from the previous checkpoint instead of mistaking "no token" for "start".
            let Some(next) = page.pagination_token else {
                return Ok(());
            };
            self.checkpoint.pagination_token = Some(next);
            self.checkpoint.save(&self.paths.checkpoint)?;
            if self.request.stop_after_pages == Some(self.checkpoint.pages) {
                return Err(anyhow::anyhow!(
                    "stopped after {} pages as COGNITO_FUSIONAUTH_EXPORT_STOP_AFTER_PAGES asks",
                    self.checkpoint.pages
                )
                .context(saved(&self.checkpoint, &self.paths.partial)));
            }
        }
    }

    /// The users of a page that are not in `known`, counting the others as skipped.
    fn new_users<'u>(&mut self, users: &'u [UserType], known: Option<&Subs>) -> Vec<&'u UserType> {
        users
            .iter()
            .filter(|user| {
                let seen =
                    matches!((known, sub(user)), (Some(known), Some(sub)) if known.contains(sub));
                if seen {
                    self.checkpoint.skipped += 1;
                }
                !seen
            })
            .collect()
    }

    /// AdminGetUser for each of `users`, at `rate` requests per second.
    async fn read_mfa(&self, users: &[&UserType], rate: f64) -> Result<Vec<Mfa>> {
        let pool_id = self.request.connection.user_pool_id;
        mfa::fetch(
            self.client,
            self.caller,
            pool_id,
            users,
            mfa::in_flight(rate),
        )
        .await
        .map_err(|f| {
            let page = self.checkpoint.pages + 1;
            failed(
                &format!("AdminGetUser of user {:?} (page {page})", f.username),
                f.gave_up,
            )
            .context(saved(&self.checkpoint, &self.paths.partial))
        })
    }

    /// Writes one page's users, with their MFA settings when `mfa` has them (in the same
    /// order), and hands them to the operating system.
    fn write_page(&mut self, users: &[&UserType], mfa: Option<&[Mfa]>) -> Result<()> {
        let checkpoint = &mut self.checkpoint;
        for (i, user) in users.iter().enumerate() {
            let groups = self
                .memberships
                .map(|m| m.of(user.username().unwrap_or_default()));
            let mut exported = ExportedUser::new(user, groups);
            if let Some(mfa) = mfa.map(|m| &m[i]) {
                exported = exported.with_mfa(mfa);
                match mfa {
                    Mfa::NotFound => checkpoint.mfa_not_found += 1,
                    Mfa::Settings { methods, .. } => {
                        for method in methods {
                            *checkpoint.mfa_methods.entry(method.clone()).or_default() += 1;
                        }
                    }
                }
                if mfa.is_set_up() {
                    checkpoint.mfa_users += 1;
                }
            }
            self.output.write_user(&exported)?;
            checkpoint.users_written += 1;
            let status = user.user_status().map_or("", |s| s.as_str());
            *checkpoint.statuses.entry(status.to_owned()).or_default() += 1;
        }
        checkpoint.pages += 1;
        checkpoint.partial_bytes = self.output.flush()?;
        Ok(())
    }
}
