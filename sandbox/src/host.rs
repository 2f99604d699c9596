//! The host a request names, for the DNS-rebinding check of the control endpoints
//! (`routes::control`): its `Host` header, or the URI's authority (HTTP/2 `:authority`).

use std::net::IpAddr;

use axum::http::{HeaderMap, Uri, header};

/// A `Host` value that is not a `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the Host header is empty")]
    Empty,
    #[error("the Host header is not a host[:port]")]
    Malformed,
}

/// A host name (lower case) or IP literal (without IPv6 brackets); the port is not kept, as no
/// check of the sandbox looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(pub String);

impl Host {
    /// Parses a value such as `example.com`, `10.1.2.3:8000` or `[::1]:8000`.
    pub fn parse(value: &str) -> Result<Self, HostError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(HostError::Empty);
        }
        let authority =
            axum::http::uri::Authority::try_from(value).map_err(|_| HostError::Malformed)?;
        // `user@host` is an authority but never a Host value.
        if authority.as_str().contains('@') {
            return Err(HostError::Malformed);
        }
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Ok(Self(host.to_ascii_lowercase()))
    }

    /// The host of a request; `Ok(None)` when it names none.
    pub fn of_request(uri: &Uri, headers: &HeaderMap) -> Result<Option<Self>, HostError> {
        match headers.get(header::HOST) {
            Some(value) => Self::parse(value.to_str().map_err(|_| HostError::Malformed)?).map(Some),
            None => uri.authority().map(|a| Self::parse(a.as_str())).transpose(),
        }
    }

    /// Whether it is an IPv4 or IPv6 literal rather than a DNS name.
    pub fn is_ip_literal(&self) -> bool {
        self.0.parse::<IpAddr>().is_ok()
    }

    /// Whether it is `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.0 == "localhost" || self.0.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_ports_and_ipv6_literals() {
        assert_eq!(
            Host::parse(" Example.COM:8080 "),
            Ok(Host("example.com".into()))
        );
        let v6 = Host::parse("[::1]:9").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v6, Host("::1".into()));
        assert!(v6.is_loopback() && v6.is_ip_literal());
        assert!(Host("localhost".into()).is_loopback());
        assert!(!Host("10.0.0.1".into()).is_loopback());
        assert!(Host("10.0.0.1".into()).is_ip_literal());
        assert!(!Host("sandbox.svc".into()).is_ip_literal());
        assert_eq!(Host::parse(""), Err(HostError::Empty));
        assert_eq!(Host::parse("user@host"), Err(HostError::Malformed));
        assert_eq!(Host::parse("a b"), Err(HostError::Malformed));
    }

    #[test]
    fn the_host_header_wins_over_the_uri() {
        let uri: Uri = "http://from-uri:1/x"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut headers = HeaderMap::new();
        assert_eq!(
            Host::of_request(&uri, &headers),
            Ok(Some(Host("from-uri".into())))
        );
        headers.insert(
            header::HOST,
            "From-Header".parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(
            Host::of_request(&uri, &headers),
            Ok(Some(Host("from-header".into())))
        );
        let bare: Uri = "/x".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Host::of_request(&bare, &HeaderMap::new()), Ok(None));
    }
}
