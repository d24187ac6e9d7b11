//! Maps Amazon Cognito user exports to FusionAuth.
//!
//! One data path serves every front of the product (CLI, WASM package, console, Lambda):
//!
//! 1. [`read_export`] detects the shape of an export file (list-users pages, AdminGetUser /
//!    GetUser, arrays, JSON Lines, import CSV) and yields [`CognitoUser`]s;
//! 2. [`Rules`] (editable JSON) compile into a [`Mapper`] that turns a Cognito user into a
//!    FusionAuth [`ImportUser`], keeping every value it cannot place in `user.data`;
//! 3. a [`Converter`] validates across all users (duplicate emails first of all) and applies
//!    the duplicate policy;
//! 4. the [`Conversion`] yields the output files: Import API chunks, `login-ids.txt`,
//!    `links.json` and `report.json`. For pools larger than memory, a [`StreamConverter`]
//!    does the same in bounded memory: it reads files whole or in slices ([`SlicedExport`]),
//!    hands the mapped users to the caller's [`Spool`], keeps a hashed index of their keys,
//!    and writes the same files in [`OutputPiece`]s;
//! 5. [`delivery`] pushes those files into FusionAuth: a protocol that says which request to
//!    send next and takes each answer, carried by the CLI (and the console).
//!
//! [`preview`] maps one user on its own (the console's preview), [`connector_user`] maps one
//! user for the Generic Connector, and [`estimate`] /
//! [`days_to_reach`] compute the slow-migration estimate.
//!
//! The crate does no I/O and reads no clock or RNG: callers hand it bytes, the current time
//! and a [`RandomSource`].
//!
//! # Example
//! ```
//! use cognito_fusionauth::{Converter, Rules};
//!
//! let export = br#"{"Users": [{"Username": "jane", "Enabled": true, "UserStatus": "CONFIRMED",
//!     "UserCreateDate": 1682955829.578,
//!     "Attributes": [{"Name": "sub", "Value": "4320de44-2322-4620-999b-5e2e1c8df013"},
//!                    {"Name": "email", "Value": "jane@example.com"},
//!                    {"Name": "custom:plan", "Value": "pro"}]}]}"#;
//! let mapper = Rules::defaults().compile()?;
//! let mut converter = Converter::new(&mapper);
//! converter.add_file("users.json", export)?;
//! let conversion = converter.finish();
//! assert!(!conversion.blocked());
//! let user = conversion.users().next().unwrap();
//! assert_eq!(user["email"], "jane@example.com");
//! assert_eq!(user["data"]["custom"]["plan"], "pro");
//! // Placeholder passwords take bytes from a CSPRNG; a constant will do for the example.
//! let mut random = |buf: &mut [u8]| buf.fill(7);
//! let names: Vec<String> = conversion.files(&mut random).map(|f| f.name).collect();
//! assert_eq!(names, ["users-0001.json", "login-ids.txt", "links.json", "report.json"]);
//! # Ok::<(), cognito_fusionauth::Error>(())
//! ```

pub mod cognito;
mod connector;
mod convert;
mod dates;
pub mod delivery;
mod error;
mod estimate;
pub mod fields;
mod finding;
pub mod fusionauth;
mod output;
mod packed_user;
mod preview;
pub mod report;
pub mod rules;
pub mod validate;
#[cfg(feature = "wasm")]
pub mod wasm;
#[cfg(all(feature = "wasm-alloc", target_arch = "wasm32"))]
mod wasm_alloc;

pub use cognito::{read_export, CognitoUser, FileSummary, Shape, SlicedExport};
pub use connector::{connector_user, ConnectorResponse};
pub use convert::{
    map_unit, map_unit_watched, Conversion, Converter, Gathering, Resolved, Spool, StreamConverter,
    StreamOutput, Watch,
};
pub use error::{Category, Error, ErrorKind, Position, Result};
pub use estimate::{days_to_reach, estimate};
pub use fusionauth::{Data, DataValue, ImportUser};
pub use output::{OutputFile, OutputPiece, RandomSource};
pub use preview::{preview, Preview};
pub use report::{Code, Finding, Report, Severity};
pub use rules::{DuplicatePolicy, Mapper, Rules};
