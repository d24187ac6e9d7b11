//! Delivery to FusionAuth: the protocol `push`, `verify` and `undo` run, with no I/O.
//!
//! The last stage of the data path: it reads what `convert` wrote ([`PlanBuilder`]) and the
//! journal of earlier attempts ([`read_journal`]), and a [`Session`] says which request to
//! send next and takes each answer. The command line and the console only carry requests,
//! so both behave the same by construction. The protocol follows FusionAuth's documented
//! behaviour (see the README's "Push to FusionAuth"): imports one at a time and verified by
//! id, since an import's 200 has no body and a lost answer says nothing; a refused batch
//! narrowed down to the users FusionAuth refuses; nothing sent twice once FusionAuth has it.

mod http;
mod ids;
mod journal;
mod plan;
mod report;
mod session;
mod stamp;

pub use http::{base_url, Answer, ApiErrors, Method, Patience, Request, UrlProblem};
pub use ids::UserId;
pub use journal::{
    journal_kept_len, journal_line, read_journal, Event, JournalState, ResetOutcome, RunTarget,
};
pub use plan::{is_import_file, user_spans, Plan, PlanBuilder, PlanFile, PlannedUser, UserView};
pub use report::{
    Counts, LinkIssue, Mismatch, PushReport, ResetIssue, RunStatus, StepReport, StepTiming,
    UserIssue,
};
pub use session::{Action, Command, Options, Progress, Session};
pub use stamp::{new_run_id, RUN_MARKER};
