//! Status computation: what the operator observed in, the `SpotifyMcp` status out. Pure, so that
//! every condition rule is unit-tested; `lastTransitionTime` only moves when a condition's status
//! changes, which keeps a resync with nothing new from writing anything.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::crd::SpotifyMcpStatus;
use crate::secrets::{AUTHORIZED_AT_ANNOTATION, Authorization};

/// Condition types the operator maintains.
pub mod types {
    /// All desired replicas run the current spec and are available.
    pub const READY: &str = "Ready";
    /// A rollout is under way.
    pub const PROGRESSING: &str = "Progressing";
    /// Something needs a person: missing Secret, stuck rollout, failing pods.
    pub const DEGRADED: &str = "Degraded";
    /// The ServiceMonitor exists as specified.
    pub const SERVICE_MONITOR_READY: &str = "ServiceMonitorReady";
    /// The PrometheusRule exists as specified.
    pub const PROMETHEUS_RULE_READY: &str = "PrometheusRuleReady";
    /// The Gateway API HTTPRoute exists as specified.
    pub const HTTP_ROUTE_READY: &str = "HTTPRouteReady";
    /// The Spotify refresh token stops working within [`super::CREDENTIALS_WARNING`] (or has).
    pub const CREDENTIALS_EXPIRING: &str = "CredentialsExpiring";
    /// More than one replica may run, and they share sessions, the rate budget and the cache
    /// through Redis (absent while at most one replica can run).
    pub const SHARED_STATE: &str = "SharedState";
    /// The ready server pods say (at their `/status`) that Spotify accepts their credentials
    /// and is not holding their requests back (absent when the operator does not ask them).
    pub const SPOTIFY_REACHABLE: &str = "SpotifyReachable";
}

/// How a server talks to Spotify, which decides what its `/status` check covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpotifyMode {
    /// One Spotify account (`spec.spotify`): its refresh token, or app-only client credentials.
    Account,
    /// Hosted mode: the app's client credentials (each user's own sign-in is not checked).
    Hosted,
    /// The built-in sandbox (`spec.sandbox`).
    Sandbox,
}

/// What one ready server pod answered at `/status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodReport {
    /// The credentials work; `rate_limited_for`: seconds Spotify's last 429 still holds this app's
    /// requests back, if it does.
    Usable {
        /// Seconds left of the 429 hold.
        rate_limited_for: Option<u64>,
    },
    /// The credentials do not work; `error` is the server's kind of failure (`reauth_required`,
    /// `transport`, `rate_limited`, ...; `pending` while the first token is being obtained).
    Unusable {
        /// The server's kind of failure.
        error: String,
        /// Seconds left of the 429 hold.
        rate_limited_for: Option<u64>,
    },
    /// No answer in time, or not the expected JSON (an older server, a NetworkPolicy in the way).
    NoAnswer,
}

/// The pods' answers, for the `SpotifyReachable` condition.
#[derive(Clone, Copy, Debug)]
pub struct SpotifyHealth<'a> {
    /// What the check covers.
    pub mode: SpotifyMode,
    /// One report per ready server pod.
    pub reports: &'a [PodReport],
}

/// Why a pod reports Spotify unusable, in the order the condition's reason prefers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SpotifyProblem {
    TokenRefused,
    Unreachable,
    RateLimited,
    SpotifyError,
}

fn problem_of(report: &PodReport) -> Option<(SpotifyProblem, Option<u64>)> {
    match report {
        PodReport::NoAnswer => None,
        PodReport::Usable { rate_limited_for } => {
            rate_limited_for.map(|s| (SpotifyProblem::RateLimited, Some(s)))
        }
        PodReport::Unusable {
            error,
            rate_limited_for,
        } => Some(match error.as_str() {
            "pending" => return None,
            "reauth_required" | "unauthorized" => (SpotifyProblem::TokenRefused, None),
            "transport" | "timeout" => (SpotifyProblem::Unreachable, None),
            "rate_limited" => (SpotifyProblem::RateLimited, *rate_limited_for),
            _ if rate_limited_for.is_some() => (SpotifyProblem::RateLimited, *rate_limited_for),
            _ => (SpotifyProblem::SpotifyError, None),
        }),
    }
}

/// The `SpotifyReachable` condition: True when every ready pod that answered says its
/// credentials work and no 429 holds it back; False with the most telling problem and how many
/// pods report it; Unknown when no pod could be asked or none answered. Messages carry counts,
/// kinds and times, never anything a pod said in free text.
fn spotify_condition(health: &SpotifyHealth<'_>, now: jiff::Timestamp) -> Condition {
    let type_ = types::SPOTIFY_REACHABLE;
    let unknown = |reason: &str, message: String| Condition {
        status: "Unknown".to_owned(),
        ..condition(type_, false, reason, message)
    };
    let total = health.reports.len();
    if total == 0 {
        return unknown(
            "NoReadyPods",
            "no ready server pod to ask about Spotify".to_owned(),
        );
    }
    let answered: Vec<&PodReport> = health
        .reports
        .iter()
        .filter(|r| match r {
            PodReport::NoAnswer => false,
            PodReport::Unusable { error, .. } => error != "pending",
            PodReport::Usable { .. } => true,
        })
        .collect();
    if answered.is_empty() {
        return unknown(
            "NoAnswer",
            format!(
                "none of the {total} ready server pods answered /status on port 8000 (still                  obtaining a token, an older server, or a NetworkPolicy that does not admit the                  operator's pods)"
            ),
        );
    }
    let silent = total - answered.len();
    let silent_note = if silent > 0 {
        format!("; {silent} of {total} did not answer")
    } else {
        String::new()
    };
    let problems: Vec<(SpotifyProblem, Option<u64>)> =
        answered.iter().filter_map(|r| problem_of(r)).collect();
    let Some(worst) = problems.iter().map(|(p, _)| *p).min() else {
        let what = match health.mode {
            SpotifyMode::Account => "Spotify accepts the credentials",
            SpotifyMode::Hosted => {
                "Spotify accepts the app's client credentials (users' own sign-ins are not checked)"
            }
            SpotifyMode::Sandbox => "the built-in sandbox answers",
        };
        return condition(
            type_,
            true,
            "Reachable",
            format!(
                "{what} on {} of {total} ready pods{silent_note}",
                answered.len()
            ),
        );
    };
    let count = problems.iter().filter(|(p, _)| *p == worst).count();
    let of = format!("{count} of {total} ready pods");
    let credentials = match health.mode {
        SpotifyMode::Hosted => "the app's client ID and secret (spec.spotify)",
        _ => "the credentials in spec.spotify's Secret (refresh token or client ID and secret)",
    };
    let (reason, message) = match worst {
        SpotifyProblem::TokenRefused => (
            "TokenRefused",
            format!(
                "Spotify's accounts service refuses {credentials} on {of}: revoked, expired or                  wrong; MCP calls fail until the Secret holds working ones"
            ),
        ),
        SpotifyProblem::Unreachable => (
            "Unreachable",
            format!(
                "{of} cannot reach Spotify (connection failed or timed out): check the network,                  proxy, DNS and TLS trust between the pods and Spotify"
            ),
        ),
        SpotifyProblem::RateLimited => {
            let longest = problems
                .iter()
                .filter(|(p, _)| *p == worst)
                .filter_map(|(_, s)| *s)
                .max();
            let until = longest
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| now.checked_add(jiff::SignedDuration::from_secs(s)).ok());
            (
                "RateLimited",
                match until {
                    Some(until) => format!(
                        "Spotify rate-limits this app (HTTP 429): {of} send nothing to Spotify                          until {until}"
                    ),
                    None => format!("Spotify rate-limits this app (HTTP 429) on {of}"),
                },
            )
        }
        SpotifyProblem::SpotifyError => {
            let mut kinds: Vec<&str> = answered
                .iter()
                .filter_map(|r| match r {
                    PodReport::Unusable { error, .. }
                        if problem_of(r).is_some_and(|(p, _)| p == worst) =>
                    {
                        Some(error.as_str())
                    }
                    _ => None,
                })
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            // The kinds are the server's short names; bound them anyway.
            let kinds: String = kinds.join(", ").chars().take(200).collect();
            (
                "SpotifyError",
                format!("{of} cannot use Spotify ({kinds}); see a pod's /status and logs"),
            )
        }
    };
    condition(type_, false, reason, format!("{message}{silent_note}"))
}

