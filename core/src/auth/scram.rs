//! The server side of a SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) as Kafka clients run it:
//! client-first, server-first, client-final, server-final. No channel binding (Kafka has none);
//! Kafka's `tokenauth` extension (delegation tokens) is refused.
//!
//! Owns: parsing both client messages and checking the proof against a [`Verifier`]. The caller
//! looks the role up between the two steps; for an unknown or refused role it passes a mock
//! verifier, so the exchange looks the same to the client until the proof fails.
//!
//! Invariants: every message is parsed from a token whose size the connection already bounded;
//! nothing here allocates from a length read off the wire.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use super::verifier::{hmac, same, sha256, Verifier};
use super::AuthError;

/// Longest client nonce accepted.
const MAX_NONCE: usize = 256;

/// A client-first message, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    /// The user name, `=2C`/`=3D` decoded.
    pub user: String,
    /// The gs2 header as sent (`n,,` or `y,,` or `n,a=user,`), echoed in the client-final `c=`.
    gs2_header: String,
    /// `n=...,r=...[,ext]`, part of the AuthMessage.
    bare: String,
    client_nonce: String,
}

/// The state between server-first and client-final.
#[derive(Debug, Clone)]
pub struct Challenge {
    first: ClientFirst,
    server_first: String,
    nonce: String,
}

impl Challenge {
    /// The user name the client gave.
    pub fn user(&self) -> &str {
        &self.first.user
    }
}

fn text(token: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(token).map_err(|_| AuthError::Malformed("not UTF-8"))
}

