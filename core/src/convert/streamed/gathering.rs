//! The second pass of a streamed conversion: the users that may share a value with another,
//! read back, and the checks across users run on them alone.

use std::collections::BTreeMap;

use super::block::records;
use super::damaged;
use super::writing::Resolved;
use crate::cognito::FileSummary;
use crate::error::Result;
use crate::output::Completion;
use crate::packed_user::PackedUser;
use crate::report::{excluded_user, is_superseded, summary, Finding, Report, Tally, Totals};
use crate::rules::Mapper;
use crate::validate::duplicates::resolve;

/// The second pass: the blocks holding users that may share a value with another, handed
/// back.
pub struct Gathering {
    pub(super) mapper: Mapper,
    pub(super) files: Vec<FileSummary>,
    pub(super) file_findings: Vec<Finding>,
    pub(super) users: u64,
    pub(super) tally: Tally,
    pub(super) links: u64,
    pub(super) unmapped_groups: BTreeMap<String, u64>,
    /// Positions of the users wanted, ascending.
    pub(super) wanted_users: Vec<u64>,
    /// The blocks that hold them, with the position of each block's first user.
    pub(super) wanted_blocks: Vec<(u64, u64)>,
    /// The same blocks' numbers.
    pub(super) wanted: Vec<u64>,
    /// Blocks handed back so far.
    pub(super) taken: usize,
    pub(super) gathered: Vec<PackedUser>,
    /// Where a compressed block is opened.
    pub(super) scratch: Vec<u8>,
}

impl std::fmt::Debug for Gathering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gathering")
            .field("users", &self.users)
            .field("wanted", &self.wanted_users.len())
            .finish_non_exhaustive()
    }
}

impl Gathering {
    /// The blocks (numbered from 0 in the order they were pushed, ascending) to hand back
    /// with [`take`](Self::take), in that order. Often none.
    pub fn wanted(&self) -> &[u64] {
        &self.wanted
    }

    /// Takes the next wanted block.
    ///
    /// # Errors
    /// More blocks than wanted, or one the spool damaged.
    pub fn take(&mut self, block: &[u8]) -> Result<()> {
        let Some(&(_, start)) = self.wanted_blocks.get(self.taken) else {
            return Err(damaged("more blocks than wanted".into()));
        };
        self.taken += 1;
        let (base, records) = records(block, &mut self.scratch)?;
        for (i, record) in records.enumerate() {
            let record = record?;
            let wanted = self.wanted_users.get(self.gathered.len()).copied();
            if wanted == Some(start + i as u64) {
                self.gathered
                    .push(PackedUser::from_spool(record, base).map_err(damaged)?);
            }
        }
        Ok(())
    }

    /// Runs the checks across users on the gathered users and builds the report (its
    /// findings come with the output).
    ///
    /// # Errors
    /// Fewer users handed back than wanted.
    pub fn resolve(mut self) -> Result<Resolved> {
        if self.taken != self.wanted_blocks.len() || self.gathered.len() != self.wanted_users.len()
        {
            return Err(damaged(format!(
                "{} of {} wanted users handed back",
                self.gathered.len(),
                self.wanted_users.len()
            )));
        }
        let settings = &self.mapper.rules().settings;
        let names: Vec<String> = self.files.iter().map(|f| f.name.clone()).collect();
        // Their findings change: count them again once the checks ran.
        for r in &self.gathered {
            for f in r.findings() {
                self.tally.remove(f.severity, f.code);
            }
        }
        let duplicates = resolve(&mut self.gathered, settings.on_duplicate, &names);
        let mut excluded = Vec::new();
        for r in &self.gathered {
            if !is_superseded(r) {
                for f in r.findings() {
                    self.tally.add(f.severity, f.code, "");
                }
            }
            if let Some(e) = excluded_user(&names, r) {
                self.links -= r.links().len() as u64;
                excluded.push(e);
            }
        }
        let mut tally = Tally::default();
        for f in &self.file_findings {
            tally.add(f.severity, f.code, &f.file);
        }
        tally.merge(self.tally);
        let blocked = tally.blocks();
        let summary = summary(Totals {
            settings,
            files: self.files,
            users_read: self.users,
            excluded: excluded.len() as u64,
            imported: if blocked {
                0
            } else {
                self.users - excluded.len() as u64
            },
            links: if blocked { 0 } else { self.links },
            tally,
            unmapped_groups: self.unmapped_groups,
        });
        Ok(Resolved {
            report: Report {
                summary,
                issues: Vec::new(),
                excluded,
                duplicates,
            },
            file_findings: self.file_findings,
            names,
            resolved: self.wanted_users.into_iter().zip(self.gathered).collect(),
            users: self.users,
            completion: Completion::new(settings),
        })
    }
}
