//! The MCP surface: tools grouped in toolsets, resources, prompts, and the compact output
//! types they return.
//!
//! [`SpotifyMcp`] is the `rmcp` server handler. Each Spotify domain has its own module with a
//! `#[tool_router]` impl block; [`SpotifyMcp::new`] combines the routers of the enabled
//! toolsets into one, drops tools that `--read-only` hides, and remembers why a tool is hidden
//! so calling it anyway gets a clear error instead of "tool not found".

mod answers;
mod args;
mod catalog;
mod completion;
mod composite;
mod confirm;
mod errors;
mod extended;
mod library;
pub mod logging;
pub mod output;
mod playback;
mod playlists;
mod profile;
mod prompts;
pub mod relay;
mod resources;
mod schema;
mod search;
pub mod snapshots;
mod subscriptions;
mod toolsets;
mod validate;
#[cfg(test)]
mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::handler::server::tool::{ToolCallContext, ToolRouter};
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    CustomRequest, CustomResult, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ResultType, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
// rmcp marks MCP logging deprecated (SEP-2577); protocol 2025-11-25 has it (see `logging`).
#[allow(deprecated)]
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, SetLevelRequestParams};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::spotify::pipeline::deadline::one_call;
use crate::spotify::pipeline::events;
use crate::spotify::{SpotifyClient, SpotifyError};

pub use errors::ToolError;
pub use toolsets::{McpOptions, Toolset, UnknownToolset};

use errors::Hints;
use output::Device;

/// What the server tells the model about itself at initialisation.
fn instructions() -> String {
    format!(
        "{INSTRUCTIONS} Items in results have name and uri, and when they apply: {}.",
        output::ITEM_FIELDS
    )
}

const INSTRUCTIONS: &str = "Spotify for the user who authorised this server. \
Every id argument (id, playlist, uris, ...) accepts a Spotify URI (spotify:track:…), an \
open.spotify.com link or a bare ID, with its type where the tool takes one. device_id defaults to the active device; limit and offset \
page a list (offset: start index). \
Playback control needs Spotify Premium and an active device: when a tool reports no active device, \
call get_devices and transfer_playback (or pass device_id). To play something by name in one call \
use play_best_match; to find items use search (up to 50 results). Playlist items can only be read \
and changed for playlists the user owns or collaborates on. Resources: spotify://player/now-playing, \
spotify://player/devices, spotify://player/queue, spotify://me/playlists and \
spotify://{playlist,album,artist,track}/{id}.";

/// Why a known tool is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hidden {
    /// Its toolset is not enabled.
    Toolset(Toolset),
    /// The server runs with `--read-only` and the tool changes something.
    ReadOnly,
}

struct Inner {
    options: McpOptions,
    tools: ToolRouter<SpotifyMcp>,
    hidden: HashMap<String, Hidden>,
    prompts: PromptRouter<SpotifyMcp>,
    /// In hosted mode, the accounts of the grants in use, by grant.
    accounts: moka::future::Cache<String, Arc<Account>>,
}

/// The Spotify account a handler acts for: the configured one, or in hosted mode the one of
/// the request's signed-in user ([`SpotifyMcp::acting_for`]).
struct Account {
    client: SpotifyClient,
    /// The resource pollers of this account, shared by all its sessions.
    hub: Arc<subscriptions::Hub>,
    /// Rendered results of read-only calls, while their cached Spotify answers hold; one
    /// budget for every account, each account's keys under its own prefix.
    answers: Option<answers::Answers>,
    /// What this account's keys in `answers` start with (empty for the configured account).
    answers_prefix: String,
    /// The signed-in user (hosted mode).
    principal: Option<crate::oauth::Principal>,
}

impl Account {
    /// The configured account.
    fn configured(client: SpotifyClient, options: &McpOptions) -> Self {
        let answers = client.cache().map(|cache| {
            let config = cache.config();
            answers::Answers::new(config.rendered_bytes(), config.longest_ttl())
        });
        Self {
            client,
            hub: Arc::new(subscriptions::Hub::new(options.subscription_poll)),
            answers,
            answers_prefix: String::new(),
            principal: None,
        }
    }