/// How long a Spotify refresh token works after the user authorised: six calendar months,
/// counted in UTC. A day the sixth month lacks is clamped to that month's last day (authorised
/// 2026-08-31T10:00:00Z, expires 2027-02-28T10:00:00Z). Refreshing does not extend it. The server
/// computes the same date for its `spotify_mcp_credentials_expiry_timestamp_seconds` metric.
pub const CREDENTIALS_LIFETIME_MONTHS: i32 = 6;

/// `CredentialsExpiring` turns True this long before the refresh token stops working.
pub const CREDENTIALS_WARNING: jiff::SignedDuration = jiff::SignedDuration::from_hours(14 * 24);

/// When a refresh token authorised at `authorized_at` stops working
/// (see [`CREDENTIALS_LIFETIME_MONTHS`]).
pub fn credentials_expiry(authorized_at: jiff::Timestamp) -> jiff::Timestamp {
    authorized_at
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().months(CREDENTIALS_LIFETIME_MONTHS))
        .map(|z| z.timestamp())
        .unwrap_or(jiff::Timestamp::MAX)
}

/// When `CredentialsExpiring` turns True for a refresh token that stops working at `expiry`.
fn warning_start(expiry: jiff::Timestamp) -> jiff::Timestamp {
    expiry
        .checked_sub(CREDENTIALS_WARNING)
        .unwrap_or(jiff::Timestamp::MIN)
}

/// How long until `CredentialsExpiring` would change by the clock alone (14 days before the
/// expiry, then at the expiry); `None` when nothing is due.
pub fn next_credentials_change(
    authorization: &Authorization,
    now: jiff::Timestamp,
) -> Option<Duration> {
    let Authorization::At { at, .. } = authorization else {
        return None;
    };
    let expiry = credentials_expiry(*at);
    [warning_start(expiry), expiry]
        .into_iter()
        .find(|due| *due > now)
        .and_then(|due| Duration::try_from(now.duration_until(due)).ok())
}

/// The `CredentialsExpiring` condition, or `None` where no Spotify credentials could expire
/// (sandbox, no `spec.spotify`). Messages name the Secret and dates, never a Secret value.
fn credentials_condition(authorization: &Authorization, now: jiff::Timestamp) -> Option<Condition> {
    let renew = |secret: &str| {
        format!(
            "run `spotify-mcp-server auth login --print-secret {secret}` and apply the Secret it prints"
        )
    };
    let (status, reason, message) = match authorization {
        Authorization::NotApplicable => return None,
        Authorization::SecretMissing { secret } => (
            "Unknown",
            "SecretNotFound",
            format!(
                "Secret {secret} not found, so when its credentials were authorised is unknown"
            ),
        ),
        Authorization::NoRefreshToken { secret } => (
            "False",
            "NoRefreshToken",
            format!(
                "Secret {secret} holds no refresh token; the server uses app-only credentials, which do not expire"
            ),
        ),
        Authorization::Unknown { secret } => (
            "Unknown",
            "AuthorizationDateUnknown",
            format!(
                "Secret {secret} has no {AUTHORIZED_AT_ANNOTATION} annotation, so when its refresh token stops working \
                 (six months after the user authorised) is unknown; annotate it with the RFC 3339 time of the login, or {}",
                renew(secret)
            ),
        ),
        Authorization::Invalid { secret } => (
            "Unknown",
            "InvalidAuthorizationDate",
            format!(
                "the {AUTHORIZED_AT_ANNOTATION} annotation of Secret {secret} is not an RFC 3339 time such as \
                 2026-01-31T18:00:00Z, so when its refresh token stops working is unknown"
            ),
        ),
        Authorization::At { secret, at } => {
            let at = at.round(jiff::Unit::Second).unwrap_or(*at);
            let expiry = credentials_expiry(at);
            if now >= expiry {
                (
                    "True",
                    "Expired",
                    format!(
                        "the refresh token in Secret {secret} (authorised {at}) stopped working at {expiry}; {}",
                        renew(secret)
                    ),
                )
            } else if now >= warning_start(expiry) {
                (
                    "True",
                    "ExpiresSoon",
                    format!(
                        "the refresh token in Secret {secret} (authorised {at}) stops working at {expiry}; {}",
                        renew(secret)
                    ),
                )
            } else {
                (
                    "False",
                    "Valid",
                    format!(
                        "the refresh token in Secret {secret} (authorised {at}) works until {expiry}"
                    ),
                )
            }
        }
    };
    Some(Condition {
        type_: types::CREDENTIALS_EXPIRING.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: None,
        last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
    })
}

/// What happened to an optional child whose CRD may be missing (ServiceMonitor, PrometheusRule,
/// HTTPRoute) in this reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonitoringState {
    /// Its `enabled` field is false (and any such child we made is gone).
    Disabled,
    /// Applied and up to date.
    Applied,
    /// The cluster does not serve its API (monitoring.coreos.com/v1, gateway.networking.k8s.io/v1).
    CrdMissing,
    /// Applying it failed; the message says why.
    Failed(String),
}

