//! The Connector response: one Cognito user (GetUser / AdminGetUser) as FusionAuth's Generic
//! Connector expects it, `{"user": {...}}`, mapped exactly like the bulk conversion.

use std::borrow::Cow;

use serde::Serialize;

use crate::cognito::read_export;
use crate::error::{Error, Position, Result};
use crate::finding::UserFinding;
use crate::fusionauth::{DataValue, ImportUser};
use crate::rules::{MappedUser, Mapper};
use crate::validate::user::checked;

/// The body a Generic Connector returns with status 200.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorResponse {
    /// The user FusionAuth creates or authenticates.
    pub user: ImportUser<'static>,
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
    let mut users = Vec::new();
    let summary = read_export(name, 0, bytes, &mut |u, _| users.push(u))?;
    if users.len() != 1 {
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
    let MappedUser { user, findings, .. } = checked(mapper, &users[0]);
    let mut user = user.into_owned();
    let settings = &mapper.rules().settings;
    user.tenant_id = settings.tenant_id.clone().map(Cow::Owned);
    user.registrations = settings.user_registrations();
    user.data
        .insert("migratedFrom".into(), DataValue::from("cognito"));
    user.data.insert(
        "migratedDate".into(),
        DataValue::Text(Cow::Owned(migrated_date.to_owned())),
    );
    Ok(ConnectorResponse { user, findings })
}