    /// A signed-in user's account, sharing `configured`'s answer budget.
    fn signed_in(
        configured: &Account,
        principal: &crate::oauth::Principal,
        options: &McpOptions,
    ) -> Self {
        Self {
            client: principal.client.clone(),
            hub: Arc::new(subscriptions::Hub::new(options.subscription_poll)),
            answers: configured.answers.clone(),
            answers_prefix: format!("grant:{}\n", principal.grant),
            principal: Some(principal.clone()),
        }
    }
}

/// Grants whose accounts are kept in memory at once (hosted mode).
const ACCOUNTS_CAPACITY: u64 = 10_000;

/// The MCP server handler: cheap to clone (one `Arc`), one per session or request.
#[derive(Clone)]
pub struct SpotifyMcp {
    inner: Arc<Inner>,
    /// Whom the tools act for.
    account: Arc<Account>,
    /// The grant a 2025-11-25 session was opened with (hosted mode): the session serves no
    /// other; fresh for each session ([`Self::for_session`]).
    bound: Arc<std::sync::OnceLock<String>>,
    /// Tool-call metrics; disabled unless [`SpotifyMcp::with_metrics`] is used.
    metrics: crate::metrics::Metrics,
    /// The log level the session asked for; fresh for each session ([`Self::for_session`]).
    log: Arc<logging::SessionLog>,
    /// The session's `resources/subscribe`s; fresh for each session ([`Self::for_session`]).
    subs: Arc<subscriptions::SessionSubscriptions>,
    /// Where sessions keep their subscriptions for every replica (Redis), in which case the
    /// replica holding a session's stream delivers its notifications ([`relay`]).
    shared_subs: Option<crate::redis_cache::session_subs::SharedSubscriptions>,
    /// Cancelled when the server stops serving (SIGTERM, or stdio's input ended): open
    /// `subscriptions/listen` requests end then, with their final result.
    closing: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for SpotifyMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpotifyMcp")
            .field("options", &self.inner.options)
            .field("tools", &self.inner.tools.map.len())
            .finish_non_exhaustive()
    }
}

impl SpotifyMcp {
    pub fn new(client: SpotifyClient, options: McpOptions) -> Self {
        let mut tools = ToolRouter::new();
        let mut hidden = HashMap::new();
        for (toolset, route) in Self::all_routes() {
            let name = route.attr.name.to_string();
            if !options.toolsets.contains(&toolset) {
                hidden.insert(name, Hidden::Toolset(toolset));
            } else if options.read_only && !is_read_only(&route.attr) {
                hidden.insert(name, Hidden::ReadOnly);
            } else {
                tools.add_route(route);
            }
        }
        let account = Arc::new(Account::configured(client, &options));
        Self {
            inner: Arc::new(Inner {
                options,
                tools,
                hidden,
                prompts: prompts::router(),
                accounts: moka::future::Cache::builder()
                    .max_capacity(ACCOUNTS_CAPACITY)
                    .time_to_idle(std::time::Duration::from_secs(3600))
                    .build(),
            }),
            account,
            bound: Arc::default(),
            metrics: crate::metrics::Metrics::disabled(),
            log: Arc::default(),
            subs: Arc::default(),
            shared_subs: None,
            closing: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// A handler for a new session: the same tools and client, its own log level (a
    /// `logging/setLevel` of one session does not change what another one gets) and its own
    /// resource subscriptions.
    pub fn for_session(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            account: Arc::clone(&self.account),
            bound: Arc::default(),
            metrics: self.metrics.clone(),
            log: Arc::default(),
            subs: Arc::default(),
            shared_subs: self.shared_subs.clone(),
            closing: self.closing.clone(),
        }
    }

    /// Sessions keep their resource subscriptions in `shared` (Redis), for every replica.
    pub fn with_shared_subscriptions(
        mut self,
        shared: crate::redis_cache::session_subs::SharedSubscriptions,
    ) -> Self {
        self.shared_subs = Some(shared);
        self
    }

    /// Where sessions keep their subscriptions for every replica, when they do.
    pub fn shared_subscriptions(
        &self,
    ) -> Option<&crate::redis_cache::session_subs::SharedSubscriptions> {
        self.shared_subs.as_ref()
    }

    /// The session's subscriptions kept for every replica, and the session's ID, when the
    /// request of `context` belongs to a session and subscriptions are shared.
    fn shared_session<'a>(
        &'a self,
        context: &'a RequestContext<RoleServer>,
    ) -> Option<(
        &'a crate::redis_cache::session_subs::SharedSubscriptions,
        &'a str,
    )> {
        let shared = self.shared_subs.as_ref()?;
        let parts = context.extensions.get::<axum::http::request::Parts>()?;
        let id = parts.headers.get("mcp-session-id")?.to_str().ok()?;
        Some((shared, id))
    }

