//! Carrying the core's delivery protocol to FusionAuth: the folder, the journal file, the
//! HTTP transport, and the loop that runs a session. No decision about what an answer means
//! is made here: the core's [`Session`](cognito_fusionauth::delivery::Session) makes them all.

mod folder;
mod journal;
mod run;
mod transport;

pub(crate) use folder::{push_dir, read_plan};
pub(crate) use journal::JournalFile;
pub(crate) use run::{drive, now, Confirmation};
pub(crate) use transport::{api_key, Transport};
