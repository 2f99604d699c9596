//! The HTTP client to Spotify and what its failures say: the trust store (the platform's own,
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`, Mozilla's roots compiled in for `scratch` images, plus
//! `--ca-file`), proxies from `HTTPS_PROXY`/`NO_PROXY`, and transport errors described by their
//! whole cause chain ("error sending request" alone hides an untrusted certificate).

use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use std::error::Error as _;
use std::path::Path;
use std::time::Duration;

/// Build the shared HTTP client: rustls with the trust store above, HTTP/2 where offered,
/// pooled connections. reqwest reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
pub(crate) fn http_client(cfg: &SpotifyConfig) -> Result<reqwest::Client, SpotifyError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(cfg.request_timeout)
        .connect_timeout(cfg.request_timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("spotify-mcp-server/", env!("CARGO_PKG_VERSION")));
    for certificate in &cfg.extra_root_certificates {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder.build().map_err(|e| SpotifyError::Config {
        message: format!("cannot build the HTTP client: {}", chain(&e)),
    })
}

/// Why a `--ca-file` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read the CA file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA file {path} is not PEM certificates: {message}")]
    Invalid { path: String, message: String },
    #[error("the CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    Empty { path: String },
}

/// The certificates of a PEM file (one CA or a bundle), to trust besides the system's.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, CaFileError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|source| CaFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let certificates =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| CaFileError::Invalid {
            path: shown.clone(),
            message: chain(&e),
        })?;
    if certificates.is_empty() {
        return Err(CaFileError::Empty { path: shown });
    }
    Ok(certificates)
}

/// A transport error with its causes, outermost first, without the URL (which may carry a
/// query) and without repeating a cause the previous one already quoted; a certificate
/// problem gets a hint on what to do.
pub(crate) fn chain(err: &reqwest::Error) -> String {
    let mut parts = vec![strip_url(err)];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let mut out = parts.join(": ");
    if out.contains("invalid peer certificate") {
        out.push_str(
            " (the server's TLS certificate is not trusted here: if a proxy or a private CA \
             signs it, trust that CA with --ca-file or SSL_CERT_FILE)",
        );
    }
    out
}

fn strip_url(err: &reqwest::Error) -> String {
    let text = err.to_string();
    match err.url() {
        Some(url) => text
            .replace(&format!(" for url ({url})"), "")
            .replace(url.as_str(), "<url>"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_hold_pem_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            load_ca_file(&missing),
            Err(CaFileError::Read { .. })
        ));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = load_ca_file(&empty).unwrap_err().to_string();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(load_ca_file(&broken).is_err());
    }

    #[tokio::test]
    async fn a_refused_connection_names_its_cause_without_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = reqwest::get(format!("http://127.0.0.1:{port}/v1/search?q=secret-query"))
            .await
            .unwrap_err();
        let text = chain(&err);
        assert!(text.starts_with("error sending request"), "{text}");
        assert!(text.to_lowercase().contains("connect"), "{text}");
        assert!(!text.contains("secret-query"), "{text}");
    }
}
