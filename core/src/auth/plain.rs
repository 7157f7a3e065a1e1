//! SASL PLAIN (RFC 4616): one message, `[authzid] NUL authcid NUL passwd`, checked against the
//! role's SCRAM verifier by the caller.
//!
//! Owns: parsing the message. The password is returned to be checked and then dropped; it is
//! never logged.

/// Longest user name or password accepted (RFC 4616 allows 255 UTF-8 characters each).
const MAX_FIELD: usize = 1024;

use super::AuthError;

/// A parsed PLAIN message.
#[derive(PartialEq, Eq)]
pub struct PlainLogin {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for PlainLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainLogin")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

pub fn parse(token: &[u8]) -> Result<PlainLogin, AuthError> {
    let mut parts = token.split(|b| *b == 0);
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed("PLAIN message"));
    };
    let field = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .filter(|s| s.len() <= MAX_FIELD)
            .map(str::to_owned)
            .ok_or(AuthError::Malformed("PLAIN message"))
    };
    let (authzid, user, password) = (field(authzid)?, field(user)?, field(password)?);
    if user.is_empty() || password.is_empty() {
        return Err(AuthError::Malformed("PLAIN message"));
    }
    if !authzid.is_empty() && authzid != user {
        return Err(AuthError::AuthzId);
    }
    Ok(PlainLogin { user, password })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages() {
        let ok = parse(b"\0alice\0pw").unwrap();
        assert_eq!((ok.user.as_str(), ok.password.as_str()), ("alice", "pw"));
        assert!(!format!("{ok:?}").contains("pw"));
        assert_eq!(parse(b"alice\0alice\0pw").unwrap().user, "alice");
        assert_eq!(parse(b"bob\0alice\0pw"), Err(AuthError::AuthzId));
        for bad in [
            &b""[..],
            b"alice",
            b"\0alice",
            b"\0\0pw",
            b"\0alice\0",
            b"\0a\0b\0c",
            b"\0\xff\0pw",
        ] {
            assert_eq!(
                parse(bad),
                Err(AuthError::Malformed("PLAIN message")),
                "{bad:?}"
            );
        }
    }
}
