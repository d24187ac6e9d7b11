//! The console's sections, one file each; their logic lives in the modules beside them.

pub mod downloads;
pub mod estimate;
pub mod load;
pub mod map_editor;
pub mod preview;
pub mod rules_table;
pub mod send;
pub mod settings;
pub mod status;
pub mod validation;

pub use downloads::Downloads;
pub use estimate::Estimate;
pub use load::Load;
pub use preview::Preview;
pub use rules_table::RulesTable;
pub use send::SendToFusionAuth;
pub use settings::Settings;
pub use status::StatusBar;
pub use validation::Validation;
