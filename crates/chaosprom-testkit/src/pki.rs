//! A throwaway PKI for TLS tests: a CA, a server certificate for
//! 127.0.0.1 and localhost, and a client certificate, as PEM files in a
//! temporary folder that lives as long as the [`Pki`].

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// The files of a test PKI.
#[derive(Debug)]
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The server's certificate (127.0.0.1, localhost), signed by the CA.
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// A client certificate signed by the CA.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
}

impl Pki {
    /// Generates the CA and both certificates.
    pub fn new() -> Result<Self, crate::Error> {
        let failed = |e: rcgen::Error| crate::Error::Io {
            what: "generating the test certificates".to_owned(),
            source: std::io::Error::other(e.to_string()),
        };
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| crate::Error::Io { what, source }
        };
        let dir = tempfile::tempdir().map_err(io("creating the certificates' folder"))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "chaosprom test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(failed)?)
            .map_err(failed)?;

        let server_key = KeyPair::generate().map_err(failed)?;
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(failed)?;
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params.signed_by(&server_key, &ca).map_err(failed)?;

        let client_key = KeyPair::generate().map_err(failed)?;
        let mut client_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        client_params
            .distinguished_name
            .push(DnType::CommonName, "chaosprom test client");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params.signed_by(&client_key, &ca).map_err(failed)?;

        let write = |name: &str, pem: String| -> Result<PathBuf, crate::Error> {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).map_err(io(&format!("writing {}", path.display())))?;
            Ok(path)
        };
        Ok(Self {
            ca: write("ca.pem", ca.pem())?,
            server_cert: write("server.pem", server.pem())?,
            server_key: write("server.key", server_key.serialize_pem())?,
            client_cert: write("client.pem", client.pem())?,
            client_key: write("client.key", client_key.serialize_pem())?,
            _dir: dir,
        })
    }

    /// A Prometheus web configuration (`--web.config.file`) serving TLS
    /// with the server certificate and, when `require_client_cert`,
    /// refusing clients without a certificate the CA signed.
    pub fn web_config(&self, require_client_cert: bool) -> String {
        let mut web = format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            self.server_cert.display(),
            self.server_key.display()
        );
        if require_client_cert {
            web.push_str(&format!(
                "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n",
                self.ca.display()
            ));
        }
        web
    }
}
