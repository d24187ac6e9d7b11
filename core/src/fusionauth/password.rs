//! The random placeholder password bulk-imported users get until they reset it.
//!
//! Cognito cannot export password hashes. Each user gets 32 random bytes declared as a hash
//! under a real scheme with a random salt: no password can match it, and FusionAuth does not
//! spend time hashing it on import.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::ImportUser;
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

/// Sets `password`, `salt`, `encryptionScheme` and `factor` to a random placeholder.
pub fn placeholder_password(
    user: &mut ImportUser,
    scheme: &PasswordScheme,
    random: &mut dyn RandomSource,
) {
    let mut bytes = [0u8; 48];
    random.fill(&mut bytes);
    user.password = Some(BASE64.encode(&bytes[..32]));
    user.salt = Some(BASE64.encode(&bytes[32..]));
    user.encryption_scheme = Some(scheme.encryption_scheme.clone());
    user.factor = Some(scheme.factor);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_salt_are_base64_of_the_random_bytes() {
        let mut user = ImportUser::default();
        let mut counter = 0u8;
        let mut random = |buf: &mut [u8]| {
            for b in buf {
                *b = counter;
                counter = counter.wrapping_add(1);
            }
        };
        placeholder_password(&mut user, &PasswordScheme::default(), &mut random);
        let password = BASE64.decode(user.password.unwrap()).unwrap();
        let salt = BASE64.decode(user.salt.unwrap()).unwrap();
        assert_eq!(password, (0..32).collect::<Vec<u8>>());
        assert_eq!(salt, (32..48).collect::<Vec<u8>>());
        assert_eq!(
            user.encryption_scheme.as_deref(),
            Some("salted-pbkdf2-hmac-sha256")
        );
    }
}
