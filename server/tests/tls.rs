//! The server trusts what the system trusts, plus `--ca-file`, and a TLS failure says
//! what failed. A throw-away CA (rcgen) signs the certificate of a TLS listener in front of the
//! sandbox; the client reaches Spotify's stand-in through it only when that CA is trusted, and
//! otherwise names the certificate problem (unknown issuer, expired, wrong name).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spotify_mcp_sandbox::{self as sandbox, SandboxHandle, SandboxOptions};
use spotify_mcp_server::spotify::transport::load_ca_file;
use spotify_mcp_server::spotify::{Credentials, Secret, SpotifyClient, SpotifyConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new() -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "spotify-mcp throw-away test CA");
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn write_pem(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.cert.pem()).unwrap();
        path
    }

    /// A server certificate for `names`, valid now unless `expired`.
    fn leaf(&self, names: &[&str], expired: bool) -> (CertificateDer<'static>, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.der().clone(), key)
    }
}

/// TLS on a loopback port, relaying every connection to the sandbox in plain HTTP.
struct TlsFront {
    port: u16,
    task: JoinHandle<()>,
}

impl TlsFront {
    async fn start(cert: CertificateDer<'static>, key: &KeyPair, backend: SocketAddr) -> TlsFront {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake: nothing to relay.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { port, task }
    }

    fn api_base(&self) -> String {
        format!("https://localhost:{}/v1", self.port)
    }

    fn accounts_base(&self) -> String {
        format!("https://localhost:{}", self.port)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn sandbox() -> SandboxHandle {
    sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxOptions::default())
        .await
        .unwrap()
}

fn client(front: &TlsFront, ca_file: Option<&Path>) -> SpotifyClient {
    let mut cfg = SpotifyConfig::new(
        sandbox::CLIENT_ID,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    )
    .with_base_urls(front.api_base(), front.accounts_base())
    .with_client_secret(sandbox::CLIENT_SECRET);
    if let Some(path) = ca_file {
        cfg.extra_root_certificates = load_ca_file(path).unwrap();
    }
    SpotifyClient::new(cfg).unwrap()
}

#[tokio::test]
async fn a_ca_file_is_trusted_and_certificate_problems_are_named() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let ca_file = ca.write_pem(dir.path());

    let (cert, key) = ca.leaf(&["localhost"], false);
    let front = TlsFront::start(cert, &key, sb.addr()).await;
    // Trusted through --ca-file: the whole path works (token endpoint, then the Web API).
    let me = client(&front, Some(&ca_file))
        .get_current_user()
        .await
        .expect("trusted CA");
    assert_eq!(me.id, sandbox::PREMIUM_USER_ID);
    // Without it the issuer is unknown, and the error says so and what to do.
    let err = client(&front, None).get_current_user().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("could not reach Spotify") && text.contains("UnknownIssuer"),
        "{text}"
    );
    assert!(text.contains("--ca-file or SSL_CERT_FILE"), "{text}");

    let (cert, key) = ca.leaf(&["localhost"], true);
    let expired = TlsFront::start(cert, &key, sb.addr()).await;
    let text = client(&expired, Some(&ca_file))
        .get_current_user()
        .await
        .unwrap_err()
        .to_string();
    assert!(text.to_lowercase().contains("expired"), "{text}");

    let (cert, key) = ca.leaf(&["api.example.invalid"], false);
    let wrong_name = TlsFront::start(cert, &key, sb.addr()).await;
    let text = client(&wrong_name, Some(&ca_file))
        .get_current_user()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("NotValidForName") || text.contains("not valid for name"),
        "{text}"
    );
    sb.shutdown().await;
}

/// A sandbox behind a TLS front whose certificate (for `localhost`) a throw-away CA signed;
/// the CA's PEM file lives as long as the fixture.
struct Fixture {
    front: TlsFront,
    _dir: tempfile::TempDir,
    ca_path: std::path::PathBuf,
    _sandbox: SandboxHandle,
}

impl Fixture {
    async fn start() -> Fixture {
        let sandbox = sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new();
        let ca_path = ca.write_pem(dir.path());
        let (cert, key) = ca.leaf(&["localhost"], false);
        let front = TlsFront::start(cert, &key, sandbox.addr()).await;
        Fixture {
            front,
            _dir: dir,
            ca_path,
            _sandbox: sandbox,
        }
    }

    fn ca_file(&self) -> &str {
        self.ca_path.to_str().unwrap()
    }
}

