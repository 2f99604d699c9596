//! The Kubernetes Secret that `auth login --print-secret NAME` prints: the keys the operator and
//! the Helm chart read by default (`client-id`, `refresh-token`) and the authorisation date as
//! the annotation [`AUTHORIZED_AT_ANNOTATION`], which the operator passes to the server as
//! `SPOTIFY_AUTHORIZED_AT` and uses for its `CredentialsExpiring` condition.

use chrono::{DateTime, Utc};

use crate::spotify::auth::expiry::{format_rfc3339, refresh_token_expiry};
use crate::spotify::secret::Secret;

/// Annotation of the credentials Secret holding when the user authorised (RFC 3339).
pub const AUTHORIZED_AT_ANNOTATION: &str = "spotifymcp.dev/authorized-at";

/// Checks that `name` is a valid Secret name (a lowercase DNS subdomain); the value parser of
/// `--print-secret`.
pub fn parse_secret_name(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(name.to_owned())
    } else {
        Err("a Secret name is a lowercase DNS subdomain: a-z, 0-9, '-' and '.', starting and ending with a letter or digit, at most 253 characters".to_owned())
    }
}

/// The Secret manifest (YAML) for a PKCE login. No client secret: refresh tokens of a PKCE
/// login are refreshed with the client ID alone, and the operator treats the key as optional.
/// The output holds the refresh token; it is meant for `kubectl apply -f -`, never for a log.
pub fn secret_manifest(
    name: &str,
    client_id: &str,
    refresh_token: &Secret,
    authorized_at: DateTime<Utc>,
) -> String {
    // JSON strings are YAML double-quoted scalars, so every value is quoted safely.
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let expires = format_rfc3339(refresh_token_expiry(authorized_at));
    format!(
        "# Spotify credentials for spotify-mcp; the refresh token stops working at {expires}.\n\
         # Apply with: kubectl apply -n <namespace> -f <this file>\n\
         apiVersion: v1\n\
         kind: Secret\n\
         metadata:\n  \
           name: {name}\n  \
           annotations:\n    \
             {AUTHORIZED_AT_ANNOTATION}: {at}\n\
         type: Opaque\n\
         stringData:\n  \
           client-id: {client_id}\n  \
           refresh-token: {refresh_token}\n",
        name = q(name),
        at = q(&format_rfc3339(authorized_at)),
        client_id = q(client_id),
        refresh_token = q(refresh_token.expose()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_carries_the_keys_the_operator_reads_and_the_date() {
        let at = crate::spotify::auth::expiry::parse_authorized_at("2026-02-03T04:05:06Z").unwrap();
        let yaml = secret_manifest("spotify-credentials", "cid", &Secret::new("R\"T:1"), at);
        let expected = "apiVersion: v1\n\
                        kind: Secret\n\
                        metadata:\n  name: \"spotify-credentials\"\n  annotations:\n    \
                        spotifymcp.dev/authorized-at: \"2026-02-03T04:05:06Z\"\n\
                        type: Opaque\n\
                        stringData:\n  client-id: \"cid\"\n  refresh-token: \"R\\\"T:1\"\n";
        assert!(yaml.ends_with(expected), "{yaml}");
        assert!(
            yaml.starts_with("# ") && yaml.contains("2026-08-03T04:05:06Z"),
            "{yaml}"
        );
        assert!(!yaml.contains("client-secret"));
    }

    #[test]
    fn secret_names_are_dns_subdomains() {
        for ok in ["spotify", "spotify-credentials", "a.b-1", "0"] {
            assert_eq!(parse_secret_name(ok).as_deref(), Ok(ok));
        }
        for bad in ["", "Spotify", "-x", "x-", "a_b", "a b", &"a".repeat(254)] {
            assert!(parse_secret_name(bad).is_err(), "{bad:?}");
        }
    }
}
