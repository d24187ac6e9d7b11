//! Validation: checks of single values, of single users, and across all users.

pub(crate) mod duplicates;
pub(crate) mod user;

pub use crate::finding::UserFinding;
