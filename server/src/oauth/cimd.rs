//! Client ID Metadata Documents (MCP 2026-07-28 client registration,
//! draft-ietf-oauth-client-id-metadata-document): a client whose `client_id` is an `https` URL
//! is described by the JSON document at that URL, fetched when the client first asks.
//!
//! The URL: `https`, a host, a path other than `/` without `.`/`..` segments, no fragment, no
//! credentials, printable ASCII, at most [`MAX_URL_BYTES`].
//!
//! The fetch is a request the server makes to an address the client chose, so it is fenced
//! (server-side request forgery): no redirects followed, no proxy, [`FETCH_TIMEOUT`] for the
//! whole exchange, at most [`MAX_BODY_BYTES`] read. The host is resolved here and every address
//! it resolves to must be public ([`is_public`]); the connection then goes to exactly those
//! addresses (the resolver is the client's own), so a DNS answer that changes between the check
//! and the connection cannot reach an internal host. An IP-literal host is checked the same way.
//!
//! The document: a JSON object whose `client_id` equals the URL exactly, with a `client_name`
//! and `redirect_uris` (each one acceptable to [`redirect::refuse`]); a public client only
//! (`token_endpoint_auth_method` absent or `none`, no `client_secret`); if it lists
//! `grant_types` or `response_types`, they include `authorization_code` and `code`. Other
//! members are ignored.
//!
//! Documents are cached in memory for their `Cache-Control: max-age`, held between
//! [`MIN_TTL`] and [`MAX_TTL`] ([`MIN_TTL`] without one); a refusal is cached for
//! [`FAILURE_TTL`], so a bad URL is fetched at most that often however many requests name it.
//!
//! For tests only, `--oauth-cimd-allow-loopback` also accepts loopback addresses and plain
//! `http` to a loopback host; every other rule stays.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde_json::Value;
use url::Url;

use super::records::{ClientRecord, now};
use super::redirect;

/// Longest `client_id` URL accepted.
pub const MAX_URL_BYTES: usize = 1024;
/// Largest document read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The whole fetch: connection, TLS, headers and body.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Shortest time a document is kept (also without `Cache-Control: max-age`).
pub const MIN_TTL: Duration = Duration::from_secs(5 * 60);
/// Longest time a document is kept, whatever it says.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a refusal is remembered.
pub const FAILURE_TTL: Duration = Duration::from_secs(30);
/// Redirect URIs one document may list.
const MAX_REDIRECT_URIS: usize = 20;
/// Longest client name kept (as for dynamic registration).
const MAX_NAME_CHARS: usize = 100;
/// Roughly how many bytes of documents and refusals the cache holds.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a `client_id` URL, or the document it points to, is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CimdError {
    #[error("the client_id URL is longer than {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error("the client_id URL holds characters other than printable ASCII")]
    NotAscii,
    #[error("the client_id is not a valid URL")]
    NotUrl,
    #[error("the client_id URL must use https")]
    NotHttps,
    #[error("the client_id URL must have a path other than /")]
    NoPath,
    #[error("the client_id URL must not have . or .. path segments")]
    DotSegment,
    #[error("the client_id URL must not have a fragment")]
    Fragment,
    #[error("the client_id URL must not hold credentials")]
    Credentials,
    #[error("the client_id host is not a public internet address")]
    Blocked,
    #[error("the client metadata document did not arrive within {} s", FETCH_TIMEOUT.as_secs())]
    Timeout,
    #[error("the client metadata document could not be fetched ({0})")]
    Fetch(String),
    #[error(
        "the client metadata document URL answered with a redirect (HTTP {0}); redirects are not followed"
    )]
    Redirect(u16),
    #[error("the client metadata document URL answered HTTP {0}")]
    Status(u16),
    #[error("the client metadata document is larger than {} KiB", MAX_BODY_BYTES / 1024)]
    TooLarge,
    #[error("the client metadata document is not a JSON object")]
    NotJson,
    #[error("the client metadata document's client_id is not its own URL")]
    IdMismatch,
    #[error("the client metadata document has no {0}")]
    Missing(&'static str),
    #[error("the client metadata document's {0} has the wrong type")]
    WrongType(&'static str),
    #[error("the client metadata document lists more than {MAX_REDIRECT_URIS} redirect_uris")]
    TooManyRedirectUris,
    #[error("the client metadata document lists a redirect URI that is refused: {0}")]
    BadRedirectUri(String),
    #[error(
        "the client metadata document asks for token_endpoint_auth_method {0:?}; only public clients (\"none\") are accepted"
    )]
    NotPublic(String),
    #[error("the client metadata document holds a client_secret")]
    Secret,
    #[error("the client metadata document's {0} leave out the authorization code flow")]
    NoCodeFlow(&'static str),
    #[error("client metadata documents cannot be fetched: {0}")]
    Unavailable(String),
}

