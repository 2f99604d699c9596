//! When user credentials stop working. Since 2026 a Spotify refresh token stops working six
//! months after the user authorised the app, and refreshing does not extend it, so the server
//! keeps the authorisation date next to the refresh token (token file field `authorized_at`,
//! or `SPOTIFY_AUTHORIZED_AT` for a refresh token from the environment) and reports it.

use chrono::{DateTime, Months, SecondsFormat, Utc};

/// How long a refresh token works after the user authorised: six calendar months in UTC.
/// A day that the sixth month lacks is clamped to that month's last day, so 2026-08-31 expires
/// 2027-02-28; the time of day is kept. The operator computes the same date.
pub const REFRESH_TOKEN_LIFETIME_MONTHS: u32 = 6;

/// When the user authorised the credentials the server acts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// Client Credentials: the app acts alone, nothing expires.
    AppOnly,
    /// User credentials whose authorisation date nobody recorded (a token file written before
    /// dates were kept, or `SPOTIFY_REFRESH_TOKEN` without `SPOTIFY_AUTHORIZED_AT`).
    Unknown,
    /// User credentials authorised at this instant.
    At(DateTime<Utc>),
}

impl Authorization {
    /// The user credentials of `authorized_at` (unknown when `None`).
    pub fn of_user(authorized_at: Option<DateTime<Utc>>) -> Self {
        authorized_at.map_or(Self::Unknown, Self::At)
    }

    /// When the refresh token stops working, if known.
    pub fn expires_at(self) -> Option<DateTime<Utc>> {
        match self {
            Self::At(at) => Some(refresh_token_expiry(at)),
            Self::AppOnly | Self::Unknown => None,
        }
    }
}

/// When a refresh token authorised at `authorized_at` stops working
/// (see [`REFRESH_TOKEN_LIFETIME_MONTHS`]).
pub fn refresh_token_expiry(authorized_at: DateTime<Utc>) -> DateTime<Utc> {
    authorized_at
        .checked_add_months(Months::new(REFRESH_TOKEN_LIFETIME_MONTHS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Parses an RFC 3339 instant (any offset) into UTC; the `--authorized-at` value parser.
pub fn parse_authorized_at(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("expected an RFC 3339 date and time such as 2026-01-31T18:00:00Z ({e})")
        })
}

/// `at` as RFC 3339 in UTC with whole seconds (`2026-01-31T18:00:00Z`).
pub fn format_rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_authorized_at(s).unwrap()
    }

    #[test]
    fn six_calendar_months_clamped_to_the_month_end() {
        assert_eq!(
            refresh_token_expiry(t("2026-01-15T10:20:30Z")),
            t("2026-07-15T10:20:30Z")
        );
        assert_eq!(
            refresh_token_expiry(t("2026-08-31T23:00:00Z")),
            t("2027-02-28T23:00:00Z")
        );
        assert_eq!(
            refresh_token_expiry(t("2027-08-31T00:00:00Z")),
            t("2028-02-29T00:00:00Z")
        );
    }

    #[test]
    fn parsing_takes_any_offset_and_reports_the_expected_form() {
        assert_eq!(
            t("2026-03-01T02:00:00+02:00"),
            t("2026-03-01T00:00:00Z"),
            "offsets are converted to UTC"
        );
        assert_eq!(
            format_rfc3339(t(" 2026-03-01T00:00:00.9+00:00 ")),
            "2026-03-01T00:00:00Z"
        );
        let err = parse_authorized_at("2026-03-01").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn only_known_user_credentials_have_an_expiry() {
        let at = t("2026-01-01T00:00:00Z");
        assert_eq!(
            Authorization::of_user(Some(at)).expires_at(),
            Some(t("2026-07-01T00:00:00Z"))
        );
        assert_eq!(Authorization::of_user(None), Authorization::Unknown);
        assert_eq!(Authorization::Unknown.expires_at(), None);
        assert_eq!(Authorization::AppOnly.expires_at(), None);
    }
}
