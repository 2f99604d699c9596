//! Which redirect URIs a client may register, and when a requested one matches.
//!
//! Registered: `https` anywhere; `http` only to a loopback host (a native client's local
//! listener, RFC 8252 §7.3); a private-use scheme such as `com.example.app:/cb` (RFC 8252 §7.1).
//! Never `javascript:`, `data:`, `file:`, `vbscript:`, nor a fragment, nor credentials.
//! Matched: as exact strings, except that for an `http` loopback URI the port may differ (RFC
//! 8252 §7.3: the client picks a free port each time).

use url::Url;

const FORBIDDEN_SCHEMES: &[&str] = &["javascript", "data", "file", "vbscript", "blob", "about"];

/// Why a redirect URI cannot be registered.
pub fn refuse(uri: &str) -> Option<String> {
    let Ok(url) = Url::parse(uri) else {
        return Some(format!("{uri:?} is not an absolute URI"));
    };
    if uri.len() > 2000 {
        return Some("a redirect URI is longer than 2000 characters".into());
    }
    if url.fragment().is_some() {
        return Some(format!("{uri:?} has a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(format!("{uri:?} holds credentials"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => None,
        "http" if is_loopback(&url) => None,
        "http" => Some(format!(
            "{uri:?} is plain http to a host other than loopback; use https"
        )),
        s if FORBIDDEN_SCHEMES.contains(&s) || s == "https" => {
            Some(format!("{uri:?} cannot be a redirect URI"))
        }
        // A private-use scheme of a native app (reverse domain name, RFC 8252 §7.1).
        s if s.contains('.') => None,
        _ => Some(format!(
            "{uri:?} uses a scheme that is neither https, loopback http nor a reverse-domain private-use scheme"
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `requested` matches the registered `registered` (see the module documentation).
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(a), Ok(b)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    a.scheme() == "http"
        && b.scheme() == "http"
        && is_loopback(&a)
        && a.host() == b.host()
        && a.path() == b.path()
        && a.query() == b.query()
        && a.fragment().is_none()
        && b.fragment().is_none()
}

/// The host a redirect goes to, shown on the consent page.
pub fn host_of(uri: &str) -> String {
    match Url::parse(uri) {
        Ok(url) => match url.host_str() {
            Some(host) => host.to_owned(),
            None => format!("{}:", url.scheme()),
        },
        Err(_) => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_redirect_uris() {
        for ok in [
            "https://app.example.com/cb",
            "http://127.0.0.1:33418/callback",
            "http://[::1]/cb",
            "http://localhost:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(refuse(ok), None, "{ok}");
        }
        for bad in [
            "not a uri",
            "/relative",
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "https://user:pw@app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "myapp:/cb",
        ] {
            assert!(refuse(bad).is_some(), "{bad} was accepted");
        }
    }

    #[test]
    fn matching_is_exact_but_for_the_port_of_loopback_http() {
        assert!(matches("https://a.example/cb", "https://a.example/cb"));
        assert!(!matches("https://a.example/cb", "https://a.example/cb/"));
        assert!(!matches("https://a.example/cb", "https://a.example:444/cb"));
        assert!(!matches("https://a.example/cb", "https://b.example/cb"));
        assert!(matches("http://127.0.0.1:1/cb", "http://127.0.0.1:5555/cb"));
        assert!(!matches(
            "http://127.0.0.1:1/cb",
            "http://127.0.0.1:5555/other"
        ));
        assert!(!matches("http://127.0.0.1:1/cb", "http://[::1]:5555/cb"));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1/cb?x=1"));
    }
}