/// What the server binary run with `env` says of its Spotify credentials in `/status` (readiness
/// is this pod's, not Spotify's), once it knows: `Ok` when they are usable, else the reason.
async fn spotify_of_server(front: &TlsFront, env: &[(&str, &str)]) -> Result<(), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_spotify-mcp-server"));
    command
        .args(["--port", &port.to_string(), "--cache", "none"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("SPOTIFY_CLIENT_ID", sandbox::CLIENT_ID)
        .env("SPOTIFY_CLIENT_SECRET", sandbox::CLIENT_SECRET)
        .env("SPOTIFY_REFRESH_TOKEN", sandbox::PREMIUM_REFRESH_TOKEN)
        .env("SPOTIFY_API_BASE_URL", front.api_base())
        .env("SPOTIFY_ACCOUNTS_BASE_URL", front.accounts_base())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut server = command.spawn().unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Err(String::from("no answer"));
    while Instant::now() < deadline {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/status"))
            .send()
            .await
            && let Ok(status) = r.json::<serde_json::Value>().await
        {
            let spotify = &status["spotify"];
            if spotify["credentials"] == "usable" {
                last = Ok(());
                break;
            }
            last = Err(spotify["reason"].as_str().unwrap_or("no reason").to_owned());
            if last
                .as_ref()
                .is_err_and(|r| r.contains("could not reach Spotify"))
            {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.kill().await;
    last
}

/// The platform trust store: `SSL_CERT_FILE` naming the CA makes the server ready; `--ca-file`
/// (SPOTIFY_MCP_CA_FILE) does too; with neither, /status names the unknown issuer.
#[tokio::test]
async fn the_server_binary_trusts_ssl_cert_file_and_its_ca_file() {
    let fixture = Fixture::start().await;
    let (front, ca_file) = (&fixture.front, fixture.ca_file());

    let spotify = spotify_of_server(front, &[("SSL_CERT_FILE", ca_file)]).await;
    assert_eq!(spotify, Ok(()), "SSL_CERT_FILE");
    let spotify = spotify_of_server(front, &[("SPOTIFY_MCP_CA_FILE", ca_file)]).await;
    assert_eq!(spotify, Ok(()), "SPOTIFY_MCP_CA_FILE");
    let reason = spotify_of_server(front, &[]).await.unwrap_err();
    assert!(reason.contains("UnknownIssuer"), "{reason}");
}

/// An HTTP CONNECT proxy on loopback that tunnels to loopback only, and records each target.
struct ConnectProxy {
    port: u16,
    targets: Arc<std::sync::Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl ConnectProxy {
    async fn start() -> ConnectProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = targets.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        if client.read_exact(&mut byte).await.is_err() {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let Some(target) = head
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix("CONNECT "))
                        .and_then(|l| l.split_whitespace().next())
                        .map(str::to_owned)
                    else {
                        return;
                    };
                    seen.lock().unwrap().push(target.clone());
                    let port = target.rsplit(':').next().unwrap_or_default();
                    let Ok(mut upstream) = TcpStream::connect(format!("127.0.0.1:{port}")).await
                    else {
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        ConnectProxy {
            port,
            targets,
            task,
        }
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `HTTPS_PROXY` is honoured (the server reaches Spotify's stand-in through the proxy's
/// tunnel), and `NO_PROXY` exempts a host.
#[tokio::test]
async fn https_proxy_and_no_proxy_are_honoured() {
    let fixture = Fixture::start().await;
    let (front, ca_file) = (&fixture.front, fixture.ca_file());
    let proxy = ConnectProxy::start().await;
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);

    let spotify = spotify_of_server(
        front,
        &[
            ("SPOTIFY_MCP_CA_FILE", ca_file),
            ("HTTPS_PROXY", &proxy_url),
        ],
    )
    .await;
    assert_eq!(spotify, Ok(()), "through the proxy");
    let want = format!("localhost:{}", front.port);
    assert!(
        proxy.targets().contains(&want),
        "{:?} lacks {want}",
        proxy.targets()
    );

    let before = proxy.targets().len();
    let spotify = spotify_of_server(
        front,
        &[
            ("SPOTIFY_MCP_CA_FILE", ca_file),
            ("HTTPS_PROXY", &proxy_url),
            ("NO_PROXY", "localhost"),
        ],
    )
    .await;
    assert_eq!(spotify, Ok(()), "NO_PROXY");
    assert_eq!(
        proxy.targets().len(),
        before,
        "NO_PROXY=localhost still used the proxy"
    );
}