/// `saslname` of RFC 5802: `=2C` is `,`, `=3D` is `=`, any other `=` is invalid.
fn decode_name(s: &str) -> Result<String, AuthError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        match rest.get(at..at + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(AuthError::Malformed("bad escape in user name")),
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

fn printable_nonce(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= MAX_NONCE
        && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Parse a client-first message.
pub fn client_first(token: &[u8]) -> Result<ClientFirst, AuthError> {
    let msg = text(token)?;
    let mut parts = msg.splitn(3, ',');
    let (Some(cbind), Some(authzid), Some(bare)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed("no gs2 header"));
    };
    match cbind {
        "n" | "y" => {}
        c if c.starts_with("p=") => return Err(AuthError::ChannelBinding),
        _ => return Err(AuthError::Malformed("bad channel-binding flag")),
    }
    let gs2_len = cbind.len() + authzid.len() + 2;
    let authzid = match authzid {
        "" => None,
        a => Some(decode_name(
            a.strip_prefix("a=")
                .ok_or(AuthError::Malformed("bad authzid"))?,
        )?),
    };
    let mut attrs = bare.split(',');
    let user = attrs
        .next()
        .and_then(|a| a.strip_prefix("n="))
        .ok_or(AuthError::Malformed("no user name"))?;
    let user = decode_name(user)?;
    let client_nonce = attrs
        .next()
        .and_then(|a| a.strip_prefix("r="))
        .filter(|n| printable_nonce(n))
        .ok_or(AuthError::Malformed("no valid nonce"))?;
    for ext in attrs {
        match ext.split_once('=').map(|(k, _)| k) {
            Some("tokenauth") => return Err(AuthError::TokenAuth),
            Some("m") => return Err(AuthError::Malformed("mandatory extension")),
            Some(k) if !k.is_empty() => {}
            _ => return Err(AuthError::Malformed("bad extension")),
        }
    }
    if user.is_empty() {
        return Err(AuthError::Malformed("empty user name"));
    }
    if authzid.as_ref().is_some_and(|a| *a != user) {
        return Err(AuthError::AuthzId);
    }
    Ok(ClientFirst {
        user,
        gs2_header: msg[..gs2_len].to_owned(),
        bare: bare.to_owned(),
        client_nonce: client_nonce.to_owned(),
    })
}

/// The server-first message for `verifier`, with `server_nonce` appended to the client's nonce.
pub fn server_first(
    first: ClientFirst,
    verifier: &Verifier,
    server_nonce: &str,
) -> (Vec<u8>, Challenge) {
    let nonce = format!("{}{}", first.client_nonce, server_nonce);
    let server_first = format!(
        "r={nonce},s={},i={}",
        B64.encode(&verifier.salt),
        verifier.iterations
    );
    let out = server_first.clone().into_bytes();
    (
        out,
        Challenge {
            first,
            server_first,
            nonce,
        },
    )
}

/// Check a client-final message; on success the server-final message (`v=...`).
pub fn client_final(
    challenge: &Challenge,
    verifier: &Verifier,
    token: &[u8],
) -> Result<Vec<u8>, AuthError> {
    let msg = text(token)?;
    let (without_proof, proof) = msg
        .rsplit_once(",p=")
        .ok_or(AuthError::Malformed("no proof"))?;
    let mut attrs = without_proof.split(',');
    let binding = attrs
        .next()
        .and_then(|a| a.strip_prefix("c="))
        .ok_or(AuthError::Malformed("no channel binding"))?;
    let binding = B64
        .decode(binding)
        .map_err(|_| AuthError::Malformed("channel binding is not base64"))?;
    if binding != challenge.first.gs2_header.as_bytes() {
        return Err(AuthError::ChannelBinding);
    }
    let nonce = attrs
        .next()
        .and_then(|a| a.strip_prefix("r="))
        .ok_or(AuthError::Malformed("no nonce"))?;
    // librdkafka before 2.6.1 sends the client nonce once more in front of the combined one
    // (its issue #4895; Kafka accepts it since 3.8.1): Debian's kcat still does. Both forms are
    // accepted; the AuthMessage uses what the client sent, as its proof does.
    let doubled = format!("{}{}", challenge.first.client_nonce, challenge.nonce);
    if !same(nonce.as_bytes(), challenge.nonce.as_bytes())
        && !same(nonce.as_bytes(), doubled.as_bytes())
    {
        return Err(AuthError::Nonce);
    }
    let proof = B64
        .decode(proof)
        .map_err(|_| AuthError::Malformed("proof is not base64"))?;
    let auth_message = format!(
        "{},{},{}",
        challenge.first.bare, challenge.server_first, without_proof
    );
    let client_signature = hmac(&verifier.stored_key, &[auth_message.as_bytes()]);
    if proof.len() != client_signature.len() {
        return Err(AuthError::WrongPassword);
    }
    let client_key: Vec<u8> = proof
        .iter()
        .zip(client_signature)
        .map(|(p, s)| p ^ s)
        .collect();
    if !same(&sha256(&client_key), &verifier.stored_key) {
        return Err(AuthError::WrongPassword);
    }
    let server_signature = hmac(&verifier.server_key, &[auth_message.as_bytes()]);
    Ok(format!("v={}", B64.encode(server_signature)).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";

    fn rfc_verifier() -> Verifier {
        Verifier::derive("pencil", &B64.decode(SALT).unwrap(), 4096)
    }

    #[test]
    fn the_rfc_7677_exchange_succeeds() {
        let first = client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(first.user, "user");
        let v = rfc_verifier();
        let (sf, challenge) = server_first(first, &v, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        assert_eq!(
            std::str::from_utf8(&sf).unwrap(),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let cf = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        let server_final = client_final(&challenge, &v, cf).unwrap();
        assert_eq!(
            server_final,
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    /// The client-final a client with `password` sends for `without_proof`.
    pub(crate) fn client_final_for(
        password: &str,
        salt: &[u8],
        auth_prefix: &str,
        without_proof: &str,
    ) -> String {
        let client_key = crate::auth::verifier::client_key(password, salt, 4096);
        let auth = format!("{auth_prefix},{without_proof}");
        let signature = hmac(&sha256(&client_key), &[auth.as_bytes()]);
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        format!("{without_proof},p={}", B64.encode(proof))
    }

    #[test]
    fn old_librdkafka_s_doubled_client_nonce_is_accepted() {
        let salt = B64.decode(SALT).unwrap();
        let v = rfc_verifier();
        let first = client_first(b"n,,n=user,r=abc").unwrap();
        let (_, challenge) = server_first(first, &v, "XYZ");
        let prefix = format!("n=user,r=abc,r=abcXYZ,s={SALT},i=4096");
        for (nonce, ok) in [
            ("abcXYZ", true),
            ("abcabcXYZ", true),
            ("abcabcabcXYZ", false),
            ("XYZ", false),
        ] {
            let msg = client_final_for("pencil", &salt, &prefix, &format!("c=biws,r={nonce}"));
            let r = client_final(&challenge, &v, msg.as_bytes());
            assert_eq!(r.is_ok(), ok, "{nonce}: {r:?}");
        }
    }

    #[test]
    fn a_wrong_password_or_a_changed_message_fails() {
        let other = Verifier::derive("pencils", &B64.decode(SALT).unwrap(), 4096);
        let first = client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        let (_, challenge) = server_first(first.clone(), &other, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        let cf = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(
            client_final(&challenge, &other, cf),
            Err(AuthError::WrongPassword)
        );
        let v = rfc_verifier();
        let (_, challenge) = server_first(first, &v, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        let wrong_nonce = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(
            client_final(&challenge, &v, wrong_nonce),
            Err(AuthError::Nonce)
        );
        let wrong_binding = b"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(
            client_final(&challenge, &v, wrong_binding),
            Err(AuthError::ChannelBinding)
        );
        for garbage in [&b""[..], b"p=", b"c=biws", b"\xff\xfe", b"c=!!,r=x,p=y"] {
            assert!(client_final(&challenge, &v, garbage).is_err());
        }
    }

    #[test]
    fn client_first_parsing() {
        let f = client_first(b"n,a=we=2Cird=3D,n=we=2Cird=3D,r=abc,ext=1").unwrap();
        assert_eq!(f.user, "we,ird=");
        assert_eq!(f.gs2_header, "n,a=we=2Cird=3D,");
        assert_eq!(
            client_first(b"n,,n=u,r=abc,tokenauth=true"),
            Err(AuthError::TokenAuth)
        );
        assert_eq!(
            client_first(b"p=tls-unique,,n=u,r=abc"),
            Err(AuthError::ChannelBinding)
        );
        assert_eq!(
            client_first(b"n,a=other,n=u,r=abc"),
            Err(AuthError::AuthzId)
        );
        for bad in [
            &b""[..],
            b"n,,",
            b"n,,n=u",
            b"n,,n=u,r=",
            b"n,,n=,r=abc",
            b"n,,n=a=b,r=abc",
            b"x,,n=u,r=abc",
            b"n,,r=abc,n=u",
            b"n,,n=u,r=a\x01b",
            b"\xff,,n=u,r=abc",
        ] {
            assert!(client_first(bad).is_err(), "{bad:?}");
        }
    }
}
