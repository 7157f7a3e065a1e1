//! SASL logins through SaslHandshake and SaslAuthenticate against a real writer whose store holds
//! the roles: what a client sees for good and refused logins, mock exchanges for unknown users,
//! re-authentication, and the session lifetime.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialDeletion;
use kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, DescribeUserScramCredentialsRequest, RequestKind,
    ResponseKind, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::testkit::{harness_with, Harness};
use crate::auth::verifier::{client_key, hmac, sha256, Verifier};
use crate::auth::Session;
use crate::broker::{dispatch, Call, Client};
use crate::config::{BrokerConfig, Listener, SecurityProtocol};
use crate::store::RoleRow;

fn sasl_config() -> BrokerConfig {
    BrokerConfig {
        listeners: vec![
            Listener::new(SecurityProtocol::Plaintext, "127.0.0.1", 9092),
            Listener::new(SecurityProtocol::SaslPlaintext, "127.0.0.1", 9093),
        ],
        ..BrokerConfig::default()
    }
}

fn role(password: Option<String>) -> RoleRow {
    RoleRow {
        can_login: true,
        superuser: false,
        valid_until_ms: None,
        password,
    }
}

fn scram(password: &str, salt: &[u8], iterations: u32) -> Option<String> {
    Some(Verifier::derive(password, salt, iterations).to_stored())
}

struct Conn<'a> {
    h: &'a Harness,
    client: Client,
}

impl<'a> Conn<'a> {
    fn on(h: &'a Harness, listener: usize) -> Self {
        let sasl = h.ctx.config.listener(listener).protocol.sasl();
        Conn {
            h,
            client: Client {
                listener,
                session: Arc::new(Session::new(sasl)),
                ip: Some("10.1.2.3".parse().unwrap()),
                ..Client::default()
            },
        }
    }

    async fn send(&self, version: i16, req: RequestKind) -> ResponseKind {
        let call = Call {
            ctx: &self.h.ctx,
            client: &self.client,
            version,
        };
        dispatch(call, req).await.unwrap().await.unwrap()
    }

    async fn handshake(&self, mechanism: &'static str) -> (i16, Vec<String>) {
        let req =
            SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
        match self.send(1, RequestKind::SaslHandshake(req)).await {
            ResponseKind::SaslHandshake(r) => (
                r.error_code,
                r.mechanisms.iter().map(|m| m.to_string()).collect(),
            ),
            other => panic!("{other:?}"),
        }
    }

    async fn authenticate(&self, token: &[u8]) -> SaslAuthenticateResponse {
        let req = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::copy_from_slice(token));
        match self.send(1, RequestKind::SaslAuthenticate(req)).await {
            ResponseKind::SaslAuthenticate(r) => r,
            other => panic!("{other:?}"),
        }
    }

    /// A whole SCRAM-SHA-256 login as a client with `password` runs it; the server-first
    /// message and the final answer.
    async fn scram_login(&self, user: &str, password: &str) -> (String, SaslAuthenticateResponse) {
        assert_eq!(self.handshake("SCRAM-SHA-256").await.0, 0);
        let bare = format!("n={user},r=clientnonce");
        let first = self.authenticate(format!("n,,{bare}").as_bytes()).await;
        assert_eq!(first.error_code, 0, "{first:?}");
        let server_first = String::from_utf8(first.auth_bytes.to_vec()).unwrap();
        let attr = |k: &str| {
            server_first
                .split(',')
                .find_map(|a| a.strip_prefix(k))
                .unwrap()
                .to_owned()
        };
        let (nonce, salt, iterations) = (attr("r="), B64.decode(attr("s=")).unwrap(), attr("i="));
        let key = client_key(password, &salt, iterations.parse().unwrap());
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("{bare},{server_first},{without_proof}");
        let signature = hmac(&sha256(&key), &[auth.as_bytes()]);
        let proof: Vec<u8> = key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
        let last = format!("{without_proof},p={}", B64.encode(proof));
        (server_first, self.authenticate(last.as_bytes()).await)
    }
}

fn harness_with_roles(config: BrokerConfig, roles: &[(&str, RoleRow)]) -> Harness {
    let h = harness_with(config, 1 << 20);
    let mut store = h.store.lock().unwrap();
    for (name, r) in roles {
        store.roles.insert((*name).to_owned(), r.clone());
    }
    drop(store);
    h
}

const FAILED: i16 = ResponseError::SaslAuthenticationFailed.code();

#[tokio::test]
async fn scram_login_as_a_role_sets_the_principal_and_signs_the_answer() {
    let h = harness_with_roles(
        sasl_config(),
        &[("alice", role(scram("pw", b"salt-of-alice", 4096)))],
    );
    let c = Conn::on(&h, 1);
    assert!(!c.client.session.authenticated(std::time::Instant::now()));
    let (_, last) = c.scram_login("alice", "pw").await;
    assert_eq!(last.error_code, 0);
    assert!(last.auth_bytes.starts_with(b"v="));
    assert_eq!(last.session_lifetime_ms, 0);
    let p = c.client.session.principal().unwrap();
    assert_eq!((p.name().as_str(), p.superuser), ("User:alice", false));
    assert!(c.client.session.authenticated(std::time::Instant::now()));
}

