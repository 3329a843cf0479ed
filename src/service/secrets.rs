//! Argon2id hashes of client secrets (and, later, passwords), computed with
//! memory that each hashing thread allocates once and reuses: a login
//! storm costs no allocations, so the process does not grow with it (the
//! allocator would keep every freed 19 MiB block).

use std::cell::RefCell;

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

thread_local! {
    /// This thread's Argon2 memory, grown to the largest cost seen.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 with this thread's memory.
fn with_blocks<T>(params: &Params, work: impl FnOnce(&mut [Block]) -> T) -> T {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < params.block_count() {
            blocks.resize(params.block_count(), Block::default());
        }
        let count = params.block_count();
        work(&mut blocks[..count])
    })
}

/// The Argon2id hash (PHC string) of `secret`, with a new random salt and
/// the crate's default cost (19 MiB, 2 passes).
pub fn hash(secret: &str) -> String {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .expect("a generated salt decodes");
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    with_blocks(&params, |blocks| {
        argon
            .hash_password_into_with_memory(secret.as_bytes(), salt_bytes, &mut out, blocks)
            .expect("Argon2id with default parameters")
    });
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("default parameters"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("a 32-byte output")),
    }
    .to_string()
}

/// A random password of 20 characters from an alphabet without look-alikes
/// (about 112 bits), for a person to change at first sign-in.
pub fn random_password() -> String {
    random_from(
        b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
        20,
    )
}

/// `len` characters drawn at random (the OS's generator) from `alphabet`.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// 32 random bytes, hex: a session id or a CSRF token.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `secret` matches the Argon2 hash `phc` (false for anything that
/// is not a well-formed Argon2 hash). The comparison is constant-time.
pub fn verify(secret: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_blocks(&params, |blocks| {
        argon.hash_password_into_with_memory(secret.as_bytes(), salt_bytes, &mut out, blocks)
    });
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        let ours = hash("s3cret");
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"s3cret", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"other", &parsed)
            .is_err());

        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        assert!(verify("s3cret", &theirs));
        assert!(!verify("other", &theirs));
        assert!(verify("s3cret", &ours));
        assert!(!verify("s3cret", "not a hash"));
        assert!(!verify(
            "s3cret",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"
        ));
    }
}
