//! `Host` checks besides rmcp's own on `/mcp`: DNS-rebinding protection for `/metrics`,
//! `/healthz` and `/readyz`, and a clear refusal of an empty or missing `Host` on `/mcp`.
//!
//! A DNS-rebinding attack makes a browser send this server's requests under the attacker's
//! DNS name, so the defence is to refuse `Host` names the server does not know. It never needs
//! an IP literal: a page whose origin is `http://10.1.2.3:8000` is already on this address. And
//! the kubelet's probes and Prometheus's scrapes reach a pod by its IP, with `Host: <pod IP>:<port>`.
//! So the endpoints they use accept any IP literal, the configured names (`--allowed-hosts`, which
//! always holds the loopback names) and requests without `Host` (HTTP/1.0 tools; a browser always
//! sends one), and refuse any other name with 403 and a plain-text reason.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A `Host` value that is not an authority (`host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the Host header is empty")]
    Empty,
    #[error("the Host header is not a host[:port]")]
    Malformed,
}

/// A host name or IP literal, lower case and without IPv6 brackets, and its port if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub host: String,
    pub port: Option<u16>,
}

impl Authority {
    /// Parses a `Host` value such as `example.com`, `10.1.2.3:8000` or `[::1]:8000`.
    pub fn parse(value: &str) -> Result<Self, HostError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(HostError::Empty);
        }
        let authority = http::uri::Authority::try_from(value).map_err(|_| HostError::Malformed)?;
        // `user@host` is an authority but never a Host value.
        if authority.as_str().contains('@') {
            return Err(HostError::Malformed);
        }
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port: authority.port_u16(),
        })
    }

    /// The host of a request: its `Host` header, or the URI's authority (HTTP/2 `:authority`).
    /// `Ok(None)` when it has neither.
    pub fn of_request(uri: &Uri, headers: &HeaderMap) -> Result<Option<Self>, HostError> {
        match headers.get(header::HOST) {
            Some(value) => {
                let value = value.to_str().map_err(|_| HostError::Malformed)?;
                Self::parse(value).map(Some)
            }
            None => Ok(uri
                .authority()
                .map(|a| Self::parse(a.as_str()))
                .transpose()?),
        }
    }

    /// Whether the host is an IPv4 or IPv6 literal rather than a DNS name.
    pub fn is_ip_literal(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    /// Whether the host is `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// `Host` values accepted by name: an entry without a port matches any port.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<Authority>);

impl AllowedHosts {
    /// Entries that are not a `host[:port]` are skipped.
    pub fn new<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self(
            hosts
                .into_iter()
                .filter_map(|h| Authority::parse(h.as_ref()).ok())
                .collect(),
        )
    }

    pub fn allows(&self, host: &Authority) -> bool {
        self.0
            .iter()
            .any(|a| a.host == host.host && (a.port.is_none() || a.port == host.port))
    }
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Middleware for `/metrics`, `/healthz` and `/readyz`: see the module documentation.
pub async fn probe_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = match Authority::of_request(request.uri(), request.headers()) {
        Ok(host) => host,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("Bad Request: {e}\n")),
    };
    match host {
        Some(host) if !host.is_ip_literal() && !allowed.allows(&host) => {
            tracing::warn!(
                host = %host.host,
                path = request.uri().path(),
                "request refused: Host is not an allowed name (possible DNS rebinding)"
            );
            plain(
                StatusCode::FORBIDDEN,
                format!(
                    "Forbidden: the Host name `{}` is not allowed (possible DNS rebinding); \
                     use an IP address, or add the name to --allowed-hosts \
                     (SPOTIFY_MCP_ALLOWED_HOSTS)\n",
                    host.host
                ),
            )
        }
        _ => next.run(request).await,
    }
}

/// Middleware for `/mcp`: an empty `Host`, or none at all on HTTP/1.1 (where it is required),
/// is refused with 400 and says so. rmcp then checks the name against `--allowed-hosts`.
pub async fn require_host(request: Request, next: Next) -> Response {
    let message = match request.headers().get(header::HOST) {
        Some(value) if value.as_bytes().iter().all(u8::is_ascii_whitespace) => {
            "Bad Request: the Host header is empty; send the server's host[:port]"
        }
        None if request.version() == Version::HTTP_11 && request.uri().authority().is_none() => {
            "Bad Request: HTTP/1.1 requests need a Host header; send the server's host[:port]"
        }
        _ => return next.run(request).await,
    };
    tracing::info!("MCP request refused: no usable Host header");
    plain(StatusCode::BAD_REQUEST, format!("{message}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_parsed_and_classified() {
        let a = Authority::parse("10.1.2.3:8000").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("10.1.2.3", Some(8000)));
        assert!(a.is_ip_literal() && !a.is_loopback());
        let a = Authority::parse("[FD00::1]:8000").unwrap();
        assert_eq!(a.host, "fd00::1");
        assert!(a.is_ip_literal());
        let a = Authority::parse("Smcp.Music.SVC").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("smcp.music.svc", None));
        assert!(!a.is_ip_literal());
        assert!(Authority::parse("localhost:1").unwrap().is_loopback());
        assert!(Authority::parse("[::1]").unwrap().is_loopback());
        assert!(Authority::parse("127.0.0.2").unwrap().is_loopback());
        assert_eq!(Authority::parse(" "), Err(HostError::Empty));
        assert_eq!(Authority::parse("a b"), Err(HostError::Malformed));
        assert_eq!(
            Authority::parse("u@evil.example"),
            Err(HostError::Malformed)
        );
        // An IP-looking DNS name is a name.
        assert!(!Authority::parse("10.1.2.3.nip.io").unwrap().is_ip_literal());
    }

    #[test]
    fn allowed_hosts_match_by_name_and_port() {
        let allowed = AllowedHosts::new(["localhost", "mcp.internal:8000", "[::1]", "bad host"]);
        let allows = |h: &str| allowed.allows(&Authority::parse(h).unwrap());
        assert!(allows("localhost") && allows("LOCALHOST:1234"));
        assert!(allows("mcp.internal:8000"));
        assert!(!allows("mcp.internal:9000") && !allows("mcp.internal"));
        assert!(allows("[::1]:8000"));
        assert!(!allows("evil.example"));
    }
}
