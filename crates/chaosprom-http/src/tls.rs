//! The rustls client configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::{Error, TlsOptions};

/// Builds the client configuration. `https` says whether the base URL
/// needs TLS at all: when it does not, no root store is loaded.
pub(crate) fn client_config(options: &TlsOptions, https: bool) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error("protocol versions", &e))?;
    let builder = if !options.verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else if https {
        let mut pinned = match &options.ca_file {
            Some(file) => read_certificates(file)?,
            None => Vec::new(),
        };
        let bundle = environment_bundle()?;
        let roots = Arc::new(roots(
            options.ca_file.as_deref(),
            &pinned,
            bundle.as_deref(),
        )?);
        pinned.extend(bundle.unwrap_or_default());
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| config_error("the certificate verifier", &e))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinningVerifier { webpki, pinned }))
    } else {
        // Not needed for plain HTTP, but a CA file that cannot be read is
        // a mistake to report, not to ignore.
        if let Some(file) = &options.ca_file {
            read_certificates(file)?;
        }
        builder.with_root_certificates(RootCertStore::empty())
    };
    let mut config = match &options.client_cert {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let chain = read_certificates(&cert.cert_file)?;
            let what = format!("reading {}", cert.key_file.display());
            let key = PrivateKeyDer::from_pem_slice(&read_pem_file(&cert.key_file, &what)?)
                .map_err(|e| config_error(&what, &e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| config_error("client certificate and key", &e))?
        }
    };
    // A client talks to a server or two: rustls' default cache of 256
    // sessions was 14 KB of fresh heap in every one-shot probe.
    config.resumption = rustls::client::Resumption::in_memory_sessions(SESSIONS);
    Ok(config)
}

/// TLS sessions a client keeps for resumption.
const SESSIONS: usize = 8;

/// The trusted roots: the environment's CA bundle when one is named, else
/// the system's (Mozilla's when the system has none); plus the CA file's.
fn roots(
    ca_file: Option<&Path>,
    ca_certs: &[CertificateDer<'static>],
    bundle: Option<&[CertificateDer<'static>]>,
) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    if let Some(bundle) = bundle {
        store.add_parsable_certificates(bundle.iter().cloned());
    } else {
        let native = rustls_native_certs::load_native_certs();
        store.add_parsable_certificates(native.certs);
        if store.is_empty() {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
    }
    if let Some(file) = ca_file {
        for cert in ca_certs {
            store
                .add(cert.clone())
                .map_err(|e| config_error(&format!("reading {}", file.display()), &e))?;
        }
    }
    Ok(store)
}

/// The CA bundle the environment names as Python's requests reads it
/// (`REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`, which curl reads too): a
/// PEM file, or a folder of them, that replaces the system's roots, so
/// that a machine set up for the Python extension's internal CA works
/// as it is. Its certificates are pinned as a CA file's are.
fn environment_bundle() -> Result<Option<Vec<CertificateDer<'static>>>, Error> {
    let Some((name, path)) = ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]
        .into_iter()
        .find_map(|name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(|v| (name, PathBuf::from(v)))
        })
    else {
        return Ok(None);
    };
    let what = format!("reading {} (named by {name})", path.display());
    let folder = path.is_dir();
    let files = if folder {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| config_error(&what, &e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.clone()]
    };
    let mut certs = Vec::new();
    for file in &files {
        let found = read_pem_file(file, &what).and_then(|pem| {
            CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| config_error(&what, &e))
        });
        match found {
            Ok(found) => certs.extend(found),
            // A folder may hold other files (c_rehash's links are PEM).
            Err(_) if folder => {}
            Err(e) => return Err(e),
        }
    }
    if certs.is_empty() {
        return Err(config_error(&what, &"no PEM certificate there"));
    }
    Ok(Some(certs))
}

/// Every certificate in a PEM file; at least one.
fn read_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let what = format!("reading {}", file.display());
    let certs = CertificateDer::pem_slice_iter(&read_pem_file(file, &what)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error(&what, &e))?;
    if certs.is_empty() {
        return Err(config_error(&what, &"no PEM certificate in the file"));
    }
    Ok(certs)
}

/// The largest certificate or key file read: every root CA of a system's
/// bundle together is about 200 KB.
pub const MAX_PEM_FILE: usize = 16 << 20;

/// A PEM file's bytes, at most [`MAX_PEM_FILE`] of them, so that a path
/// such as `/dev/zero` is refused rather than read without end. A FIFO
/// (`--ca-file <(…)`) is read to its end.
fn read_pem_file(file: &Path, what: &str) -> Result<Vec<u8>, Error> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_PEM_FILE as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| config_error(what, &e))?;
    if bytes.len() > MAX_PEM_FILE {
        return Err(config_error(
            what,
            &format!(
                "larger than {MAX_PEM_FILE} bytes, the most a certificate or key file may have"
            ),
        ));
    }
    Ok(bytes)
}

fn config_error(what: &str, reason: &dyn std::fmt::Display) -> Error {
    Error::TlsConfig {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

/// The usual WebPKI verification, plus: a server certificate that stands,
/// byte for byte, in the CA file is trusted as itself (pinned), as curl
/// and Python trust a self-signed certificate given as their CA file.
/// rustls alone refuses one whose basic constraints say it is a CA
/// (`CaUsedAsEndEntity`), which is what a plain `openssl req -x509` makes.
/// The handshake's signatures are still checked, so the server must hold
/// the certificate's key; its name is not checked, since the user named
/// this exact certificate.
#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                tracing::debug!(server = %server_name.to_str(), "trusting a pinned certificate from the CA file");
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Accepts any server certificate, still checking handshake signatures.
/// Used only when verification is turned off.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
