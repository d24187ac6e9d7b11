//! The random placeholder password bulk-imported users get until they reset it.
//!
//! Cognito cannot export password hashes. Each user gets 32 random bytes declared as a hash
//! under a real scheme with a random salt: no password can match it, and FusionAuth does not
//! spend time hashing it on import.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use crate::rules::PasswordScheme;

/// A source of cryptographically secure random bytes, handed in by the caller (the core
/// reads no RNG itself). The CLI uses the operating system's CSPRNG, the WASM build
/// `crypto.getRandomValues`.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}

/// `,"encryptionScheme":…,"factor":…`: the part of the placeholder password fields that is the
/// same for every user, made once per run.
pub(crate) fn scheme_fields(scheme: &PasswordScheme) -> Vec<u8> {
    // Scheme names are plain text; serializing a string cannot fail.
    let name = serde_json::to_string(&scheme.encryption_scheme).unwrap_or_default();
    format!(",\"encryptionScheme\":{name},\"factor\":{}", scheme.factor).into_bytes()
}

/// The placeholder password fields, `"password":…,"salt":…` followed by `scheme` (from
/// [`scheme_fields`]), drawing 48 bytes from `random`.
pub(crate) fn placeholder_fields(scheme: &[u8], random: &mut dyn RandomSource, out: &mut Vec<u8>) {
    let mut bytes = [0u8; 48];
    random.fill(&mut bytes);
    // Base64 of 32 bytes is 44 characters, of 16 bytes 24.
    let mut text = [0u8; 44];
    out.extend_from_slice(b"\"password\":\"");
    let n = BASE64.encode_slice(&bytes[..32], &mut text).unwrap_or(0);
    out.extend_from_slice(&text[..n]);
    out.extend_from_slice(b"\",\"salt\":\"");
    let n = BASE64.encode_slice(&bytes[32..], &mut text).unwrap_or(0);
    out.extend_from_slice(&text[..n]);
    out.push(b'"');
    out.extend_from_slice(scheme);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusionauth::ImportUser;

    #[test]
    fn password_and_salt_are_base64_of_the_random_bytes() {
        let mut counter = 0u8;
        let mut random = |buf: &mut [u8]| {
            for b in buf {
                *b = counter;
                counter = counter.wrapping_add(1);
            }
        };
        let mut out = b"{".to_vec();
        placeholder_fields(
            &scheme_fields(&PasswordScheme::default()),
            &mut random,
            &mut out,
        );
        out.push(b'}');
        let user: ImportUser<'_> = serde_json::from_slice(&out).unwrap();
        let password = BASE64.decode(user.password.unwrap()).unwrap();
        let salt = BASE64.decode(user.salt.unwrap()).unwrap();
        assert_eq!(password, (0..32).collect::<Vec<u8>>());
        assert_eq!(salt, (32..48).collect::<Vec<u8>>());
        assert_eq!(
            user.encryption_scheme.as_deref(),
            Some("salted-pbkdf2-hmac-sha256")
        );
        assert_eq!(user.factor, Some(24_000));
    }
}