#[tokio::test]
async fn refused_roles_get_a_normal_exchange_and_then_fail() {
    let salt = b"0123456789abcdef";
    let nologin = RoleRow {
        can_login: false,
        ..role(scram("pw", salt, 4096))
    };
    let expired = RoleRow {
        valid_until_ms: Some(1),
        ..role(scram("pw", salt, 4096))
    };
    let h = harness_with_roles(
        sasl_config(),
        &[
            ("good", role(scram("pw", salt, 4096))),
            ("nologin", nologin),
            ("expired", expired),
            (
                "md5",
                role(Some("md5a3556571e93b0d20722ba62be61e8c2d".into())),
            ),
            ("nopassword", role(None)),
            ("weak", role(scram("pw", salt, 1000))),
        ],
    );
    for (user, password) in [
        ("good", "wrong"),
        ("nologin", "pw"),
        ("expired", "pw"),
        ("md5", "pw"),
        ("nopassword", "pw"),
        ("weak", "pw"),
        ("nobody", "pw"),
    ] {
        let c = Conn::on(&h, 1);
        let (server_first, last) = c.scram_login(user, password).await;
        assert!(server_first.ends_with(",i=4096"), "{user}: {server_first}");
        assert_eq!(last.error_code, FAILED, "{user}");
        assert!(last.auth_bytes.is_empty());
        assert!(c.client.session.failed(), "{user}");
        assert!(c.client.session.principal().is_none());
    }
}

