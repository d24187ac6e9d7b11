//! When reading an export or a rules file goes wrong.
//!
//! Problems with single users (a bad email, a duplicate) are not errors: they are
//! [`Finding`](crate::Finding)s in the report. An [`Error`] means the run cannot go on:
//! an input file that is not a Cognito export, or a rules file that does not make sense.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Where in an input file an error happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The input file's name, as the caller gave it.
    pub file: String,
    /// Line in the file, counted from 1 (0 when unknown).
    pub line: u64,
    /// Column in that line, counted from 1 (0 when unknown).
    pub column: u64,
    /// The user within the file, counted from 0, when the error is inside one user.
    pub user_index: Option<u64>,
    /// That user's Cognito `Username`, when it was read before the error.
    pub username: Option<String>,
}

/// What kind of problem an [`Error`] is; callers branch on this, never on message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An input file could not be read as any Cognito export shape.
    Read {
        /// Where it happened.
        pos: Position,
        /// The field involved, when there is one.
        field: Option<String>,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The mapping rules are invalid.
    Rules {
        /// The JSON path of the offending setting, e.g. `attributes[3].target`.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The arguments of an operation are out of range (e.g. an estimate's probability).
    Argument {
        /// What was wrong.
        message: String,
    },
}

/// The broad class of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Input data could not be read.
    Input,
    /// The rules or settings are invalid.
    Rules,
    /// An argument is out of range.
    Argument,
}

/// An error that stops a run; see the module docs.
// Boxed so that `Result<T>` stays one pointer wide on the hot path.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorKind>);

impl Error {
    pub(crate) fn read(pos: Position, field: Option<&str>, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorKind::Read {
            pos,
            field: field.map(str::to_owned),
            message: message.into(),
        }))
    }

    pub(crate) fn rules(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorKind::Rules {
            path: path.into(),
            message: message.into(),
        }))
    }

    pub(crate) fn argument(message: impl Into<String>) -> Self {
        Self(Box::new(ErrorKind::Argument {
            message: message.into(),
        }))
    }

    /// Moves a read error's position (one found in a slice of a file, placed in the file).
    pub(crate) fn map_position(mut self, f: impl FnOnce(&mut Position)) -> Self {
        if let ErrorKind::Read { pos, .. } = &mut *self.0 {
            f(pos);
        }
        self
    }

    /// The error of `kind` (one sent from another worker).
    pub(crate) fn of_kind(kind: ErrorKind) -> Self {
        Self(Box::new(kind))
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Where in an input file the error happened, for read errors.
    pub fn position(&self) -> Option<&Position> {
        match &*self.0 {
            ErrorKind::Read { pos, .. } => Some(pos),
            _ => None,
        }
    }

    /// The broad class of this error.
    pub fn classify(&self) -> Category {
        match &*self.0 {
            ErrorKind::Read { .. } => Category::Input,
            ErrorKind::Rules { .. } => Category::Rules,
            ErrorKind::Argument { .. } => Category::Argument,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Read {
                pos,
                field,
                message,
            } => {
                write!(f, "{}", pos.file)?;
                if let Some(index) = pos.user_index {
                    write!(f, ": user {index}")?;
                    if let Some(name) = &pos.username {
                        write!(f, " ({name:?})")?;
                    }
                }
                match (pos.line, pos.column) {
                    (0, _) => {}
                    (line, 0) => write!(f, " (line {line})")?,
                    (line, column) => write!(f, " (line {line}, column {column})")?,
                }
                if let Some(field) = field {
                    write!(f, ", field {field:?}")?;
                }
                write!(f, ": {message}")
            }
            ErrorKind::Rules { path, message } => write!(f, "rules: {path}: {message}"),
            ErrorKind::Argument { message } => f.write_str(message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self})")
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_error_names_file_user_line_and_field() {
        let pos = Position {
            file: "users.csv".into(),
            line: 14,
            column: 3,
            user_index: Some(12),
            username: Some("bob".into()),
        };
        let e = Error::read(pos, Some("email"), "expected a string");
        assert_eq!(
            e.to_string(),
            "users.csv: user 12 (\"bob\") (line 14, column 3), field \"email\": expected a string"
        );
        assert_eq!(e.classify(), Category::Input);
        assert_eq!(e.position().unwrap().line, 14);
    }
}
