//! Loading rules and reading input files for the commands.

use std::path::Path;

use anyhow::{Context, Result};
use cognito_fusionauth::rules::Registration;
use cognito_fusionauth::{Mapper, Rules};

use crate::args::RuleArgs;

/// The rules file (or the defaults) with the command-line overrides applied, compiled.
pub(crate) fn mapper(args: &RuleArgs) -> Result<Mapper> {
    let mut rules = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            Rules::from_json(&text)
                .with_context(|| format!("invalid rules file {}", path.display()))?
        }
        None => Rules::defaults(),
    };
    let s = &mut rules.settings;
    if let Some(t) = &args.tenant_id {
        s.tenant_id = Some(t.clone());
    }
    for app in &args.application_ids {
        if !s.registrations.iter().any(|r| &r.application_id == app) {
            s.registrations.push(Registration {
                application_id: app.clone(),
                roles: Vec::new(),
            });
        }
    }
    if let Some(n) = args.chunk_size {
        s.chunk_size = n;
    }
    if let Some(p) = args.on_duplicate {
        s.on_duplicate = p.into();
    }
    Ok(rules.compile()?)
}

/// The display name of an input file: its path as given.
pub(crate) fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads an input file whole.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