    /// Ends open `subscriptions/listen` requests when `closing` is cancelled.
    pub fn closing_with(mut self, closing: tokio_util::sync::CancellationToken) -> Self {
        self.closing = closing;
        self
    }

    /// The resource pollers of this handler's Spotify user.
    fn subscriptions_hub(&self) -> Arc<subscriptions::Hub> {
        Arc::clone(&self.account.hub)
    }

    /// The handler acting for the request's signed-in user (hosted mode: the guard put a
    /// [`crate::oauth::Principal`] in the request), or this one when there is none. A
    /// 2025-11-25 session serves the grant it was opened with and no other.
    async fn acting_for(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<std::borrow::Cow<'_, Self>, ErrorData> {
        let principal = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::oauth::Principal>());
        let Some(principal) = principal else {
            if self.inner.options.hosted {
                return Err(ErrorData::internal_error(
                    "this request carries no signed-in user",
                    None,
                ));
            }
            return Ok(std::borrow::Cow::Borrowed(self));
        };
        let bound = self.bound.get_or_init(|| principal.grant.clone());
        if *bound != principal.grant {
            return Err(ErrorData::invalid_request(
                "this session belongs to another sign-in; open a new session",
                None,
            ));
        }
        let account = self
            .inner
            .accounts
            .get_with(principal.grant.clone(), async {
                Arc::new(Account::signed_in(
                    &self.account,
                    principal,
                    &self.inner.options,
                ))
            })
            .await;
        Ok(std::borrow::Cow::Owned(Self {
            account,
            ..self.clone()
        }))
    }

    /// Spotify refused the signed-in user's credentials for good: in hosted mode the grant is
    /// revoked, so the client's next request is answered 401 and it signs in again.
    pub(crate) async fn reauthorization_needed(&self) {
        if let Some(principal) = &self.account.principal {
            principal.spotify_refused().await;
        }
    }

    /// The level below which nothing is sent to the client of `context`: the request's own
    /// (`_meta`, protocol 2026-07-28), else the session's; `None` (send nothing) until the
    /// client asks.
    #[allow(deprecated)]
    fn log_threshold(&self, context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
        context.meta.log_level().or_else(|| self.log.get())
    }

    /// Sends `message` to `peer` when `threshold` lets it through.
    #[allow(deprecated)]
    async fn notify(
        peer: &Peer<RoleServer>,
        threshold: Option<LoggingLevel>,
        message: LoggingMessageNotificationParam,
    ) {
        if logging::enabled(threshold, message.level)
            && let Err(e) = peer.notify_logging_message(message).await
        {
            tracing::debug!(error = %e, "could not send a log message to the client");
        }
    }

    /// Runs `call` (a tool call or completion named `label`) and sends what its Spotify
    /// requests go through (429 waits, retries) to the client as log messages, before the
    /// call's answer; just runs it when the client asked for no log messages.
    #[allow(deprecated)]
    async fn logged<T>(
        peer: &Peer<RoleServer>,
        threshold: Option<LoggingLevel>,
        label: &str,
        call: impl Future<Output = T>,
    ) -> T {
        if threshold.is_none() {
            return call.await;
        }
        let (sink, mut received) = tokio::sync::mpsc::unbounded_channel();
        let forward = async {
            while let Some(event) = received.recv().await {
                Self::notify(peer, threshold, logging::event_message(label, &event)).await;
            }
        };
        // The sink is dropped when the call ends, which ends the forwarding.
        let (out, ()) = tokio::join!(events::reporting(sink, call), forward);
        out
    }

    /// Records every tool call (count by outcome, duration, calls in flight) into `metrics`;
    /// the enabled tools get their own `tool` label value.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        metrics.register_tools(self.inner.tools.map.keys().map(|name| name.as_ref()));
        self.metrics = metrics;
        self
    }

    /// The Spotify client the tools call.
    pub fn client(&self) -> &SpotifyClient {
        &self.account.client
    }

    /// The options this handler was built with.
    pub fn options(&self) -> &McpOptions {
        &self.inner.options
    }

    /// Every tool the server knows, with its toolset, whether or not it is enabled; sorted by
    /// toolset then name. For documentation (the README's coverage table) and tests.
    pub fn tool_catalog() -> Vec<(Toolset, Tool)> {
        let mut all: Vec<(Toolset, Tool)> = Self::all_routes()
            .map(|(toolset, route)| (toolset, route.attr))
            .collect();
        all.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
        all
    }

    /// The tools served with the current options, sorted by name.
    pub fn enabled_tools(&self) -> Vec<Tool> {
        self.inner.tools.list_all()
    }

    fn router_for(toolset: Toolset) -> ToolRouter<Self> {
        match toolset {
            Toolset::Playback => Self::playback_router(),
            Toolset::Search => Self::search_router(),
            Toolset::Catalog => Self::catalog_router(),
            Toolset::Library => Self::library_router(),
            Toolset::Playlists => Self::playlists_router(),
            Toolset::Profile => Self::profile_router(),
            Toolset::Composite => Self::composite_router(),
            Toolset::Extended => Self::extended_router(),
        }
    }

    /// Every route of every toolset, with compacted schemas.
    fn all_routes() -> impl Iterator<Item = (Toolset, rmcp::handler::server::tool::ToolRoute<Self>)>
    {
        Toolset::ALL.into_iter().flat_map(|toolset| {
            Self::router_for(toolset).into_iter().map(move |mut route| {
                compact_tool(&mut route.attr);
                (toolset, route)
            })
        })
    }

    /// Maps a Spotify error to a tool error, looking up the user's devices when Spotify says
    /// there is no active one so the message can name them.
    pub(crate) async fn fail(&self, err: SpotifyError) -> ToolError {
        let err = match err {
            SpotifyError::ReauthRequired { reason } if self.account.principal.is_some() => {
                self.reauthorization_needed().await;
                SpotifyError::Unauthorized {
                    message: format!(
                        "Spotify no longer accepts this sign-in ({reason}), so this server revoked it: your MCP client signs you in again on its next request"
                    ),
                }
            }
            err => err,
        };
        let mut hints = Hints::default();
        if matches!(err, SpotifyError::NoActiveDevice) {
            hints.devices = self
                .client()
                .get_devices()
                .await
                .ok()
                .map(|devices| devices.iter().map(Device::from).collect());
        }
        ToolError::from_spotify(&err, &hints)
    }

    /// Like [`Self::fail`] for a player command sent to `device`: a 404 then means the device
    /// is unknown, and the message lists the devices that exist.
    pub(crate) async fn fail_on(&self, device: Option<&str>, err: SpotifyError) -> ToolError {
        match (&err, device) {
            (SpotifyError::NotFound { .. }, Some(id)) => {
                let devices = self
                    .client()
                    .get_devices()
                    .await
                    .ok()
                    .map(|devices| devices.iter().map(Device::from).collect::<Vec<_>>());
                ToolError::device_not_found(id, devices.as_deref())
            }
            _ => self.fail(err).await,
        }
    }

    /// Awaits a player command sent to `device`, mapping its error with [`Self::fail_on`].
    pub(crate) async fn call_on<T>(
        &self,
        device: Option<&str>,
        fut: impl Future<Output = Result<T, SpotifyError>>,
    ) -> Result<T, ToolError> {
        match fut.await {
            Ok(value) => Ok(value),
            Err(err) => Err(self.fail_on(device, err).await),
        }
    }

    /// Awaits a client call, mapping its error with [`Self::fail`].
    pub(crate) async fn call<T>(
        &self,
        fut: impl Future<Output = Result<T, SpotifyError>>,
    ) -> Result<T, ToolError> {
        match fut.await {
            Ok(value) => Ok(value),
            Err(err) => Err(self.fail(err).await),
        }
    }

    /// For a read-only call with the response cache on: where its rendered result is kept,
    /// the cache that says whether it still holds, and its key.
    fn kept_answers(
        &self,
        read_only: bool,
        name: &str,
        arguments: Option<&rmcp::model::JsonObject>,
    ) -> Option<(
        &answers::Answers,
        &crate::spotify::cache::ResponseCache,
        String,
    )> {
        let answers = self.account.answers.as_ref().filter(|_| read_only)?;
        let cache = self.client().cache()?;
        let key = answers::Answers::key(name, arguments);
        Some((
            answers,
            cache,
            format!("{}{key}", self.account.answers_prefix),
        ))
    }

    fn hidden_error(&self, name: &str, why: Hidden) -> ErrorData {
        let message = match why {
            Hidden::Toolset(toolset) => format!(
                "tool `{name}` is not enabled on this server: it belongs to the `{toolset}` \
                 toolset, which is not in --toolsets (enabled: {})",
                self.inner
                    .options
                    .toolsets
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Hidden::ReadOnly => format!(
                "tool `{name}` changes Spotify state and this server runs with --read-only; \
                 only read-only tools are available"
            ),
        };
        ErrorData::invalid_params(message, None)
    }
}