/// Everything the status is computed from.
#[derive(Clone, Debug)]
pub struct Observed<'a> {
    /// `metadata.generation` of the SpotifyMcp.
    pub generation: Option<i64>,
    /// `spec.replicas`.
    pub desired_replicas: i32,
    /// The server Deployment as the API server last returned it.
    pub deployment: Option<&'a Deployment>,
    /// Referenced Secrets that do not exist.
    pub missing_secrets: &'a [String],
    /// A child could not be applied (API server message).
    pub apply_error: Option<&'a str>,
    /// The ServiceMonitor outcome.
    pub service_monitor: MonitoringState,
    /// The PrometheusRule outcome.
    pub prometheus_rule: MonitoringState,
    /// The HTTPRoute outcome.
    pub http_route: MonitoringState,
    /// Label selector of the server pods (`k=v,k=v`), for the scale subresource.
    pub selector: String,
    /// In-cluster MCP URL.
    pub endpoint: String,
    /// In hosted mode, the redirect URI of the Spotify sign-in.
    pub redirect_uri: Option<String>,
    /// When the user authorised the Spotify credentials.
    pub credentials: &'a Authorization,
    /// The most replicas that may run: `spec.replicas`, or the autoscaler's maximum.
    pub max_replicas: i32,
    /// `spec.cache.redisUrl` is set.
    pub redis: bool,
    /// What the ready server pods said about Spotify; `None` when they were not asked (the
    /// condition is then left out).
    pub spotify: Option<SpotifyHealth<'a>>,
}

/// `SharedState` when more than one replica may run: without Redis a 2025-11-25 session lives
/// in one pod (its requests that land on another get 404) and each pod spends the client ID's
/// rate budget on its own. A warning, not a refusal: clients of protocol 2026-07-28 are
/// stateless and work with any number of replicas.
fn shared_state_condition(max_replicas: i32, redis: bool) -> Option<Condition> {
    (max_replicas > 1).then(|| {
        if redis {
            condition(
                types::SHARED_STATE,
                true,
                "Redis",
                format!(
                    "up to {max_replicas} replicas share MCP sessions, the Spotify rate budget and \
                     the cache through Redis"
                ),
            )
        } else {
            condition(
                types::SHARED_STATE,
                false,
                "NoRedis",
                format!(
                    "up to {max_replicas} replicas without spec.cache.redisUrl: a 2025-11-25 MCP \
                     session lives in one pod (its requests that land on another get 404) and \
                     each pod spends the Spotify rate budget on its own; set spec.cache.redisUrl"
                ),
            )
        }
    })
}

/// Where the Deployment's rollout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rollout {
    Missing,
    InProgress(String),
    Stalled(String),
    Complete,
}

#[derive(Default)]
struct Counts {
    replicas: i32,
    ready: i32,
}

fn rollout(deployment: Option<&Deployment>, desired: i32) -> (Rollout, Counts, Option<String>) {
    let Some(d) = deployment else {
        return (Rollout::Missing, Counts::default(), None);
    };
    let Some(status) = d.status.as_ref() else {
        return (
            Rollout::InProgress(
                "the Deployment controller has not reported on the Deployment yet".to_owned(),
            ),
            Counts::default(),
            None,
        );
    };
    let counts = Counts {
        replicas: status.replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
    };
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let replica_failure = conditions
        .iter()
        .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
        .map(|c| {
            c.message
                .clone()
                .unwrap_or_else(|| "pods cannot be created".to_owned())
        });
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);

    if status.observed_generation.unwrap_or(0) < d.metadata.generation.unwrap_or(0) {
        let msg =
            "the Deployment controller has not observed the latest Deployment spec yet".to_owned();
        return (Rollout::InProgress(msg), counts, replica_failure);
    }
    if let Some(c) = conditions.iter().find(|c| {
        c.type_ == "Progressing"
            && c.status == "False"
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    }) {
        let msg = c
            .message
            .clone()
            .unwrap_or_else(|| "the rollout exceeded its progress deadline".to_owned());
        return (Rollout::Stalled(msg), counts, replica_failure);
    }
    let state = if updated < desired {
        Rollout::InProgress(format!("{updated} of {desired} pods run the current spec"))
    } else if counts.replicas > updated {
        Rollout::InProgress(format!(
            "{} old pods are terminating",
            counts.replicas - updated
        ))
    } else if available < desired {
        Rollout::InProgress(format!("{available} of {desired} pods are available"))
    } else {
        Rollout::Complete
    };
    (state, counts, replica_failure)
}

fn condition(type_: &str, ok: bool, reason: &str, message: String) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: if ok { "True" } else { "False" }.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: None,
        last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
    }
}

/// `conditions` with `observedGeneration` set and `lastTransitionTime` kept from `previous` for
/// those whose status did not change (`now` for the rest).
fn stamped(
    conditions: impl IntoIterator<Item = Condition>,
    previous: Option<&SpotifyMcpStatus>,
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    let previous = previous
        .map(|p| p.conditions.as_slice())
        .unwrap_or_default();
    conditions
        .into_iter()
        .map(|mut c| {
            c.observed_generation = generation;
            c.last_transition_time = previous
                .iter()
                .find(|p| p.type_ == c.type_ && p.status == c.status)
                .map(|p| p.last_transition_time.clone())
                .unwrap_or_else(|| now.clone());
            c
        })
        .collect()
}

/// The status for `observed`, keeping `lastTransitionTime` of conditions whose status did not change.
pub fn compute(
    previous: Option<&SpotifyMcpStatus>,
    observed: &Observed<'_>,
    now: &Time,
) -> SpotifyMcpStatus {
    let desired = observed.desired_replicas;
    let (state, counts, replica_failure) = rollout(observed.deployment, desired);

    let ready = match (&state, desired) {
        (_, 0) => condition(
            types::READY,
            false,
            "ScaledToZero",
            "spec.replicas is 0; no server is running".to_owned(),
        ),
        (Rollout::Complete, _) => condition(
            types::READY,
            true,
            "Available",
            format!("{} of {desired} replicas ready", counts.ready),
        ),
        (Rollout::Missing, _) => condition(
            types::READY,
            false,
            "DeploymentMissing",
            "the server Deployment does not exist yet".to_owned(),
        ),
        // Pods that reference a missing Secret cannot start (CreateContainerConfigError): say
        // which Secret, not only that the rollout is unfinished.
        (_, _) if !observed.missing_secrets.is_empty() => condition(
            types::READY,
            false,
            "SecretNotFound",
            format!(
                "server pods cannot start: referenced Secret(s) not found in this namespace: {}",
                observed.missing_secrets.join(", ")
            ),
        ),
        (Rollout::InProgress(msg), _) => condition(types::READY, false, "RollingOut", msg.clone()),
        (Rollout::Stalled(msg), _) => {
            condition(types::READY, false, "ProgressDeadlineExceeded", msg.clone())
        }
    };

    let progressing = match &state {
        Rollout::InProgress(msg) => condition(types::PROGRESSING, true, "RollingOut", msg.clone()),
        Rollout::Missing => condition(
            types::PROGRESSING,
            true,
            "Creating",
            "creating the server Deployment".to_owned(),
        ),
        Rollout::Stalled(msg) => condition(
            types::PROGRESSING,
            false,
            "ProgressDeadlineExceeded",
            msg.clone(),
        ),
        Rollout::Complete => condition(
            types::PROGRESSING,
            false,
            "RolloutComplete",
            "every pod runs the current spec".to_owned(),
        ),
    };

    let degraded = if !observed.missing_secrets.is_empty() {
        condition(
            types::DEGRADED,
            true,
            "SecretNotFound",
            format!(
                "referenced Secret(s) not found in this namespace: {}; server pods cannot start until they exist",
                observed.missing_secrets.join(", ")
            ),
        )
    } else if let Some(msg) = observed.apply_error {
        condition(types::DEGRADED, true, "ApplyFailed", msg.to_owned())
    } else if let Rollout::Stalled(msg) = &state {
        condition(
            types::DEGRADED,
            true,
            "ProgressDeadlineExceeded",
            msg.clone(),
        )
    } else if let Some(msg) = replica_failure {
        condition(types::DEGRADED, true, "ReplicaFailure", msg)
    } else {
        condition(
            types::DEGRADED,
            false,
            "AsExpected",
            "no problems found".to_owned(),
        )
    };

    let service_monitor = monitoring_condition(
        types::SERVICE_MONITOR_READY,
        "ServiceMonitor",
        "spec.metrics.serviceMonitor.enabled",
        "the ServiceMonitor selects the server Service",
        PROMETHEUS_OPERATOR,
        &observed.service_monitor,
    );
    let prometheus_rule = monitoring_condition(
        types::PROMETHEUS_RULE_READY,
        "PrometheusRule",
        "spec.metrics.prometheusRule.enabled",
        "the PrometheusRule holds the alert rules of this server",
        PROMETHEUS_OPERATOR,
        &observed.prometheus_rule,
    );
    let http_route = monitoring_condition(
        types::HTTP_ROUTE_READY,
        "HTTPRoute",
        "spec.httpRoute.enabled",
        "the HTTPRoute sends /mcp of its host names to the server Service",
        GATEWAY_API,
        &observed.http_route,
    );

    let conditions = [
        ready,
        progressing,
        degraded,
        service_monitor,
        prometheus_rule,
        http_route,
    ]
    .into_iter()
    .chain(credentials_condition(observed.credentials, now.0))
    .chain(shared_state_condition(
        observed.max_replicas,
        observed.redis,
    ))
    .chain(
        observed
            .spotify
            .as_ref()
            .map(|health| spotify_condition(health, now.0)),
    );
    let conditions = stamped(conditions, previous, observed.generation, now);

    SpotifyMcpStatus {
        observed_generation: observed.generation,
        replicas: counts.replicas,
        ready_replicas: counts.ready,
        endpoint: Some(observed.endpoint.clone()),
        selector: Some(observed.selector.clone()),
        redirect_uri: observed.redirect_uri.clone(),
        conditions,
    }
}

