//! The Connector response: one Cognito user (GetUser / AdminGetUser) as FusionAuth's Generic
//! Connector expects it, `{"user": {...}}`, mapped exactly like the bulk conversion.

use serde::Serialize;
use serde_json::Value;

use crate::cognito::read_export;
use crate::error::{Error, Position, Result};
use crate::fusionauth::ImportUser;
use crate::rules::{MappedUser, Mapper};
use crate::validate::UserFinding;

/// The body a Generic Connector returns with status 200.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorResponse {
    /// The user FusionAuth creates or authenticates.
    pub user: ImportUser,
    /// Findings about the user (not part of the HTTP body FusionAuth reads; for logs).
    #[serde(skip)]
    pub findings: Vec<UserFinding>,
}

/// Maps one GetUser/AdminGetUser response to a connector response. `migrated_date` is the
/// current time as the caller formats it (the core reads no clock); it goes to
/// `data.migratedDate`, with `data.migratedFrom = "cognito"`.
///
/// # Errors
/// A read error when `bytes` is not exactly one Cognito user.
pub fn connector_user(
    name: &str,
    bytes: &[u8],
    mapper: &Mapper,
    migrated_date: &str,
) -> Result<ConnectorResponse> {
    let mut mapped: Vec<MappedUser> = Vec::new();
    let summary = read_export(name, 0, bytes, &mut |u, _| mapped.push(mapper.map(&u)))?;
    if mapped.len() != 1 {
        return Err(Error::read(
            Position {
                file: name.to_owned(),
                ..Position::default()
            },
            None,
            format!(
                "expected exactly one user (a GetUser or AdminGetUser response), found {}",
                summary.users
            ),
        ));
    }
    let MappedUser {
        mut user, findings, ..
    } = mapped.remove(0);
    let settings = &mapper.rules().settings;
    user.tenant_id = settings.tenant_id.clone();
    user.registrations = settings.user_registrations();
    user.data
        .insert("migratedFrom".into(), Value::String("cognito".into()));
    user.data.insert(
        "migratedDate".into(),
        Value::String(migrated_date.to_owned()),
    );
    Ok(ConnectorResponse { user, findings })
}
