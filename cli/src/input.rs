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
        s.on_duplicate = p;
    }
    Ok(rules.compile()?)
}

/// The display name of an input file: its path as given.
pub(crate) fn name(path: &Path) -> String {
    path.display().to_string()
}

/// An input file's bytes: mapped into memory when it is a regular file, read otherwise.
#[derive(Debug)]
pub(crate) enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// Opens an input file whole. A regular file is mapped (read ahead by the kernel in one go);
/// an empty file, a pipe or a file that cannot be mapped is read.
pub(crate) fn read(path: &Path) -> Result<Bytes> {
    let context = || format!("cannot read {}", path.display());
    let file = std::fs::File::open(path).with_context(context)?;
    let regular = file.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
    if regular {
        // SAFETY: the map is only read. Were the file truncated by another process while we
        // read it, the process would get SIGBUS: an export is not written while converted.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return Ok(Bytes::Mapped(map));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).with_context(context)?;
    Ok(Bytes::Read(bytes))
}
