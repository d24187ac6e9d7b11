//! The run's marker: `push` writes `data.cognitoFusionauthRun = <the run's UUID>` into every
//! user it sends, so that a user FusionAuth holds counts as the run's only on evidence the
//! run controls — never because a user with the same id is there (the Connector, another
//! tool, a person or another run may have made it). The import files stay as `convert` wrote
//! them: the marker is inserted into each user's bytes as the request is built, nothing else
//! is re-serialized.

use serde::Deserialize;
use serde_json::value::RawValue;

pub use crate::fusionauth::RUN_MARKER;

/// A fresh run marker: a version-4 UUID of 16 bytes drawn from `random` (a CSPRNG the
/// transport hands in), for [`Options::run_id`](super::Options::run_id).
pub fn new_run_id(random: &mut dyn crate::output::RandomSource) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Appends `user` (one user object of an import file) to `out` with `"cognitoFusionauthRun":
/// "<run>"` as the first key of its `data` (a `data` object is added when it has none).
///
/// # Errors
/// The user is not a JSON object, or its `data` is not an object.
pub(crate) fn stamp_user(user: &[u8], run: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let probe: Probe<'_> =
        serde_json::from_slice(user).map_err(|e| format!("not a user object: {e}"))?;
    let field = format!("\"{RUN_MARKER}\":\"{run}\"");
    match probe.data {
        Some(raw) => {
            let text = raw.get();
            if !text.starts_with('{') {
                return Err("its data is not an object".into());
            }
            // The object's `{` lies inside `user`: RawValue borrows from it.
            let at = text.as_ptr() as usize - user.as_ptr() as usize + 1;
            out.extend_from_slice(&user[..at]);
            out.extend_from_slice(field.as_bytes());
            if !text[1..].trim_start().starts_with('}') {
                out.push(b',');
            }
            out.extend_from_slice(&user[at..]);
        }
        None => {
            let end = user
                .iter()
                .rposition(|&b| b == b'}')
                .ok_or("not a user object")?;
            out.extend_from_slice(&user[..end]);
            if user[..end]
                .iter()
                .any(|b| !b.is_ascii_whitespace() && *b != b'{')
            {
                out.push(b',');
            }
            out.extend_from_slice(b"\"data\":{");
            out.extend_from_slice(field.as_bytes());
            out.push(b'}');
            out.extend_from_slice(&user[end..]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const RUN: &str = "0f0e0d0c-0b0a-4908-8706-050403020100";

    fn stamped(user: &str) -> Value {
        let mut out = Vec::new();
        stamp_user(user.as_bytes(), RUN, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_marker_joins_data_and_nothing_else_changes() {
        let user = r#"{"id":"a","data":{"cognito":{"username":"ann"},"x":"{\"data\":{}}"},"password":"p"}"#;
        let mut want: Value = serde_json::from_str(user).unwrap();
        want["data"][RUN_MARKER] = json!(RUN);
        assert_eq!(stamped(user), want);
        assert_eq!(
            stamped(r#"{"id":"a","data" : { } }"#),
            json!({"id": "a", "data": {RUN_MARKER: RUN}})
        );
        assert_eq!(
            stamped(r#"{"id":"a","email":"a@x.io"}"#),
            json!({"id": "a", "email": "a@x.io", "data": {RUN_MARKER: RUN}})
        );
        // A nested object named data, or text that looks like one, is not the user's data.
        assert_eq!(
            stamped(r#"{"registrations":[{"data":{"k":1}}],"id":"a"}"#),
            json!({"registrations": [{"data": {"k": 1}}], "id": "a", "data": {RUN_MARKER: RUN}})
        );
    }

    #[test]
    fn run_ids_are_uuids_of_the_random_bytes() {
        let mut random = |buf: &mut [u8]| buf.fill(0xab);
        let id = new_run_id(&mut random);
        assert_eq!(id, "abababab-abab-4bab-abab-abababababab");
        assert!(crate::fields::is_uuid(&id));
    }

    #[test]
    fn a_user_that_is_not_an_object_is_an_error() {
        let mut out = Vec::new();
        assert!(stamp_user(br#"{"data":"text"}"#, RUN, &mut out).is_err());
        assert!(stamp_user(b"[1]", RUN, &mut out).is_err());
        assert!(stamp_user(b"{\"id\":", RUN, &mut out).is_err());
    }
}