/// Whether a `client_id` names a metadata document rather than a registration of ours.
pub fn is_document_url(client_id: &str) -> bool {
    let prefix = |p: &str| {
        client_id
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    };
    prefix("https://") || prefix("http://")
}

/// Checks a `client_id` against the URL rules (see the module documentation).
pub fn check_url(client_id: &str, allow_loopback: bool) -> Result<Url, CimdError> {
    if client_id.len() > MAX_URL_BYTES {
        return Err(CimdError::TooLong);
    }
    if !client_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CimdError::NotAscii);
    }
    let url = Url::parse(client_id).map_err(|_| CimdError::NotUrl)?;
    if url.fragment().is_some() || client_id.contains('#') {
        return Err(CimdError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CimdError::Credentials);
    }
    let Some(host) = url.host() else {
        return Err(CimdError::NotUrl);
    };
    let loopback_host = match &host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    };
    let https = client_id.starts_with("https://");
    let test_http = allow_loopback && loopback_host && client_id.starts_with("http://");
    if !https && !test_http {
        return Err(CimdError::NotHttps);
    }
    if has_dot_segment(client_id) {
        return Err(CimdError::DotSegment);
    }
    if url.path() == "/" {
        return Err(CimdError::NoPath);
    }
    // An IP literal is connected to directly, without the resolver: check it here.
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = literal
        && !allowed(ip, allow_loopback)
    {
        return Err(CimdError::Blocked);
    }
    Ok(url)
}

/// Whether the path of the URL as written has a `.` or `..` segment (the parsed URL has
/// already removed them, so the document would be fetched from elsewhere than it says).
fn has_dot_segment(raw: &str) -> bool {
    let before_query = raw.split(['?', '#']).next().unwrap_or_default();
    let after_scheme = before_query
        .split_once("://")
        .map_or(before_query, |(_, rest)| rest);
    let Some(start) = after_scheme.find('/') else {
        return false;
    };
    after_scheme[start..].split('/').any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    })
}

/// Whether an address may be fetched from: a public unicast address (not loopback, private,
/// shared, link-local, documentation, benchmarking, multicast, reserved or unspecified, nor an
/// IPv6 form that embeds IPv4 or leaves the public internet).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => v4_public(ip),
        IpAddr::V6(ip) => v6_public(ip),
    }
}

fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    is_public(ip) || (allow_loopback && ip.is_loopback())
}

fn v4_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network", 0.0.0.0
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !special
}

fn v6_public(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Only global unicast (2000::/3): this leaves out unspecified, loopback, IPv4-mapped and
    // -compatible, NAT64 (64:ff9b::/96), discard-only, unique-local, link-local, site-local and
    // multicast addresses.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 2001::/23: IETF protocol assignments, Teredo; 2001:db8::/32: documentation.
    let special = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8))
        || s[0] == 0x2002 // 6to4: embeds an IPv4 address
        || (s[0] & 0xfff0) == 0x3ff0; // documentation (3fff::/20)
    !special
}

/// An address the resolver would not connect to (found again in the error's sources).
#[derive(Debug, thiserror::Error)]
#[error("the host resolves to an address that is not public")]
struct BlockedAddress;

/// The fetcher's resolver: the system's, refusing a name if any of its addresses is not public.
/// The connection goes to the addresses returned here and nowhere else.
#[derive(Debug)]
struct GuardedResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(resolve_public(
            name.as_str().to_owned(),
            self.allow_loopback,
        ))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn resolve_public(
    host: String,
    allow_loopback: bool,
) -> Result<reqwest::dns::Addrs, BoxError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if addrs.is_empty() {
        return Err("the host has no address".into());
    }
    if addrs.iter().any(|a| !allowed(a.ip(), allow_loopback)) {
        return Err(Box::new(BlockedAddress));
    }
    Ok(Box::new(addrs.into_iter()))
}

