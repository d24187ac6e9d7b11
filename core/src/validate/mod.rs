//! Validation: checks of single values, of single users, and across all users.

pub(crate) mod duplicates;
pub mod fields;
mod timezones;
pub(crate) mod user;

pub use user::UserFinding;
