//! TLS for SSL and SASL_SSL listeners (rustls, no OpenSSL): the server certificate and key, and
//! optionally the CA that client certificates must chain to (mTLS).
//!
//! Owns: loading the PEM files into a rustls `ServerConfig`, swapping it on reload (connections
//! already open keep theirs; a reload that fails keeps the old one, as Postgres does), and
//! reading a verified client certificate's subject CN, which names the connection's role.
//!
//! Invariants: files are read only by `load`/`reload` (on the worker's main thread at start and
//! on SIGHUP); the CN reader walks a certificate rustls has already verified, with every length
//! checked against the bytes that remain.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use super::NetError;
use crate::config::{ClientAuth, TlsFiles};

/// The current TLS configuration of every TLS listener.
#[derive(Debug)]
pub struct Tls {
    current: RwLock<Arc<ServerConfig>>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(files: &TlsFiles) -> Result<ServerConfig, NetError> {
    let at =
        |p: &PathBuf, e: &dyn std::fmt::Display| NetError::Tls(format!("{}: {e}", p.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| at(&files.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| at(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(at(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| at(&files.key, &e))?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?;
    let builder = match (files.client_auth, &files.ca) {
        (ClientAuth::None, _) => builder.with_no_client_auth(),
        (_, None) => {
            return Err(NetError::Tls(
                "pg_kafka.ssl_client_auth needs pg_kafka.ssl_ca_file".into(),
            ))
        }
        (auth, Some(ca)) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca).map_err(|e| at(ca, &e))? {
                roots
                    .add(cert.map_err(|e| at(ca, &e))?)
                    .map_err(|e| at(ca, &e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let verifier = if auth == ClientAuth::Requested {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| at(ca, &e))?)
        }
    };
    builder.with_single_cert(certs, key).map_err(|e| {
        NetError::Tls(format!(
            "{} with {}: {e}",
            files.cert.display(),
            files.key.display()
        ))
    })
}

impl Tls {
    pub fn load(files: &TlsFiles) -> Result<Tls, NetError> {
        Ok(Tls {
            current: RwLock::new(Arc::new(build(files)?)),
        })
    }

    /// Read the files again; on error the configuration in use stays.
    pub fn reload(&self, files: &TlsFiles) -> Result<(), NetError> {
        let next = Arc::new(build(files)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(())
    }

    /// An acceptor with the configuration in use now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// One DER element of `der`: (tag, contents, rest), or None when the lengths do not fit.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
/// OID 2.5.4.3 (commonName), encoded.
const CN_OID: &[u8] = &[0x55, 0x04, 0x03];

/// The subject commonName of a DER certificate (the last one, if several), as UTF-8.
pub fn subject_cn(cert: &[u8]) -> Option<String> {
    let (SEQUENCE, certificate, _) = element(cert)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    for _ in 0..4 {
        rest = element(rest)?.2;
    }
    let (SEQUENCE, mut name, _) = element(rest)? else {
        return None;
    };
    let mut cn = None;
    while !name.is_empty() {
        let (tag, rdn, next) = element(name)?;
        name = next;
        if tag != SET {
            return None;
        }
        let mut attrs = rdn;
        while !attrs.is_empty() {
            let (SEQUENCE, attr, next) = element(attrs)? else {
                return None;
            };
            attrs = next;
            let (0x06, oid, value) = element(attr)? else {
                return None;
            };
            if oid == CN_OID {
                // UTF8String, PrintableString, IA5String, T61String: read as UTF-8.
                let (_, text, _) = element(value)?;
                cn = Some(std::str::from_utf8(text).ok()?.to_owned());
            }
        }
    }
    cn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_cn_is_read_from_a_real_certificate() {
        // openssl req -x509 -subj "/O=pg_kafka tests/CN=alice/OU=x" -outform DER
        let der = include_bytes!("testdata/alice-cn.der");
        assert_eq!(subject_cn(der).as_deref(), Some("alice"));
        // Every truncation gives no name rather than a wrong one or a panic.
        for n in 0..der.len() {
            assert_eq!(subject_cn(&der[..n]), None, "{n}");
        }
    }

    #[test]
    fn truncated_or_lying_lengths_give_no_name() {
        for der in [
            &b""[..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x03, 0x30, 0x01],
            &[0x30, 0x02, 0x30, 0x00],
        ] {
            assert_eq!(subject_cn(der), None, "{der:?}");
        }
    }
}