/// `max-age` of the `Cache-Control` headers, held between [`MIN_TTL`] and [`MAX_TTL`].
pub fn ttl_from(headers: &HeaderMap) -> Duration {
    let max_age = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|directive| {
            let (name, value) = directive.trim().split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("max-age") {
                return None;
            }
            value.trim().trim_matches('"').parse::<u64>().ok()
        })
        .next();
    clamp_ttl(max_age)
}

/// A document's lifetime in the cache from its `max-age` in seconds.
pub fn clamp_ttl(max_age: Option<u64>) -> Duration {
    max_age
        .map(Duration::from_secs)
        .unwrap_or(MIN_TTL)
        .clamp(MIN_TTL, MAX_TTL)
}

/// Checks a fetched document against the URL it came from and makes the client's record.
pub fn validate(url: &str, body: &[u8]) -> Result<ClientRecord, CimdError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(CimdError::TooLarge);
    }
    let doc: serde_json::Map<String, Value> =
        serde_json::from_slice(body).map_err(|_| CimdError::NotJson)?;
    let text = |name: &'static str| -> Result<Option<&str>, CimdError> {
        match doc.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(CimdError::WrongType(name)),
        }
    };
    let strings = |name: &'static str| -> Result<Option<Vec<&str>>, CimdError> {
        match doc.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().ok_or(CimdError::WrongType(name)))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(CimdError::WrongType(name)),
        }
    };
    match text("client_id")? {
        None => return Err(CimdError::Missing("client_id")),
        Some(id) if id != url => return Err(CimdError::IdMismatch),
        Some(_) => {}
    }
    let name = text("client_name")?
        .map(|n| n.trim().chars().take(MAX_NAME_CHARS).collect::<String>())
        .filter(|n| !n.is_empty())
        .ok_or(CimdError::Missing("client_name"))?;
    let redirect_uris = strings("redirect_uris")?
        .filter(|uris| !uris.is_empty())
        .ok_or(CimdError::Missing("redirect_uris"))?;
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(CimdError::TooManyRedirectUris);
    }
    if let Some(why) = redirect_uris.iter().find_map(|u| redirect::refuse(u)) {
        return Err(CimdError::BadRedirectUri(why));
    }
    match text("token_endpoint_auth_method")? {
        None | Some("none") => {}
        Some(other) => return Err(CimdError::NotPublic(other.to_owned())),
    }
    if doc.contains_key("client_secret") {
        return Err(CimdError::Secret);
    }
    if let Some(grants) = strings("grant_types")?
        && !grants.contains(&"authorization_code")
    {
        return Err(CimdError::NoCodeFlow("grant_types"));
    }
    if let Some(responses) = strings("response_types")?
        && !responses.contains(&"code")
    {
        return Err(CimdError::NoCodeFlow("response_types"));
    }
    Ok(ClientRecord {
        client_id: url.to_owned(),
        client_name: Some(name),
        redirect_uris: redirect_uris.into_iter().map(str::to_owned).collect(),
        issued_at: now(),
    })
}

/// A cached answer for one URL.
#[derive(Clone)]
struct Cached {
    outcome: Result<Arc<ClientRecord>, CimdError>,
    ttl: Duration,
}

impl Cached {
    /// Roughly the bytes it holds, for the cache's bound.
    fn weight(&self, url: &str) -> u32 {
        let record = match &self.outcome {
            Ok(r) => {
                r.client_name.as_ref().map_or(0, String::len)
                    + r.redirect_uris.iter().map(String::len).sum::<usize>()
            }
            Err(e) => match e {
                CimdError::BadRedirectUri(s) | CimdError::NotPublic(s) | CimdError::Fetch(s) => {
                    s.len()
                }
                _ => 0,
            },
        };
        u32::try_from(url.len() + record + 128).unwrap_or(u32::MAX)
    }
}

struct ByTtl;

