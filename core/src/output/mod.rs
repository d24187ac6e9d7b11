//! The FusionAuth files, the end of the conversion: Import API chunks (each user with its
//! random placeholder password), `login-ids.txt`, `links.json` and `report.json`.

mod password;
mod stream;
mod write;

pub use password::RandomSource;
pub use stream::OutputPiece;
pub(crate) use stream::{StreamWriter, Watch};
pub use write::OutputFile;
pub(crate) use write::{write_outputs, Completion};