/// Whether a tool's annotations say it changes nothing.
fn is_read_only(tool: &Tool) -> bool {
    tool.annotations
        .as_ref()
        .and_then(|a| a.read_only_hint)
        .unwrap_or(false)
}

fn compact_tool(tool: &mut Tool) {
    tool.input_schema = Arc::new(schema::compact(&tool.input_schema, schema::Side::Input));
    if let Some(out) = &tool.output_schema {
        tool.output_schema = Some(Arc::new(schema::compact(out, schema::Side::Output)));
    }
    tool.annotations = tool.annotations.take().and_then(compact_annotations);
}

/// Drops the hints that say what MCP's defaults already say (`readOnlyHint` false,
/// `destructiveHint` true, `idempotentHint` false, `openWorldHint` true), and the
/// destructive/idempotent hints of a read-only tool, which MCP defines only for tools that
/// write. A client reads the same meaning from what is left; every tool repeated all four
/// hints, 3 KB of `tools/list`. `None` when nothing is left.
fn compact_annotations(mut a: ToolAnnotations) -> Option<ToolAnnotations> {
    let drop_if = |hint: &mut Option<bool>, default: bool| {
        if *hint == Some(default) {
            *hint = None;
        }
    };
    if a.read_only_hint == Some(true) {
        a.destructive_hint = None;
        a.idempotent_hint = None;
    }
    drop_if(&mut a.read_only_hint, false);
    drop_if(&mut a.destructive_hint, true);
    drop_if(&mut a.idempotent_hint, false);
    drop_if(&mut a.open_world_hint, true);
    let empty = a.title.is_none()
        && a.read_only_hint.is_none()
        && a.destructive_hint.is_none()
        && a.idempotent_hint.is_none()
        && a.open_world_hint.is_none();
    (!empty).then_some(a)
}