/// Where an optional child's API comes from: (group/version, what installs its CRDs).
type ApiSource = (&'static str, &'static str);
const PROMETHEUS_OPERATOR: ApiSource = ("monitoring.coreos.com/v1", "Prometheus Operator CRDs");
const GATEWAY_API: ApiSource = ("gateway.networking.k8s.io/v1", "Gateway API CRDs");

/// The condition of an optional child of `kind` served by `api`, switched on by `field`.
fn monitoring_condition(
    type_: &str,
    kind: &str,
    field: &str,
    applied: &str,
    (api, installer): ApiSource,
    state: &MonitoringState,
) -> Condition {
    match state {
        MonitoringState::Disabled => condition(
            type_,
            false,
            "Disabled",
            format!("{field} is false; no {kind} is managed"),
        ),
        MonitoringState::Applied => condition(type_, true, "Applied", applied.to_owned()),
        MonitoringState::CrdMissing => condition(
            type_,
            false,
            "CRDNotInstalled",
            format!(
                "the cluster does not serve {api} {kind} ({installer} not installed); \
                 the operator creates the {kind} once the CRD is installed"
            ),
        ),
        MonitoringState::Failed(msg) => condition(
            type_,
            false,
            "ApplyFailed",
            format!("applying the {kind} failed: {msg}"),
        ),
    }
}

/// Conditions of `new` worth an Event: a status change of an existing condition (or a new reason
/// for a warning), and for a first status only warnings and Ready=True. Messages that merely
/// narrate a rollout ("1 of 3 pods ...") do not make Events, and a Normal Progressing change that
/// comes with a Ready change (a finished rollout making the object Ready, lost pods making it
/// unready) is told by the Ready Event alone: one Event per state change, not one per condition.
pub fn transitions<'a>(
    old: Option<&SpotifyMcpStatus>,
    new: &'a SpotifyMcpStatus,
) -> Vec<&'a Condition> {
    let old = old.map(|o| o.conditions.as_slice()).unwrap_or_default();
    let mut moved: Vec<&Condition> = new
        .conditions
        .iter()
        .filter(|c| match old.iter().find(|o| o.type_ == c.type_) {
            Some(o) => o.status != c.status || (is_warning(c) && o.reason != c.reason),
            None => is_warning(c) || (c.type_ == types::READY && c.status == "True"),
        })
        .collect();
    if moved.iter().any(|c| c.type_ == types::READY) {
        moved.retain(|c| c.type_ != types::PROGRESSING);
    }
    moved
}

/// Whether a condition in this state deserves a Warning event rather than a Normal one.
pub fn is_warning(c: &Condition) -> bool {
    match c.type_.as_str() {
        types::DEGRADED => c.status == "True",
        types::SERVICE_MONITOR_READY | types::PROMETHEUS_RULE_READY | types::HTTP_ROUTE_READY => {
            c.status == "False" && c.reason != "Disabled"
        }
        types::READY => c.status == "False" && c.reason == "ProgressDeadlineExceeded",
        types::CREDENTIALS_EXPIRING => c.status == "True",
        types::SHARED_STATE | types::SPOTIFY_REACHABLE => c.status == "False",
        _ => false,
    }
}

/// Looks up a condition by type.
pub fn find<'a>(status: Option<&'a SpotifyMcpStatus>, type_: &str) -> Option<&'a Condition> {
    status.and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
}

/// Reason of Ready=False and Degraded=True for an object this operator's types cannot read.
pub const INVALID_SPEC: &str = "InvalidSpec";

