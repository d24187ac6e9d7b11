//! The third pass of a streamed conversion: every block read back in order, the output files
//! written in pieces.

use super::block::records;
use super::damaged;
use crate::error::Result;
use crate::output::{Completion, OutputPiece, RandomSource, StreamWriter, Watch};
use crate::packed_user::PackedUser;
use crate::report::{Finding, Report};

/// The checks done: the report (but for its findings, which come with the output).
#[derive(Debug)]
pub struct Resolved {
    pub(super) report: Report,
    pub(super) file_findings: Vec<Finding>,
    pub(super) names: Vec<String>,
    /// The gathered users after the checks, by position.
    pub(super) resolved: Vec<(u64, PackedUser)>,
    pub(super) users: u64,
    pub(super) completion: Completion,
}

impl Resolved {
    /// The report: summary, excluded users and duplicate groups. Its `issues` are empty: the
    /// findings are written into `report.json` as the users pass.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// True when error findings block the output: only `report.json` is written.
    pub fn blocked(&self) -> bool {
        self.report.summary.blocked
    }

    /// The third pass: hand back every block in order to the returned output. Each
    /// imported user gets a placeholder password from `random` as its file is built.
    pub fn output<'r>(self, random: impl RandomSource + 'r) -> StreamOutput<'r> {
        self.writing(Some(Box::new(random)), None)
    }

    /// As [`output`](Self::output), handing `watch` each finding of the report as it is
    /// written (what a page shows of the report, without reading `report.json` back).
    pub fn output_watched<'r>(
        self,
        random: impl RandomSource + 'r,
        watch: impl FnMut(&Finding) + 'r,
    ) -> StreamOutput<'r> {
        self.writing(Some(Box::new(random)), Some(Box::new(watch)))
    }

    /// The third pass for `report.json` alone (a validation that writes no import files).
    pub fn report_output(self) -> StreamOutput<'static> {
        self.writing(None, None)
    }

    fn writing<'r>(
        self,
        random: Option<Box<dyn RandomSource + 'r>>,
        watch: Option<Watch<'r>>,
    ) -> StreamOutput<'r> {
        let mut writer = StreamWriter::new(self.names, &self.report, self.completion, random);
        if let Some(watch) = watch {
            writer.watch(watch);
        }
        let mut early = Vec::new();
        for f in &self.file_findings {
            writer.finding(f, &mut |p| early.push(p));
        }
        StreamOutput {
            writer,
            early,
            resolved: self.resolved.into_iter().peekable(),
            position: 0,
            users: self.users,
            scratch: Vec::new(),
        }
    }
}

/// The third pass: every block in, the output files out in pieces.
pub struct StreamOutput<'r> {
    writer: StreamWriter<'r>,
    /// Pieces written before the first user (the file findings), handed out with it.
    early: Vec<OutputPiece>,
    resolved: std::iter::Peekable<std::vec::IntoIter<(u64, PackedUser)>>,
    position: u64,
    users: u64,
    /// Where a compressed block is opened.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for StreamOutput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamOutput")
            .field("position", &self.position)
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

impl StreamOutput<'_> {
    /// Takes the next block, handing `emit` the pieces of output it completes.
    ///
    /// # Errors
    /// More users than were read, or a block the spool damaged.
    pub fn block(&mut self, block: &[u8], emit: &mut dyn FnMut(OutputPiece)) -> Result<()> {
        for piece in self.early.drain(..) {
            emit(piece);
        }
        let (base, records) = records(block, &mut self.scratch)?;
        for record in records {
            let record = record?;
            if self.position >= self.users {
                return Err(damaged("more users than were read".into()));
            }
            let r = match self.resolved.next_if(|(p, _)| *p == self.position) {
                Some((_, r)) => r,
                None => PackedUser::from_spool(record, base).map_err(damaged)?,
            };
            self.position += 1;
            self.writer.user(r, emit);
        }
        Ok(())
    }

    /// Users handed back so far.
    pub fn users_written(&self) -> u64 {
        self.position
    }

    /// Completes every file after the last user.
    ///
    /// # Errors
    /// Fewer users handed back than were read.
    pub fn finish(mut self, emit: &mut dyn FnMut(OutputPiece)) -> Result<()> {
        if self.position != self.users {
            return Err(damaged(format!(
                "{} of {} users handed back",
                self.position, self.users
            )));
        }
        for piece in self.early.drain(..) {
            emit(piece);
        }
        self.writer.finish(emit);
        Ok(())
    }
}