/// Whether the request speaks protocol 2026-07-28 or later (its own `_meta`, else the session's
/// handshake): its results carry cache hints, `logging/setLevel` does not exist for it (a
/// client of that revision sends its level with each request), and a confirmation is asked
/// with an `input_required` result instead of `elicitation/create`.
pub(super) fn speaks_2026_07_28(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
}

/// What the [`ServerHandler`] methods do once [`SpotifyMcp::acting_for`] chose the account.
impl SpotifyMcp {
    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        // metrics: names that are not enabled tools count as tool="unknown"
        let timer = self.metrics.start_tool_call(&name);
        if let Some(why) = self.inner.hidden.get(&name) {
            timer.finish(false);
            return Err(self.hidden_error(&name, *why));
        }
        let Some(tool) = self.inner.tools.get(&name) else {
            timer.finish(false);
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`: call tools/list for the available tools"),
                None,
            ));
        };
        // Checked by reference: the call below consumes the request, and arguments can be
        // large (a base64 cover image), so they are not copied.
        let mut mistyped = None;
        if let Some(args) = &request.arguments {
            if let Some(problem) = validate::unknown_arguments(&tool.input_schema, args) {
                timer.finish(false);
                return ToolError::invalid(problem).into_call_tool_result();
            }
            // Bounds the schema declares are enforced here, before any handler sees a value.
            if let Some(problem) = validate::out_of_bounds(&tool.input_schema, args) {
                timer.finish(false);
                return ToolError::invalid(format!("Invalid arguments: {problem}"))
                    .into_call_tool_result();
            }
            // Only used if the arguments then fail to deserialize.
            mistyped = validate::mistyped_argument(&tool.input_schema, args);
        }
        // Removing and replacing is confirmed by the user first where the client can ask.
        if let Some(change) = confirm::change(&name, request.arguments.as_ref()) {
            match self.confirm(&change, &request, &context).await {
                confirm::Decision::Proceed => {}
                confirm::Decision::Stop(text) => {
                    timer.finish(false);
                    return ToolError::invalid(text).into_call_tool_result();
                }
                confirm::Decision::Ask(ask) => {
                    timer.suspend();
                    return Ok(CallToolResponse::InputRequired(ask));
                }
            }
        }
        // A client that goes away (or sends notifications/cancelled) cancels the request's
        // token. A tool that changes nothing stops there, so no more Spotify requests are made
        // for nobody; a write runs to its end, so it is never left half-applied.
        let cancelled = context.ct.clone();
        let read_only = is_read_only(tool);
        // A read-only call may be answered with the result rendered before (see `answers`).
        let kept = self.kept_answers(read_only, &name, request.arguments.as_ref());
        if let Some((answers, cache, key)) = &kept
            && let Some(result) = answers.get(key, cache).await
        {
            timer.finish(true);
            return Ok(result.into());
        }
        let peer = context.peer.clone();
        let threshold = self.log_threshold(&context);
        let call = ToolCallContext::new(self, request, context);
        // Every Spotify request of this call shares one deadline (`--call-timeout-secs`).
        // Boxed: a tool call's future is large, and stateless (2026-07-28) requests are
        // served deeper in the stack of a runtime worker.
        let call = Box::pin(one_call(Self::logged(
            &peer,
            threshold,
            &name,
            crate::spotify::reads::recording(kept.is_some(), self.inner.tools.call(call)),
        )));
        let (mut response, reads) = if read_only {
            tokio::select! {
                response = call => response,
                () = cancelled.cancelled() => {
                    tracing::debug!(tool = %name, "client went away; read-only call stopped");
                    timer.finish(false);
                    return Err(ErrorData::internal_error(
                        format!("`{name}` was cancelled: the client went away or cancelled it"),
                        None,
                    ));
                }
            }
        } else {
            call.await
        };
        if let (Some((answers, _, key)), Some(reads), Ok(CallToolResponse::Complete(result))) =
            (kept, reads.from_cache_only(), &response)
        {
            answers.insert(key, reads, result).await;
        }
        // serde's message for a wrongly typed argument does not name it: add the name.
        if let Ok(CallToolResponse::Complete(result)) = &mut response
            && result.is_error == Some(true)
            && let Some(problem) = mistyped
            && let Some(first) = result.content.first().and_then(|c| c.as_text())
            && first.text.starts_with("failed to deserialize parameters")
        {
            result.content = vec![rmcp::model::ContentBlock::text(format!(
                "Invalid arguments: {problem} ({})",
                first.text
            ))];
        }
        timer.finish(match &response {
            Ok(CallToolResponse::Complete(result)) => result.is_error != Some(true),
            Ok(_) => true,
            Err(_) => false,
        });
        // A failed call is also logged, with the advice the tool gave.
        if let Ok(CallToolResponse::Complete(result)) = &response
            && result.is_error == Some(true)
            && threshold.is_some()
        {
            let text = result
                .content
                .iter()
                .filter_map(|c| c.as_text())
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Self::notify(&peer, threshold, logging::tool_error_message(&name, &text)).await;
        }
        response
    }

    async fn run_complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let threshold = self.log_threshold(&context);
        let label = "completion/complete";
        // Bounded by the call deadline like a tool call; stopped when the client goes away.
        let completed = Box::pin(one_call(Self::logged(
            &context.peer,
            threshold,
            label,
            completion::complete(self, &request),
        )));
        // Requests of a cached lookup run in tasks of their own, each with its own deadline:
        // the whole completion is bounded here too.
        let budget = self.client().call_timeout();
        let (result, failure) = tokio::select! {
            completed = tokio::time::timeout(budget, completed) => match completed {
                Ok(completed) => {
                    let (result, failure) = completed?;
                    (result, failure.map(|e| e.to_string()))
                }
                Err(_) => (
                    completion::nothing(),
                    Some(format!(
                        "Spotify did not answer within the call timeout of {} s",
                        budget.as_secs_f64()
                    )),
                ),
            },
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error(
                    "completion/complete was cancelled: the client went away or cancelled it",
                    None,
                ));
            }
        };
        if let Some(e) = failure {
            let what = match &request.r#ref {
                rmcp::model::Reference::Prompt(p) => {
                    format!("{}.{}", p.name, request.argument.name)
                }
                rmcp::model::Reference::Resource(r) => r.uri.clone(),
                _ => request.argument.name.clone(),
            };
            tracing::debug!(error = %e, %what, "completion lookup failed");
            Self::notify(
                &context.peer,
                threshold,
                logging::completion_failed_message(&what, &e),
            )
            .await;
        }
        Ok(result)
    }

    async fn run_get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let prompt_context = rmcp::handler::server::prompt::PromptContext::new(
            self,
            request.name,
            request.arguments,
            context,
        );
        self.inner.prompts.get_prompt(prompt_context).await
    }

    async fn run_list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut all = resources::list();
        let threshold = self.log_threshold(&context);
        let page = Box::pin(one_call(Self::logged(
            &context.peer,
            threshold,
            "resources/list",
            self.client()
                .get_my_playlists(crate::spotify::api::Page::new(50, 0)),
        )));
        match page.await {
            Ok(page) => all.extend(resources::playlists(&page)),
            Err(e) => {
                tracing::debug!(error = %e, "resources/list without the playlists");
                Self::notify(
                    &context.peer,
                    threshold,
                    logging::resources_partial_message(&e.to_string()),
                )
                .await;
            }
        }
        if !speaks_2026_07_28(&context)
            && let Some((shared, session)) = self.shared_session(&context)
        {
            // One more than the resources a session may watch: the list is not one of them.
            let max = subscriptions::MAX_PER_SUBSCRIBER + 1;
            if let Err(e) = shared.add(session, subscriptions::LIST_CHANGED, max).await {
                tracing::debug!(error = %e, "no list_changed for this session");
            }
        } else if !speaks_2026_07_28(&context) && !self.subs.contains(subscriptions::LIST_CHANGED) {
            match self.account.hub.watch(self, resources::MY_PLAYLISTS).await {
                Ok(changes) => self.subs.add_list_changed(changes, context.peer.clone()),
                Err(e) => tracing::debug!(error = %e.message, "no list_changed for this session"),
            }
        }
        Ok(ListResourcesResult::with_all_items(all))
    }

    async fn run_subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let uri = request.uri;
        subscriptions::watchable(&uri)?;
        if let Some((shared, session)) = self.shared_session(&context) {
            tracing::debug!(%uri, "subscription kept for every replica");
            return match shared
                .add(session, &uri, subscriptions::MAX_PER_SUBSCRIBER)
                .await
            {
                Ok(crate::redis_cache::session_subs::Added::Yes) => Ok(()),
                Ok(crate::redis_cache::session_subs::Added::Full) => Err(subscriptions::too_many()),
                Err(e) => Err(ErrorData::internal_error(
                    format!("the subscription could not be recorded for every replica: {e}"),
                    None,
                )),
            };
        }
        if !self.subs.contains(&uri) && !self.subs.has_room() {
            return Err(subscriptions::too_many());
        }
        tracing::debug!(%uri, shared = self.shared_subs.is_some(), "subscription kept by this process");
        let changes = self.account.hub.watch(self, &uri).await?;
        self.subs.add(&uri, changes, context.peer.clone());
        Ok(())
    }

    async fn run_read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(self, &request.uri).await.map(Into::into)
    }

    async fn run_listen(
        &self,
        context: rmcp::service::SubscriptionContext,
    ) -> Result<(), ErrorData> {
        subscriptions::listen(self, context).await
    }
}

impl ServerHandler for SpotifyMcp {
    #[allow(deprecated)] // the logging capability (SEP-2577 moves it in a later protocol)
    fn get_info(&self) -> ServerConfig {
        let mut implementation =
            Implementation::new("spotify-mcp-server", env!("CARGO_PKG_VERSION"));
        implementation.title = Some("Spotify".into());
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_resources_list_changed()
                .enable_prompts()
                .enable_logging()
                .enable_completions()
                .build(),
        )
        .with_server_info(implementation)
        .with_instructions(instructions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let hints = speaks_2026_07_28(&context);
        Ok(ListToolsResult {
            result_type: Some(ResultType::COMPLETE),
            tools: self.inner.tools.list_all(),
            meta: None,
            next_cursor: None,
            ttl_ms: hints.then_some(0),
            cache_scope: hints.then_some(CacheScope::Public),
        })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_tool(request, context).await
    }

    /// Every method rmcp does not route lands here (also `"method": ""`), and so do known
    /// methods whose params rmcp could not decode: those get `-32602` saying what is wrong.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        match request.method.as_str() {
            "logging/setLevel" if speaks_2026_07_28(&context) => Err(errors::set_level_removed()),
            "logging/setLevel" => Err(ErrorData::invalid_params(
                logging::invalid_level_message(request.params.as_ref()),
                None,
            )),
            "completion/complete" => Err(ErrorData::invalid_params(
                "completion/complete needs `ref` ({\"type\": \"ref/prompt\", \"name\": ...} or \
                 {\"type\": \"ref/resource\", \"uri\": ...}) and `argument` ({\"name\": ..., \
                 \"value\": ...})",
                None,
            )),
            method => Err(errors::method_not_found(method)),
        }
    }

    /// Stores the session's level; messages below it are not sent (none before it is set). A
    /// 2026-07-28 request gets `-32601` (HTTP 404): that revision removed the method.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if speaks_2026_07_28(&context) {
            return Err(errors::set_level_removed());
        }
        tracing::debug!(
            level = logging::name(request.level),
            "client set the log level"
        );
        self.log.set(request.level);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_complete(request, context).await
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tools.get(name).cloned()
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let hints = speaks_2026_07_28(&context);
        Ok(ListPromptsResult {
            result_type: Some(ResultType::COMPLETE),
            prompts: self.inner.prompts.list_all(),
            meta: None,
            next_cursor: None,
            ttl_ms: hints.then_some(0),
            cache_scope: hints.then_some(CacheScope::Public),
        })
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_get_prompt(request, context).await
    }

    /// The fixed resources, then the user's playlists (first 50, from the cache). A 2025-11-25
    /// session that lists resources is told when the playlists change (`list_changed`); a
    /// 2026-07-28 client asks for that with `subscriptions/listen`.
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_list_resources(_request, context).await
    }

    /// 2025-11-25: `notifications/resources/updated` on this session when `uri` changes.
    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_subscribe(request, context).await
    }

    /// 2025-11-25: stops what [`Self::subscribe`] started (nothing to do if it was not).
    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Some((shared, session)) = self.shared_session(&context) {
            return shared
                .remove(session, &request.uri)
                .await
                .map(|_| ())
                .map_err(|e| {
                    ErrorData::internal_error(
                        format!("the subscription could not be removed for every replica: {e}"),
                        None,
                    )
                });
        }
        self.subs.remove(&request.uri);
        Ok(())
    }

    /// 2026-07-28 `subscriptions/listen`: the subscribable resources asked for (at most
    /// [`subscriptions::MAX_PER_SUBSCRIBER`]) and the resource list.
    fn accepted_subscription_filter(
        &self,
        requested: &rmcp::model::SubscriptionFilter,
    ) -> Option<rmcp::model::SubscriptionFilter> {
        let mut accepted = rmcp::model::SubscriptionFilter::new();
        accepted.resources_list_changed = requested.resources_list_changed.filter(|&on| on);
        accepted.resource_subscriptions = requested.resource_subscriptions.as_ref().map(|uris| {
            uris.iter()
                .filter(|uri| subscriptions::watchable(uri).is_ok())
                .take(subscriptions::MAX_PER_SUBSCRIBER)
                .cloned()
                .collect()
        });
        Some(accepted)
    }

    async fn listen(&self, context: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        let this = self.acting_for(context.request_context()).await?;
        this.run_listen(context).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let this = self.acting_for(&context).await?;
        this.run_read_resource(request, context).await
    }
}

#[cfg(test)]
mod sandbox_tests;
#[cfg(test)]
mod tests;