/// The status of an object stored in a shape this operator's types reject (written before a CRD
/// change, or while validation was looser): Ready=False and Degraded=True with reason
/// `InvalidSpec` and the decoding error. Its children, if any, are left as they are — a running
/// server is not taken down because its spec cannot be read — and the replica counts and endpoint
/// of `previous` are kept. `lastTransitionTime` is kept for conditions whose status did not change.
pub fn invalid_spec(
    previous: Option<&SpotifyMcpStatus>,
    generation: Option<i64>,
    error: &str,
    now: &Time,
) -> SpotifyMcpStatus {
    let message = format!(
        "this operator cannot read the object ({error}); fix the field it names (kubectl edit); \
         children are left as they are until then"
    );
    let conditions = stamped(
        [
            condition(types::READY, false, INVALID_SPEC, message.clone()),
            condition(types::DEGRADED, true, INVALID_SPEC, message),
        ],
        previous,
        generation,
        now,
    );
    SpotifyMcpStatus {
        observed_generation: generation,
        replicas: previous.map_or(0, |p| p.replicas),
        ready_replicas: previous.map_or(0, |p| p.ready_replicas),
        endpoint: previous.and_then(|p| p.endpoint.clone()),
        selector: previous.and_then(|p| p.selector.clone()),
        redirect_uri: previous.and_then(|p| p.redirect_uri.clone()),
        conditions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentStatus};

    #[test]
    fn an_unreadable_object_is_not_ready_and_says_which_field() {
        let t0 = Time(jiff::Timestamp::from_second(1_000).expect("time"));
        let t1 = Time(jiff::Timestamp::from_second(2_000).expect("time"));
        let error = "spec.replicas: invalid type: string \"many\", expected i32";
        let first = invalid_spec(None, Some(3), error, &t0);
        let ready = find(Some(&first), types::READY).expect("Ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", INVALID_SPEC)
        );
        assert!(ready.message.contains(error), "{}", ready.message);
        assert_eq!(ready.observed_generation, Some(3));
        let degraded = find(Some(&first), types::DEGRADED).expect("Degraded");
        assert_eq!(degraded.status, "True");
        assert!(is_warning(degraded));
        // Computed again later: identical, so the reconcile writes nothing.
        assert_eq!(invalid_spec(Some(&first), Some(3), error, &t1), first);
        // Counts and endpoint of the last readable status stay.
        let previous = SpotifyMcpStatus {
            replicas: 2,
            ready_replicas: 2,
            endpoint: Some("http://x.y.svc:8000/mcp".to_owned()),
            ..SpotifyMcpStatus::default()
        };
        let kept = invalid_spec(Some(&previous), Some(4), error, &t1);
        assert_eq!((kept.replicas, kept.ready_replicas), (2, 2));
        assert_eq!(kept.endpoint, previous.endpoint);
        assert_eq!(
            transitions(Some(&previous), &kept).len(),
            1,
            "one Warning Event"
        );
    }

    fn at(secs: i64) -> Time {
        Time(jiff::Timestamp::from_second(secs).expect("valid timestamp"))
    }

    fn deployment(generation: i64, status: DeploymentStatus) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.generation = Some(generation);
        d.status = Some(status);
        d
    }

    fn healthy(replicas: i32) -> Deployment {
        deployment(
            2,
            DeploymentStatus {
                observed_generation: Some(2),
                replicas: Some(replicas),
                updated_replicas: Some(replicas),
                ready_replicas: Some(replicas),
                available_replicas: Some(replicas),
                ..DeploymentStatus::default()
            },
        )
    }

    fn observed<'a>(d: Option<&'a Deployment>, desired: i32) -> Observed<'a> {
        Observed {
            generation: Some(7),
            desired_replicas: desired,
            deployment: d,
            missing_secrets: &[],
            apply_error: None,
            service_monitor: MonitoringState::Applied,
            prometheus_rule: MonitoringState::Disabled,
            http_route: MonitoringState::Disabled,
            selector: "app.kubernetes.io/instance=music,app.kubernetes.io/name=spotify-mcp"
                .to_owned(),
            endpoint: "http://music.media.svc:8000/mcp".to_owned(),
            redirect_uri: None,
            credentials: &Authorization::NotApplicable,
            max_replicas: desired,
            redis: false,
            spotify: None,
        }
    }

    #[test]
    fn more_than_one_replica_without_redis_is_a_warning() {
        let now = Time(jiff::Timestamp::UNIX_EPOCH);
        let one = compute(None, &observed(None, 1), &now);
        assert!(
            one.conditions
                .iter()
                .all(|c| c.type_ != types::SHARED_STATE)
        );
        let three = compute(None, &observed(None, 3), &now);
        let shared = get(&three, types::SHARED_STATE);
        assert_eq!(
            (shared.status.as_str(), shared.reason.as_str()),
            ("False", "NoRedis")
        );
        assert!(
            shared.message.contains("spec.cache.redisUrl"),
            "{}",
            shared.message
        );
        assert!(is_warning(shared));
        let mut with_redis = observed(None, 3);
        with_redis.redis = true;
        let shared = compute(None, &with_redis, &now);
        let shared = get(&shared, types::SHARED_STATE);
        assert_eq!(
            (shared.status.as_str(), shared.reason.as_str()),
            ("True", "Redis")
        );
        assert!(!is_warning(shared));
    }

    fn get<'a>(s: &'a SpotifyMcpStatus, t: &str) -> &'a Condition {
        s.conditions
            .iter()
            .find(|c| c.type_ == t)
            .expect("condition present")
    }

    #[test]
    fn available_deployment_is_ready_and_not_progressing() {
        let d = healthy(2);
        let s = compute(None, &observed(Some(&d), 2), &at(100));
        assert_eq!(get(&s, types::READY).status, "True");
        assert_eq!(get(&s, types::READY).message, "2 of 2 replicas ready");
        assert_eq!(get(&s, types::PROGRESSING).status, "False");
        assert_eq!(get(&s, types::DEGRADED).status, "False");
        assert_eq!(get(&s, types::SERVICE_MONITOR_READY).status, "True");
        assert_eq!((s.replicas, s.ready_replicas), (2, 2));
        assert_eq!(s.observed_generation, Some(7));
        assert_eq!(
            s.endpoint.as_deref(),
            Some("http://music.media.svc:8000/mcp")
        );
        assert!(
            s.conditions
                .iter()
                .all(|c| c.observed_generation == Some(7))
        );
    }

    #[test]
    fn rollout_in_progress_is_progressing_not_ready() {
        let d = deployment(
            2,
            DeploymentStatus {
                observed_generation: Some(2),
                replicas: Some(3),
                updated_replicas: Some(1),
                ready_replicas: Some(2),
                available_replicas: Some(2),
                ..DeploymentStatus::default()
            },
        );
        let s = compute(None, &observed(Some(&d), 2), &at(100));
        let ready = get(&s, types::READY);
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "RollingOut")
        );
        assert_eq!(ready.message, "1 of 2 pods run the current spec");
        assert_eq!(get(&s, types::PROGRESSING).status, "True");
    }

    #[test]
    fn unobserved_generation_is_not_ready_even_if_counts_look_fine() {
        let mut d = healthy(1);
        d.metadata.generation = Some(3);
        let s = compute(None, &observed(Some(&d), 1), &at(100));
        assert_eq!(get(&s, types::READY).status, "False");
        assert!(get(&s, types::READY).message.contains("not observed"));
    }

    #[test]
    fn missing_deployment_and_missing_secret() {
        let missing = ["spotify".to_owned()];
        let mut o = observed(None, 1);
        o.missing_secrets = &missing;
        let s = compute(None, &o, &at(100));
        assert_eq!(get(&s, types::READY).reason, "DeploymentMissing");
        let degraded = get(&s, types::DEGRADED);
        assert_eq!(
            (degraded.status.as_str(), degraded.reason.as_str()),
            ("True", "SecretNotFound")
        );
        assert!(degraded.message.contains("spotify"));
    }

    #[test]
    fn pods_waiting_for_a_missing_secret_are_not_ready_and_the_reason_names_it() {
        let missing = ["music-token".to_owned()];
        let mut d = healthy(1);
        if let Some(st) = d.status.as_mut() {
            st.available_replicas = Some(0);
            st.ready_replicas = Some(0);
        }
        let mut o = observed(Some(&d), 1);
        o.missing_secrets = &missing;
        let ready = get(&compute(None, &o, &at(100)), types::READY).clone();
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "SecretNotFound")
        );
        assert!(ready.message.contains("music-token"), "{}", ready.message);

        // Pods that started before the Secret went away keep serving: Ready, but Degraded.
        let healthy_pods = healthy(1);
        let mut o = observed(Some(&healthy_pods), 1);
        o.missing_secrets = &missing;
        let s = compute(None, &o, &at(100));
        assert_eq!(get(&s, types::READY).status, "True");
        assert_eq!(get(&s, types::DEGRADED).reason, "SecretNotFound");
    }

    #[test]
    fn stalled_rollout_is_degraded() {
        let mut d = healthy(1);
        if let Some(st) = d.status.as_mut() {
            st.available_replicas = Some(0);
            st.conditions = Some(vec![DeploymentCondition {
                type_: "Progressing".into(),
                status: "False".into(),
                reason: Some("ProgressDeadlineExceeded".into()),
                message: Some("ReplicaSet \"music-1\" has timed out progressing.".into()),
                ..DeploymentCondition::default()
            }]);
        }
        let s = compute(None, &observed(Some(&d), 1), &at(100));
        assert_eq!(get(&s, types::DEGRADED).reason, "ProgressDeadlineExceeded");
        assert_eq!(get(&s, types::READY).status, "False");
        assert!(is_warning(get(&s, types::DEGRADED)));
    }

    #[test]
    fn replica_failure_is_degraded() {
        let mut d = healthy(1);
        if let Some(st) = d.status.as_mut() {
            st.conditions = Some(vec![DeploymentCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                message: Some("pods \"music-x\" is forbidden".into()),
                ..DeploymentCondition::default()
            }]);
        }
        let s = compute(None, &observed(Some(&d), 1), &at(100));
        assert_eq!(get(&s, types::DEGRADED).reason, "ReplicaFailure");
    }

    #[test]
    fn failed_apply_is_degraded_with_the_api_message() {
        let d = healthy(1);
        let mut o = observed(Some(&d), 1);
        o.apply_error =
            Some("applying Service music: failed to allocate a serviceIP: range is full");
        let s = compute(None, &o, &at(100));
        let degraded = get(&s, types::DEGRADED);
        assert_eq!(
            (degraded.status.as_str(), degraded.reason.as_str()),
            ("True", "ApplyFailed")
        );
        assert!(degraded.message.contains("range is full"));
        assert!(is_warning(degraded));
    }

    #[test]
    fn the_status_carries_the_pod_selector_for_the_scale_subresource() {
        let d = healthy(2);
        let s = compute(None, &observed(Some(&d), 2), &at(100));
        assert_eq!(
            s.selector.as_deref(),
            Some("app.kubernetes.io/instance=music,app.kubernetes.io/name=spotify-mcp")
        );
        assert_eq!(s.replicas, 2);
    }

    #[test]
    fn hosted_mode_reports_the_redirect_uri_to_register() {
        let d = healthy(1);
        let plain = compute(None, &observed(Some(&d), 1), &at(100));
        assert_eq!(plain.redirect_uri, None);
        let mut hosted = observed(Some(&d), 1);
        hosted.redirect_uri = Some("https://mcp.example.com/oauth/callback".to_owned());
        let s = compute(None, &hosted, &at(100));
        assert_eq!(
            s.redirect_uri.as_deref(),
            Some("https://mcp.example.com/oauth/callback")
        );
        // An object that cannot be read keeps the last one.
        let kept = invalid_spec(Some(&s), Some(8), "spec.hosted: bad", &at(200));
        assert_eq!(kept.redirect_uri, s.redirect_uri);
    }

    #[test]
    fn scaled_to_zero_is_not_ready_and_not_degraded() {
        let d = healthy(0);
        let s = compute(None, &observed(Some(&d), 0), &at(100));
        assert_eq!(get(&s, types::READY).reason, "ScaledToZero");
        assert_eq!(get(&s, types::DEGRADED).status, "False");
    }

    #[test]
    fn service_monitor_and_prometheus_rule_states() {
        let d = healthy(1);
        for (state, status, reason) in [
            (MonitoringState::Disabled, "False", "Disabled"),
            (MonitoringState::Applied, "True", "Applied"),
            (MonitoringState::CrdMissing, "False", "CRDNotInstalled"),
            (
                MonitoringState::Failed("forbidden".into()),
                "False",
                "ApplyFailed",
            ),
        ] {
            for (type_, kind, api) in [
                (
                    types::SERVICE_MONITOR_READY,
                    "ServiceMonitor",
                    "monitoring.coreos.com/v1",
                ),
                (
                    types::PROMETHEUS_RULE_READY,
                    "PrometheusRule",
                    "monitoring.coreos.com/v1",
                ),
                (
                    types::HTTP_ROUTE_READY,
                    "HTTPRoute",
                    "gateway.networking.k8s.io/v1",
                ),
            ] {
                let mut o = observed(Some(&d), 1);
                match type_ {
                    types::SERVICE_MONITOR_READY => o.service_monitor = state.clone(),
                    types::PROMETHEUS_RULE_READY => o.prometheus_rule = state.clone(),
                    _ => o.http_route = state.clone(),
                }
                let s = compute(None, &o, &at(100));
                let c = get(&s, type_);
                assert_eq!((c.status.as_str(), c.reason.as_str()), (status, reason));
                assert!(c.message.contains(kind), "{type_}: {}", c.message);
                if reason == "CRDNotInstalled" {
                    assert!(c.message.contains(api), "{type_}: {}", c.message);
                }
                assert_eq!(
                    is_warning(c),
                    reason == "CRDNotInstalled" || reason == "ApplyFailed"
                );
                // Monitoring children never decide readiness of the server itself.
                assert_eq!(get(&s, types::READY).status, "True");
            }
        }
    }

    #[test]
    fn transition_times_move_only_on_status_changes_so_resyncs_are_identical() {
        let d = healthy(1);
        let first = compute(None, &observed(Some(&d), 1), &at(100));
        let again = compute(Some(&first), &observed(Some(&d), 1), &at(200));
        assert_eq!(
            first, again,
            "nothing changed, so the status must be byte-identical"
        );
        assert!(transitions(Some(&first), &again).is_empty());

        let mut o = observed(Some(&d), 1);
        o.service_monitor = MonitoringState::CrdMissing;
        let changed = compute(Some(&first), &o, &at(300));
        let sm = get(&changed, types::SERVICE_MONITOR_READY);
        assert_eq!(sm.last_transition_time, at(300));
        assert_eq!(get(&changed, types::READY).last_transition_time, at(100));
        let moved: Vec<&str> = transitions(Some(&first), &changed)
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(moved, [types::SERVICE_MONITOR_READY]);
    }

    #[test]
    fn first_status_reports_only_warnings_and_readiness() {
        let s = compute(None, &observed(None, 1), &at(1));
        assert!(
            transitions(None, &s).is_empty(),
            "{:?}",
            transitions(None, &s)
        );
        assert_eq!(
            find(Some(&s), types::READY).map(|c| c.status.as_str()),
            Some("False")
        );

        let d = healthy(1);
        let mut o = observed(Some(&d), 1);
        o.service_monitor = MonitoringState::CrdMissing;
        let s = compute(None, &o, &at(1));
        let types: Vec<&str> = transitions(None, &s)
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(types, [types::READY, types::SERVICE_MONITOR_READY]);
    }

    #[test]
    fn rollout_progress_messages_do_not_make_events() {
        let d = healthy(2);
        let mut rolling = healthy(2);
        if let Some(st) = rolling.status.as_mut() {
            st.updated_replicas = Some(1);
        }
        let first = compute(None, &observed(Some(&rolling), 2), &at(1));
        if let Some(st) = rolling.status.as_mut() {
            st.available_replicas = Some(1);
            st.updated_replicas = Some(2);
        }
        let second = compute(Some(&first), &observed(Some(&rolling), 2), &at(2));
        assert!(transitions(Some(&first), &second).is_empty());
        let done = compute(Some(&second), &observed(Some(&d), 2), &at(3));
        let moved: Vec<&str> = transitions(Some(&second), &done)
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(
            moved,
            [types::READY],
            "the finished rollout is told by Ready"
        );

        // A spec change on a Ready object starts a rollout: one Event (Ready=False, RollingOut).
        let mut updating = healthy(2);
        if let Some(st) = updating.status.as_mut() {
            st.updated_replicas = Some(0);
        }
        let rolling_again = compute(Some(&done), &observed(Some(&updating), 2), &at(4));
        let moved: Vec<(&str, &str)> = transitions(Some(&done), &rolling_again)
            .iter()
            .map(|c| (c.type_.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(moved, [(types::READY, "RollingOut")]);
        assert_eq!(get(&rolling_again, types::PROGRESSING).status, "True");
    }

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().expect("RFC 3339")
    }

    fn credentials(s: &SpotifyMcpStatus) -> Option<&Condition> {
        find(Some(s), types::CREDENTIALS_EXPIRING)
    }

    #[test]
    fn six_months_are_calendar_months_in_utc_clamped_to_the_month_end() {
        assert_eq!(
            credentials_expiry(ts("2026-01-31T18:00:00Z")),
            ts("2026-07-31T18:00:00Z")
        );
        assert_eq!(
            credentials_expiry(ts("2026-08-31T10:00:00Z")),
            ts("2027-02-28T10:00:00Z")
        );
        assert_eq!(
            credentials_expiry(ts("2027-08-30T23:30:00-02:00")),
            ts("2028-02-29T01:30:00Z"),
            "counted from the UTC date (2027-08-31)"
        );
    }

    #[test]
    fn credentials_expiring_turns_true_fourteen_days_before_the_expiry() {
        let d = healthy(1);
        let known = Authorization::At {
            secret: "spotify-credentials".into(),
            at: ts("2026-01-31T18:00:00Z"),
        };
        let mut o = observed(Some(&d), 1);
        o.credentials = &known;
        let at = |s: &str| Time(ts(s));

        let fine = compute(None, &o, &at("2026-07-17T17:59:59Z"));
        let c = credentials(&fine).expect("condition present");
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "Valid"));
        assert_eq!(
            c.message,
            "the refresh token in Secret spotify-credentials (authorised 2026-01-31T18:00:00Z) works until 2026-07-31T18:00:00Z"
        );
        assert!(
            transitions(None, &fine)
                .iter()
                .all(|c| c.type_ != types::CREDENTIALS_EXPIRING)
        );
        assert_eq!(
            next_credentials_change(&known, ts("2026-07-17T17:59:59Z")),
            Some(Duration::from_secs(1))
        );

        let soon = compute(Some(&fine), &o, &at("2026-07-17T18:00:00Z"));
        let c = credentials(&soon).expect("condition present");
        assert_eq!(
            (c.status.as_str(), c.reason.as_str()),
            ("True", "ExpiresSoon")
        );
        assert!(
            c.message.contains("Secret spotify-credentials"),
            "{}",
            c.message
        );
        assert!(
            c.message.contains("stops working at 2026-07-31T18:00:00Z"),
            "{}",
            c.message
        );
        assert!(
            c.message
                .contains("auth login --print-secret spotify-credentials"),
            "{}",
            c.message
        );
        assert_eq!(c.last_transition_time, at("2026-07-17T18:00:00Z"));
        assert!(is_warning(c));
        let moved: Vec<(&str, &str)> = transitions(Some(&fine), &soon)
            .iter()
            .map(|c| (c.type_.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(moved, [(types::CREDENTIALS_EXPIRING, "ExpiresSoon")]);
        assert_eq!(
            next_credentials_change(&known, ts("2026-07-17T18:00:00Z")),
            Some(Duration::from_secs(14 * 24 * 3600))
        );

        // A resync a day later changes nothing.
        let later = compute(Some(&soon), &o, &at("2026-07-18T18:00:00Z"));
        assert_eq!(later, soon);
        assert!(transitions(Some(&soon), &later).is_empty());

        // The expiry itself is a new warning (same status, new reason), then nothing is due.
        let expired = compute(Some(&later), &o, &at("2026-07-31T18:00:00Z"));
        let c = credentials(&expired).expect("condition present");
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("True", "Expired"));
        assert!(
            c.message
                .contains("stopped working at 2026-07-31T18:00:00Z"),
            "{}",
            c.message
        );
        assert_eq!(c.last_transition_time, at("2026-07-17T18:00:00Z"));
        assert_eq!(transitions(Some(&later), &expired).len(), 1);
        assert_eq!(
            next_credentials_change(&known, ts("2026-07-31T18:00:00Z")),
            None
        );

        // A fresh login resolves it with a Normal event.
        let renewed = Authorization::At {
            secret: "spotify-credentials".into(),
            at: ts("2026-07-30T09:00:00Z"),
        };
        o.credentials = &renewed;
        let fixed = compute(Some(&expired), &o, &at("2026-07-31T19:00:00Z"));
        let moved = transitions(Some(&expired), &fixed);
        assert_eq!(moved.len(), 1);
        assert_eq!(
            (moved[0].status.as_str(), is_warning(moved[0])),
            ("False", false)
        );
    }

    #[test]
    fn credentials_without_a_date_say_so_and_sandboxes_have_no_condition() {
        let d = healthy(1);
        let now = at(1_780_000_000);
        let cases = [
            (
                Authorization::Unknown {
                    secret: "creds".into(),
                },
                "Unknown",
                "AuthorizationDateUnknown",
            ),
            (
                Authorization::Invalid {
                    secret: "creds".into(),
                },
                "Unknown",
                "InvalidAuthorizationDate",
            ),
            (
                Authorization::SecretMissing {
                    secret: "creds".into(),
                },
                "Unknown",
                "SecretNotFound",
            ),
            (
                Authorization::NoRefreshToken {
                    secret: "creds".into(),
                },
                "False",
                "NoRefreshToken",
            ),
        ];
        for (authorization, status, reason) in &cases {
            let mut o = observed(Some(&d), 1);
            o.credentials = authorization;
            let s = compute(None, &o, &now);
            let c = credentials(&s).expect("condition present");
            assert_eq!((c.status.as_str(), c.reason.as_str()), (*status, *reason));
            assert!(c.message.contains("Secret creds"), "{}", c.message);
            assert!(!is_warning(c));
            assert_eq!(next_credentials_change(authorization, now.0), None);
        }
        let s = compute(None, &observed(Some(&d), 1), &now);
        assert!(
            credentials(&s).is_none(),
            "sandbox or no spec.spotify: no condition"
        );
    }

    fn spotify_status(mode: SpotifyMode, reports: &[PodReport], now: &Time) -> SpotifyMcpStatus {
        let d = healthy(2);
        let observed = Observed {
            spotify: Some(SpotifyHealth { mode, reports }),
            ..observed(Some(&d), 2)
        };
        compute(None, &observed, now)
    }

    fn reachable(s: &SpotifyMcpStatus) -> (&str, &str, &str) {
        let c = get(s, types::SPOTIFY_REACHABLE);
        (c.status.as_str(), c.reason.as_str(), c.message.as_str())
    }

    const OK: PodReport = PodReport::Usable {
        rate_limited_for: None,
    };

    fn unusable(error: &str) -> PodReport {
        PodReport::Unusable {
            error: error.to_owned(),
            rate_limited_for: None,
        }
    }

    #[test]
    fn spotify_is_reachable_when_every_ready_pod_says_so() {
        let s = spotify_status(SpotifyMode::Account, &[OK, OK], &at(1_000));
        let (status, reason, message) = reachable(&s);
        assert_eq!((status, reason), ("True", "Reachable"));
        assert!(message.contains("2 of 2 ready pods"), "{message}");
        // A pod that did not answer is named, but does not make the others' answer false.
        let s = spotify_status(SpotifyMode::Sandbox, &[OK, PodReport::NoAnswer], &at(1_000));
        let (status, _, message) = reachable(&s);
        assert_eq!(status, "True");
        assert!(
            message.contains("built-in sandbox") && message.contains("1 of 2 did not answer"),
            "{message}"
        );
        // Without reports the condition is not there at all.
        let d = healthy(1);
        let none = compute(None, &observed(Some(&d), 1), &at(1_000));
        assert!(find(Some(&none), types::SPOTIFY_REACHABLE).is_none());
    }

    #[test]
    fn a_refused_token_is_false_with_the_reason_and_how_many_pods_say_it() {
        let s = spotify_status(
            SpotifyMode::Account,
            &[OK, unusable("reauth_required")],
            &at(1_000),
        );
        let (status, reason, message) = reachable(&s);
        assert_eq!((status, reason), ("False", "TokenRefused"));
        assert!(message.contains("1 of 2 ready pods"), "{message}");
        assert!(is_warning(get(&s, types::SPOTIFY_REACHABLE)));
        // Ready is about the pods, not Spotify: it stays True.
        assert_eq!(get(&s, types::READY).status, "True");

        let s = spotify_status(SpotifyMode::Hosted, &[unusable("unauthorized")], &at(1_000));
        let (_, reason, message) = reachable(&s);
        assert_eq!(reason, "TokenRefused");
        assert!(
            message.contains("the app's client ID and secret"),
            "{message}"
        );

        let s = spotify_status(
            SpotifyMode::Account,
            &[unusable("transport"), unusable("timeout")],
            &at(1_000),
        );
        let (_, reason, message) = reachable(&s);
        assert_eq!(reason, "Unreachable");
        assert!(message.contains("2 of 2 ready pods"), "{message}");

        let s = spotify_status(SpotifyMode::Account, &[unusable("api")], &at(1_000));
        let (_, reason, message) = reachable(&s);
        assert_eq!(reason, "SpotifyError");
        assert!(message.contains("(api)"), "{message}");
    }

    #[test]
    fn a_rate_limit_hold_says_until_when() {
        let held = PodReport::Usable {
            rate_limited_for: Some(90),
        };
        let s = spotify_status(SpotifyMode::Account, &[held.clone(), OK], &at(1_000));
        let (status, reason, message) = reachable(&s);
        assert_eq!((status, reason), ("False", "RateLimited"));
        assert!(
            message.contains("1 of 2 ready pods") && message.contains("until 1970-01-01T00:18:10Z"),
            "{message}"
        );
        // A refused token says more than a rate limit: it is the reason when both are reported.
        let s = spotify_status(
            SpotifyMode::Account,
            &[held, unusable("reauth_required")],
            &at(1_000),
        );
        assert_eq!(reachable(&s).1, "TokenRefused");
    }

    #[test]
    fn unknown_when_no_pod_could_be_asked_or_none_answered() {
        let s = spotify_status(SpotifyMode::Account, &[], &at(1_000));
        assert_eq!(reachable(&s).0, "Unknown");
        assert_eq!(reachable(&s).1, "NoReadyPods");
        let s = spotify_status(
            SpotifyMode::Account,
            &[PodReport::NoAnswer, unusable("pending")],
            &at(1_000),
        );
        let (status, reason, message) = reachable(&s);
        assert_eq!((status, reason), ("Unknown", "NoAnswer"));
        assert!(
            message.contains("none of the 2 ready server pods"),
            "{message}"
        );
        assert!(!is_warning(get(&s, types::SPOTIFY_REACHABLE)));
    }

    #[test]
    fn an_event_only_when_spotify_reachability_changes() {
        let ok = spotify_status(SpotifyMode::Account, &[OK], &at(1_000));
        let d = healthy(2);
        let next = |reports: &[PodReport], previous: &SpotifyMcpStatus, now: i64| {
            let observed = Observed {
                spotify: Some(SpotifyHealth {
                    mode: SpotifyMode::Account,
                    reports,
                }),
                ..observed(Some(&d), 2)
            };
            compute(Some(previous), &observed, &at(now))
        };
        let refused = [unusable("reauth_required")];
        let failing = next(&refused, &ok, 2_000);
        let moved = transitions(Some(&ok), &failing);
        assert_eq!(moved.len(), 1, "{moved:?}");
        assert_eq!(moved[0].type_, types::SPOTIFY_REACHABLE);
        assert!(is_warning(moved[0]));
        // Still failing at the next resync: no Event, and nothing to write.
        let again = next(&refused, &failing, 3_000);
        assert!(transitions(Some(&failing), &again).is_empty());
        assert_eq!(again, failing);
        // A rate-limit hold whose end moves changes the message only: no Event.
        let held = |s: u64| {
            [PodReport::Usable {
                rate_limited_for: Some(s),
            }]
        };
        let limited = next(&held(60), &ok, 4_000);
        let later = next(&held(120), &limited, 4_010);
        assert!(transitions(Some(&limited), &later).is_empty());
        // Back to normal: one Normal Event.
        let back = next(&[OK], &failing, 5_000);
        let moved = transitions(Some(&failing), &back);
        assert_eq!(moved.len(), 1);
        assert!(!is_warning(moved[0]));
    }
}
