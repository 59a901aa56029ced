//! Bearer-token check for the HTTP endpoints, in constant time.

use crate::settings::Secret;

/// Whether an `Authorization` header value carries `token`. Compares in time independent of where the
/// bytes differ, so the token cannot be guessed byte by byte from response times.
pub fn authorized(header: Option<&[u8]>, token: &Secret) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    constant_time_eq(given.trim_ascii(), token.expose().as_bytes())
}

/// Equality whose running time depends only on the lengths (`subtle`, already in the build through rustls).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_exact_bearer_token() {
        let token = Secret::new("s3cret");
        assert!(authorized(Some(b"Bearer s3cret"), &token));
        assert!(!authorized(Some(b"Bearer s3cre"), &token));
        assert!(!authorized(Some(b"Bearer s3cretX"), &token));
        assert!(!authorized(Some(b"Basic s3cret"), &token));
        assert!(!authorized(Some(b"Bearer "), &token));
        assert!(!authorized(None, &token));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(!constant_time_eq(b"a", b""));
    }
}