impl moka::Expiry<String, Cached> for ByTtl {
    fn expire_after_create(&self, _: &String, value: &Cached, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        value: &Cached,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Fetches, checks and caches metadata documents. Cheap to clone.
#[derive(Clone)]
pub struct Documents {
    http: Result<reqwest::Client, String>,
    cache: moka::future::Cache<String, Cached>,
    allow_loopback: bool,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("cached", &self.cache.entry_count())
            .field("allow_loopback", &self.allow_loopback)
            .finish_non_exhaustive()
    }
}

impl Documents {
    /// `allow_loopback` is the test-only escape (see the module documentation).
    pub fn new(allow_loopback: bool) -> Self {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1)
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            .user_agent(concat!(
                "spotify-mcp-server/",
                env!("CARGO_PKG_VERSION"),
                " (client metadata)"
            ))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "cannot build the HTTP client for client metadata documents");
                e.to_string()
            });
        let cache = moka::future::Cache::builder()
            .max_capacity(CACHE_BYTES)
            .weigher(|url: &String, cached: &Cached| cached.weight(url))
            .expire_after(ByTtl)
            .build();
        Self {
            http,
            cache,
            allow_loopback,
        }
    }

    /// The client a metadata document URL describes: from the cache, or fetched now (once for
    /// concurrent requests).
    pub async fn client(&self, client_id: &str) -> Result<ClientRecord, CimdError> {
        let url = check_url(client_id, self.allow_loopback)?;
        let cached = self
            .cache
            .get_with(client_id.to_owned(), self.fetch(client_id, url))
            .await;
        cached.outcome.map(|record| record.as_ref().clone())
    }

    async fn fetch(&self, client_id: &str, url: Url) -> Cached {
        match self.fetch_document(client_id, url).await {
            Ok((record, ttl)) => Cached {
                outcome: Ok(Arc::new(record)),
                ttl,
            },
            Err(e) => Cached {
                outcome: Err(e),
                ttl: FAILURE_TTL,
            },
        }
    }

    async fn fetch_document(
        &self,
        client_id: &str,
        url: Url,
    ) -> Result<(ClientRecord, Duration), CimdError> {
        let http = self
            .http
            .as_ref()
            .map_err(|e| CimdError::Unavailable(e.clone()))?;
        let mut response = http
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fetch_error(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(CimdError::Redirect(status.as_u16()));
        }
        if status != reqwest::StatusCode::OK {
            return Err(CimdError::Status(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(CimdError::TooLarge);
        }
        let ttl = ttl_from(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fetch_error(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(CimdError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((validate(client_id, &body)?, ttl))
    }
}

/// What went wrong with a request, without echoing more than a short reason.
fn fetch_error(e: &reqwest::Error) -> CimdError {
    if e.is_timeout() {
        return CimdError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<BlockedAddress>() {
            return CimdError::Blocked;
        }
        source = err.source();
    }
    let why = if e.is_connect() {
        "the host could not be reached"
    } else if e.is_body() || e.is_decode() {
        "the response broke off"
    } else {
        "the request failed"
    };
    CimdError::Fetch(why.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use axum::body::Body;
    use axum::http::{HeaderValue, Request, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn document_urls_are_told_from_registrations() {
        assert!(is_document_url("https://app.example/client.json"));
        assert!(is_document_url("HTTPS://app.example/client.json"));
        assert!(is_document_url("http://127.0.0.1/c"));
        assert!(!is_document_url("smcp_client_abc"));
        assert!(!is_document_url("https:/x"));
        assert!(!is_document_url("é"));
    }

    #[test]
    fn url_rules() {
        for ok in [
            "https://app.example.com/oauth/client.json",
            "https://app.example.com:8443/c",
            "https://app.example.com/c?v=1",
            "https://8.8.8.8/client",
        ] {
            assert!(check_url(ok, false).is_ok(), "{ok}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_URL_BYTES));
        for (bad, why) in [
            (long.as_str(), CimdError::TooLong),
            ("https://app.example.com/a b", CimdError::NotAscii),
            ("https://app.example.com/\u{e9}", CimdError::NotAscii),
            ("https://app.example.com/c\n", CimdError::NotAscii),
            ("https://", CimdError::NotUrl),
            ("https://app.example.com", CimdError::NoPath),
            ("https://app.example.com/", CimdError::NoPath),
            ("https://app.example.com/?x=1", CimdError::NoPath),
            ("http://app.example.com/c", CimdError::NotHttps),
            ("HTTPS://app.example.com/c", CimdError::NotHttps),
            ("http://127.0.0.1:8080/c", CimdError::NotHttps),
            ("https://app.example.com/c#f", CimdError::Fragment),
            ("https://app.example.com/c#", CimdError::Fragment),
            ("https://u:p@app.example.com/c", CimdError::Credentials),
            ("https://u@app.example.com/c", CimdError::Credentials),
            ("https://app.example.com/a/../c", CimdError::DotSegment),
            ("https://app.example.com/a/./c", CimdError::DotSegment),
            ("https://app.example.com/a/%2E%2e/c", CimdError::DotSegment),
            ("https://app.example.com/c/..", CimdError::DotSegment),
            ("https://127.0.0.1/c", CimdError::Blocked),
            ("https://2130706433/c", CimdError::Blocked),
            ("https://0x7f.1/c", CimdError::Blocked),
            ("https://10.0.0.7/c", CimdError::Blocked),
            (
                "https://169.254.169.254/latest/meta-data",
                CimdError::Blocked,
            ),
            ("https://[::1]/c", CimdError::Blocked),
            ("https://[::ffff:127.0.0.1]/c", CimdError::Blocked),
            ("https://[fd00::1]/c", CimdError::Blocked),
        ] {
            assert_eq!(check_url(bad, false).unwrap_err(), why, "{bad:?}");
        }
    }

    #[test]
    fn the_test_escape_admits_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080/c",
            "http://localhost:8080/c",
            "http://[::1]:8080/c",
            "https://127.0.0.1/c",
        ] {
            assert!(check_url(ok, true).is_ok(), "{ok}");
        }
        assert_eq!(
            check_url("http://10.0.0.7/c", true).unwrap_err(),
            CimdError::NotHttps
        );
        assert_eq!(
            check_url("https://10.0.0.7/c", true).unwrap_err(),
            CimdError::Blocked
        );
        assert_eq!(
            check_url("https://169.254.169.254/c", true).unwrap_err(),
            CimdError::Blocked
        );
        assert_eq!(
            check_url("http://127.0.0.1/", true).unwrap_err(),
            CimdError::NoPath
        );
        assert!(allowed("127.0.0.1".parse().unwrap(), true));
        assert!(allowed("::1".parse().unwrap(), true));
        assert!(!allowed("192.168.1.1".parse().unwrap(), true));
    }

    #[test]
    fn only_public_addresses_are_fetched_from() {
        for blocked in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.1",
            "198.18.0.7",
            "198.19.255.1",
            "198.51.100.1",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap();
            assert!(!is_public(ip), "{blocked} was taken for public");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81c::200e",
            "2001:4860:4860::8888",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public(ip), "{public} was taken for special");
        }
    }

    const URL: &str = "https://app.example.com/oauth/client.json";

    fn doc(extra: Value) -> Vec<u8> {
        let mut doc = serde_json::json!({
            "client_id": URL,
            "client_name": "Example App",
            "redirect_uris": ["https://app.example.com/cb", "http://127.0.0.1/callback"],
        });
        if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    doc.remove(k);
                } else {
                    doc.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn a_valid_document_makes_a_public_client() {
        let record = validate(
            URL,
            &doc(serde_json::json!({
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "logo_uri": "https://app.example.com/logo.png",
                "something_new": {"nested": true},
            })),
        )
        .unwrap();
        assert_eq!(record.client_id, URL);
        assert_eq!(record.client_name.as_deref(), Some("Example App"));
        assert_eq!(record.redirect_uris.len(), 2);
        let long_name = "n".repeat(500);
        let record = validate(URL, &doc(serde_json::json!({ "client_name": long_name }))).unwrap();
        assert_eq!(record.client_name.map(|n| n.len()), Some(MAX_NAME_CHARS));
    }

    #[test]
    fn invalid_documents_are_refused() {
        use serde_json::json;
        let cases = [
            (
                json!({ "client_id": format!("{URL}/") }),
                CimdError::IdMismatch,
            ),
            (
                json!({ "client_id": "https://APP.example.com/oauth/client.json" }),
                CimdError::IdMismatch,
            ),
            (
                json!({ "client_id": null }),
                CimdError::Missing("client_id"),
            ),
            (json!({ "client_id": 7 }), CimdError::WrongType("client_id")),
            (
                json!({ "client_name": null }),
                CimdError::Missing("client_name"),
            ),
            (
                json!({ "client_name": "  " }),
                CimdError::Missing("client_name"),
            ),
            (
                json!({ "client_name": ["x"] }),
                CimdError::WrongType("client_name"),
            ),
            (
                json!({ "redirect_uris": null }),
                CimdError::Missing("redirect_uris"),
            ),
            (
                json!({ "redirect_uris": [] }),
                CimdError::Missing("redirect_uris"),
            ),
            (
                json!({ "redirect_uris": "https://app.example.com/cb" }),
                CimdError::WrongType("redirect_uris"),
            ),
            (
                json!({ "redirect_uris": [1] }),
                CimdError::WrongType("redirect_uris"),
            ),
            (
                json!({ "redirect_uris": vec!["https://app.example.com/cb"; MAX_REDIRECT_URIS + 1] }),
                CimdError::TooManyRedirectUris,
            ),
            (
                json!({ "token_endpoint_auth_method": "client_secret_basic" }),
                CimdError::NotPublic("client_secret_basic".into()),
            ),
            (
                json!({ "token_endpoint_auth_method": "private_key_jwt" }),
                CimdError::NotPublic("private_key_jwt".into()),
            ),
            (json!({ "client_secret": "s3cret" }), CimdError::Secret),
            (
                json!({ "grant_types": ["client_credentials"] }),
                CimdError::NoCodeFlow("grant_types"),
            ),
            (
                json!({ "response_types": ["token"] }),
                CimdError::NoCodeFlow("response_types"),
            ),
        ];
        for (change, why) in cases {
            assert_eq!(
                validate(URL, &doc(change.clone())).unwrap_err(),
                why,
                "{change}"
            );
        }
        for bad_redirect in [
            "http://evil.example/cb",
            "javascript:alert(1)",
            "https://app.example.com/cb#x",
            "myapp:/cb",
        ] {
            let body = doc(json!({ "redirect_uris": [bad_redirect] }));
            assert!(
                matches!(validate(URL, &body), Err(CimdError::BadRedirectUri(_))),
                "{bad_redirect}"
            );
        }
        for not_object in [&b"[]"[..], b"\"x\"", b"{", b"", b"<html></html>"] {
            assert_eq!(validate(URL, not_object).unwrap_err(), CimdError::NotJson);
        }
        let padding = " ".repeat(MAX_BODY_BYTES);
        let mut big = doc(json!({}));
        big.extend_from_slice(padding.as_bytes());
        assert_eq!(validate(URL, &big).unwrap_err(), CimdError::TooLarge);
    }

    #[test]
    fn cache_lifetimes_are_held_between_five_minutes_and_a_day() {
        assert_eq!(clamp_ttl(None), MIN_TTL);
        assert_eq!(clamp_ttl(Some(0)), MIN_TTL);
        assert_eq!(clamp_ttl(Some(299)), MIN_TTL);
        assert_eq!(clamp_ttl(Some(3600)), Duration::from_secs(3600));
        assert_eq!(clamp_ttl(Some(86_400)), MAX_TTL);
        assert_eq!(clamp_ttl(Some(u64::MAX)), MAX_TTL);
        let ttl = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
            }
            ttl_from(&headers)
        };
        assert_eq!(ttl(&[]), MIN_TTL);
        assert_eq!(ttl(&["no-store"]), MIN_TTL);
        assert_eq!(ttl(&["public, max-age=3600"]), Duration::from_secs(3600));
        assert_eq!(ttl(&["MAX-AGE=\"7200\""]), Duration::from_secs(7200));
        assert_eq!(ttl(&["public", "max-age=900"]), Duration::from_secs(900));
        assert_eq!(ttl(&["max-age=31536000, immutable"]), MAX_TTL);
        assert_eq!(ttl(&["max-age=soon"]), MIN_TTL);
    }

    /// A document server on 127.0.0.1 counting requests by path. A document's `client_id` is
    /// built from the request's Host, so it matches whichever name the fetcher used.
    struct DocServer {
        port: u16,
        hits: Arc<Mutex<HashMap<String, usize>>>,
    }

    impl DocServer {
        async fn start() -> Self {
            let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
            let counter = hits.clone();
            let app = axum::Router::new().fallback(move |request: Request<Body>| {
                let counter = counter.clone();
                async move {
                    let path = request.uri().path().to_owned();
                    *counter.lock().unwrap().entry(path.clone()).or_default() += 1;
                    let host = request
                        .headers()
                        .get(header::HOST)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    serve(&host, &path).await
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            tokio::spawn(async move { axum::serve(listener, app).await });
            Self { port, hits }
        }

        fn url(&self, path: &str) -> String {
            format!("http://127.0.0.1:{}{path}", self.port)
        }

        fn hits(&self, path: &str) -> usize {
            self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
        }
    }

    async fn serve(host: &str, path: &str) -> Response {
        let id = format!("http://{host}{path}");
        let document = serde_json::json!({
            "client_id": id,
            "client_name": "Loopback Test Client",
            "redirect_uris": ["http://127.0.0.1:3000/callback"],
        });
        match path {
            "/client.json" => (
                [(header::CACHE_CONTROL, "max-age=600")],
                axum::Json(document),
            )
                .into_response(),
            "/moved.json" => {
                (StatusCode::FOUND, [(header::LOCATION, "/client.json")]).into_response()
            }
            "/mismatch.json" => axum::Json(serde_json::json!({
                "client_id": "https://elsewhere.example/client.json",
                "client_name": "Mismatch",
                "redirect_uris": ["http://127.0.0.1:3000/callback"],
            }))
            .into_response(),
            "/endless.json" => {
                // No Content-Length: the cap must stop the reading.
                let chunk = bytes::Bytes::from(vec![b' '; 16 * 1024]);
                let stream = futures::stream::repeat(chunk)
                    .take(100)
                    .map(Ok::<_, std::io::Error>);
                Body::from_stream(stream).into_response()
            }
            "/slow.json" => {
                tokio::time::sleep(FETCH_TIMEOUT + Duration::from_secs(3)).await;
                axum::Json(document).into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }

    use futures::StreamExt;

    #[tokio::test]
    async fn documents_are_fetched_once_and_redirects_are_not_followed() {
        let server = DocServer::start().await;
        let documents = Documents::new(true);
        let url = server.url("/client.json");
        let first = documents.client(&url).await.unwrap();
        let second = documents.client(&url).await.unwrap();
        assert_eq!(first.client_id, url);
        assert_eq!(first.client_name.as_deref(), Some("Loopback Test Client"));
        assert_eq!(first.redirect_uris, second.redirect_uris);
        assert_eq!(server.hits("/client.json"), 1);

        // Through the resolver (a name, not an IP literal): loopback is let through by the escape.
        let by_name = format!("http://localhost:{}/client.json", server.port);
        assert_eq!(documents.client(&by_name).await.unwrap().client_id, by_name);
        assert_eq!(server.hits("/client.json"), 2);

        let moved = server.url("/moved.json");
        assert_eq!(
            documents.client(&moved).await.unwrap_err(),
            CimdError::Redirect(302)
        );
        assert_eq!(server.hits("/client.json"), 2, "the redirect was followed");

        let mismatch = server.url("/mismatch.json");
        for _ in 0..3 {
            assert_eq!(
                documents.client(&mismatch).await.unwrap_err(),
                CimdError::IdMismatch
            );
        }
        assert_eq!(server.hits("/mismatch.json"), 1, "a refusal was not cached");

        assert_eq!(
            documents
                .client(&server.url("/missing.json"))
                .await
                .unwrap_err(),
            CimdError::Status(404)
        );
        assert_eq!(
            documents
                .client(&server.url("/endless.json"))
                .await
                .unwrap_err(),
            CimdError::TooLarge
        );
    }

    #[tokio::test]
    async fn a_slow_document_times_out() {
        let server = DocServer::start().await;
        let documents = Documents::new(true);
        let started = Instant::now();
        assert_eq!(
            documents
                .client(&server.url("/slow.json"))
                .await
                .unwrap_err(),
            CimdError::Timeout
        );
        assert!(started.elapsed() < FETCH_TIMEOUT + Duration::from_secs(2));
    }

    #[tokio::test]
    async fn without_the_escape_loopback_is_refused_before_any_request() {
        let server = DocServer::start().await;
        let documents = Documents::new(false);
        assert_eq!(
            documents
                .client(&server.url("/client.json"))
                .await
                .unwrap_err(),
            CimdError::NotHttps
        );
        // A name resolving to loopback: the resolver refuses it, so nothing connects.
        let by_name = format!("https://localhost:{}/client.json", server.port);
        assert_eq!(
            documents.client(&by_name).await.unwrap_err(),
            CimdError::Blocked
        );
        let literal = format!("https://127.0.0.1:{}/client.json", server.port);
        assert_eq!(
            documents.client(&literal).await.unwrap_err(),
            CimdError::Blocked
        );
        assert_eq!(server.hits("/client.json"), 0);
    }

    /// The authorization server of `app.rs` (memory store, ephemeral keys, an offline Spotify
    /// client), with the test-only escape set as given.
    fn authority(cimd: bool, allow_loopback: bool) -> super::super::Authority {
        use crate::spotify::{Credentials, SpotifyClient, SpotifyConfig};
        let args = super::super::HostedArgs {
            oauth: true,
            public_url: Some("http://127.0.0.1:8000".into()),
            oauth_store: "memory".into(),
            oauth_access_ttl: 3600,
            oauth_refresh_ttl: 3600,
            oauth_dcr: true,
            oauth_cimd: cimd,
            oauth_cimd_allow_loopback: allow_loopback,
            oauth_user_rate_limit: "off".into(),
            ..Default::default()
        };
        let config = args.validate(false, false, false).unwrap().unwrap();
        let mut spotify = SpotifyConfig::new("test-client", Credentials::ClientCredentials);
        spotify.client_secret = Some("test-secret".into());
        spotify.api_base_url = "http://127.0.0.1:9/v1".into();
        spotify.accounts_base_url = "http://127.0.0.1:9".into();
        super::super::Authority::new(
            config,
            Arc::new(super::super::store::MemoryStore::default()),
            super::super::keyring::Keyring::ephemeral(),
            SpotifyClient::new(spotify).unwrap(),
            crate::metrics::Metrics::disabled(),
        )
    }

    async fn authorize(
        authority: &super::super::Authority,
        client_id: &str,
        redirect_uri: &str,
    ) -> (StatusCode, Option<HeaderValue>, String) {
        let mut url = Url::parse("http://127.0.0.1:8000/oauth/authorize").unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            // RFC 7636 appendix B.
            .append_pair(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "s1");
        let request = Request::get(format!("/oauth/authorize?{}", url.query().unwrap()))
            .header(header::HOST, "127.0.0.1:8000")
            .body(Body::empty())
            .unwrap();
        let response = authority.router().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response.headers().get(header::LOCATION).cloned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            location,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn authorize_with_a_metadata_document() {
        let server = DocServer::start().await;
        let authority = authority(true, true);
        let client_id = server.url("/client.json");
        let (status, location, body) =
            authorize(&authority, &client_id, "http://127.0.0.1:3000/callback").await;
        assert_eq!(status, StatusCode::OK, "{location:?} {body}");
        assert!(location.is_none());
        assert!(body.contains("Loopback Test Client"), "{body}");
        assert!(
            body.contains(&client_id),
            "the consent page hides the client_id"
        );

        // A loopback redirect may change its port (RFC 8252); nothing else may differ.
        let (status, _, _) =
            authorize(&authority, &client_id, "http://127.0.0.1:4000/callback").await;
        assert_eq!(status, StatusCode::OK);
        for wrong in [
            "http://127.0.0.1:3000/other",
            "https://attacker.example/callback",
        ] {
            let (status, location, body) = authorize(&authority, &client_id, wrong).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");
            assert!(location.is_none(), "{wrong} was redirected to");
            assert!(
                body.contains("not one the application registered"),
                "{body}"
            );
        }
        assert_eq!(server.hits("/client.json"), 1);

        for refused in ["/moved.json", "/mismatch.json", "/missing.json"] {
            let (status, location, _) = authorize(
                &authority,
                &server.url(refused),
                "http://127.0.0.1:3000/callback",
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
            assert!(location.is_none(), "{refused}");
        }
        assert_eq!(server.hits("/client.json"), 1, "a redirect was followed");
    }

    #[tokio::test]
    async fn authorize_refuses_documents_when_turned_off_or_without_the_escape() {
        let server = DocServer::start().await;
        let client_id = server.url("/client.json");
        for authority in [authority(false, true), authority(true, false)] {
            let (status, location, _) =
                authorize(&authority, &client_id, "http://127.0.0.1:3000/callback").await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(location.is_none());
        }
        assert_eq!(server.hits("/client.json"), 0);
    }
}