#[tokio::test]
async fn an_unknown_user_gets_the_same_mock_salt_every_time() {
    let h = harness_with_roles(sasl_config(), &[]);
    let salt = |s: String| {
        s.split(",s=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_owned()
    };
    let a = salt(Conn::on(&h, 1).scram_login("ghost", "x").await.0);
    let b = salt(Conn::on(&h, 1).scram_login("ghost", "y").await.0);
    let other = salt(Conn::on(&h, 1).scram_login("phantom", "x").await.0);
    assert_eq!(a, b);
    assert_ne!(a, other);
}

#[tokio::test]
async fn plain_checks_the_password_against_the_same_verifier() {
    let mut config = sasl_config();
    config.sasl.plain_without_tls = true;
    let h = harness_with_roles(config, &[("alice", role(scram("pw", b"salt", 4096)))]);
    for (token, ok) in [
        (&b"\0alice\0pw"[..], true),
        (b"\0alice\0pW", false),
        (b"\0bob\0pw", false),
    ] {
        let c = Conn::on(&h, 1);
        assert_eq!(c.handshake("PLAIN").await.0, 0);
        let r = c.authenticate(token).await;
        assert_eq!(r.error_code == 0, ok, "{token:?}");
        assert_eq!(c.client.session.principal().is_some(), ok);
    }
}

#[tokio::test]
async fn plain_is_not_offered_without_tls_unless_allowed() {
    let h = harness_with_roles(sasl_config(), &[]);
    let c = Conn::on(&h, 1);
    let (code, mechanisms) = c.handshake("PLAIN").await;
    assert_eq!(code, ResponseError::UnsupportedSaslMechanism.code());
    assert_eq!(mechanisms, vec!["SCRAM-SHA-256"]);
    let (code, _) = c.handshake("SCRAM-SHA-512").await;
    assert_eq!(code, ResponseError::UnsupportedSaslMechanism.code());
}

#[tokio::test]
async fn sasl_requests_out_of_place_are_illegal_state() {
    let h = harness_with_roles(sasl_config(), &[]);
    // On a PLAINTEXT listener.
    let plain = Conn::on(&h, 0);
    assert_eq!(
        plain.handshake("SCRAM-SHA-256").await.0,
        ResponseError::IllegalSaslState.code()
    );
    // SaslAuthenticate before SaslHandshake.
    let c = Conn::on(&h, 1);
    let r = c.authenticate(b"n,,n=alice,r=abc").await;
    assert_eq!(r.error_code, ResponseError::IllegalSaslState.code());
    assert!(c.client.session.failed());
    // A second handshake in the middle of a login.
    let c = Conn::on(&h, 1);
    assert_eq!(c.handshake("SCRAM-SHA-256").await.0, 0);
    assert_eq!(
        c.handshake("SCRAM-SHA-256").await.0,
        ResponseError::IllegalSaslState.code()
    );
}

#[tokio::test]
async fn garbage_tokens_fail_the_login() {
    let h = harness_with_roles(sasl_config(), &[]);
    for token in [
        &b""[..],
        b"\xff\xfe\xfd",
        b"n,,",
        b"p=tls-unique,,n=a,r=b",
        b"n,,n=a,r=b,tokenauth=true",
    ] {
        let c = Conn::on(&h, 1);
        assert_eq!(c.handshake("SCRAM-SHA-256").await.0, 0);
        assert_eq!(c.authenticate(token).await.error_code, FAILED, "{token:?}");
        assert!(c.client.session.failed());
    }
}

#[tokio::test]
async fn sessions_expire_after_the_reauth_time_and_reauthenticate_as_the_same_user() {
    let mut config = sasl_config();
    config.sasl.max_reauth_ms = 60_000;
    let verifier = scram("pw", b"salt", 4096);
    let h = harness_with_roles(
        config,
        &[("alice", role(verifier.clone())), ("bob", role(verifier))],
    );
    let c = Conn::on(&h, 1);
    let (_, last) = c.scram_login("alice", "pw").await;
    assert_eq!(last.session_lifetime_ms, 60_000);
    let now = std::time::Instant::now();
    assert!(c.client.session.authenticated(now));
    assert!(!c
        .client
        .session
        .authenticated(now + std::time::Duration::from_secs(61)));
    // Re-authentication as alice works; as bob it fails the session.
    assert_eq!(c.scram_login("alice", "pw").await.1.error_code, 0);
    assert_eq!(c.scram_login("bob", "pw").await.1.error_code, FAILED);
    assert!(c.client.session.failed());
    assert!(!c.client.session.authenticated(std::time::Instant::now()));
}

fn describe_users(names: Option<&[&str]>) -> RequestKind {
    let users = names.map(|n| {
        n.iter()
            .map(|u| UserName::default().with_name(StrBytes::from_string((*u).to_owned())))
            .collect()
    });
    RequestKind::DescribeUserScramCredentials(
        DescribeUserScramCredentialsRequest::default().with_users(users),
    )
}

#[tokio::test]
async fn scram_credentials_are_described_to_superusers_only_and_never_altered() {
    let admin = RoleRow {
        superuser: true,
        ..role(scram("pw", b"salt", 4096))
    };
    let h = harness_with_roles(
        sasl_config(),
        &[
            ("admin", admin),
            ("alice", role(scram("pw", b"salt", 8192))),
            (
                "md5",
                role(Some("md5a3556571e93b0d20722ba62be61e8c2d".into())),
            ),
        ],
    );
    let c = Conn::on(&h, 1);
    assert_eq!(c.scram_login("admin", "pw").await.1.error_code, 0);
    let ResponseKind::DescribeUserScramCredentials(r) = c
        .send(
            0,
            describe_users(Some(&["alice", "md5", "ghost", "alice2", "alice2"])),
        )
        .await
    else {
        panic!()
    };
    let got: Vec<(String, i16, Vec<i32>)> = r
        .results
        .iter()
        .map(|u| {
            (
                u.user.to_string(),
                u.error_code,
                u.credential_infos.iter().map(|i| i.iterations).collect(),
            )
        })
        .collect();
    let missing = ResponseError::ResourceNotFound.code();
    assert_eq!(
        got,
        vec![
            ("alice".into(), 0, vec![8192]),
            ("md5".into(), missing, vec![]),
            ("ghost".into(), missing, vec![]),
            (
                "alice2".into(),
                ResponseError::DuplicateResource.code(),
                vec![]
            ),
        ]
    );
    let ResponseKind::DescribeUserScramCredentials(all) = c.send(0, describe_users(None)).await
    else {
        panic!()
    };
    let names: Vec<String> = all.results.iter().map(|u| u.user.to_string()).collect();
    assert_eq!(names, vec!["admin", "alice"]);
    let alter = RequestKind::AlterUserScramCredentials(
        AlterUserScramCredentialsRequest::default().with_deletions(vec![
            ScramCredentialDeletion::default()
                .with_name(StrBytes::from_static_str("alice"))
                .with_mechanism(1),
        ]),
    );
    let ResponseKind::AlterUserScramCredentials(a) = c.send(0, alter.clone()).await else {
        panic!()
    };
    assert_eq!(a.results.len(), 1);
    assert_eq!(
        a.results[0].error_code,
        ResponseError::PolicyViolation.code()
    );
    assert!(a.results[0]
        .error_message
        .as_deref()
        .unwrap_or("")
        .contains("ALTER ROLE"));

    // Not a superuser, and not logged in at all: no role names are disclosed.
    let plain = Conn::on(&h, 0);
    let user = Conn::on(&h, 1);
    assert_eq!(user.scram_login("alice", "pw").await.1.error_code, 0);
    for c in [&plain, &user] {
        let ResponseKind::DescribeUserScramCredentials(r) = c.send(0, describe_users(None)).await
        else {
            panic!()
        };
        assert_eq!(
            r.error_code,
            ResponseError::ClusterAuthorizationFailed.code()
        );
        assert!(r.results.is_empty());
        let ResponseKind::AlterUserScramCredentials(a) = c.send(0, alter.clone()).await else {
            panic!()
        };
        assert_eq!(
            a.results[0].error_code,
            ResponseError::ClusterAuthorizationFailed.code()
        );
    }
}
