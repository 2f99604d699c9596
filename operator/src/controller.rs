//! Wiring: watches, the reconcile function, the error policy. Everything decided here comes from
//! the pure builders ([`crate::resources`]) and status rules ([`crate::status`]); this module only
//! reads, applies and records.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use futures::{StreamExt, channel::mpsc, stream};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, PartialObjectMeta, Patch, PatchParams,
};
use kube::core::DeserializeGuard;
use kube::core::error_boundary::InvalidObject;
use kube::runtime::controller::{
    Action, Config as ControllerConfig, Controller, Error as ControllerError,
};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::apply::{self, ApplyError};
use crate::crd::{GROUP, SpotifyMcp, SpotifyMcpStatus, VERSION};
use crate::metrics::Metrics;
use crate::probe::Prober;
use crate::resources::http_route::{self, HTTPRoute};
use crate::resources::prometheus_rule::{self, PrometheusRule};
use crate::resources::service_monitor::{self, ServiceMonitor};
use crate::resources::{self, BuildError, BuildParams, Children, MANAGED_BY_LABEL, MANAGER};
use crate::secrets;
use crate::status::{self, MonitoringState, Observed, PodReport, SpotifyMode};

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What the builders need (default image, cluster domain).
    pub params: BuildParams,
    /// Watch one namespace only; `None` watches the whole cluster.
    pub namespace: Option<String>,
    /// At most this many objects reconcile at the same time.
    pub concurrency: u16,
    /// Every object is reconciled again after this long even if nothing triggered it.
    pub resync: Duration,
    /// How often the operator checks whether the ServiceMonitor, PrometheusRule and HTTPRoute APIs
    /// appeared or went away.
    pub discovery_interval: Duration,
    /// First retry delay of a failing object; doubles per failure.
    pub backoff_min: Duration,
    /// Longest retry delay of a failing object.
    pub backoff_max: Duration,
    /// Identity in Events (`reportingInstance`), typically the pod name.
    pub instance: Option<String>,
    /// Ask the ready server pods about Spotify (`GET <pod IP>:8000/status`) for the
    /// `SpotifyReachable` condition. Off where the operator cannot reach the pod network.
    pub probe_servers: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            params: BuildParams::default(),
            namespace: None,
            concurrency: 16,
            resync: Duration::from_secs(300),
            discovery_interval: Duration::from_secs(30),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(300),
            instance: None,
            probe_servers: false,
        }
    }
}

/// A SpotifyMcp as the API server stores it: decoded, or — when it is stored in a shape these
/// types reject (written before a CRD change, or while validation was looser) — the decoding error
/// with its metadata. Watching through this guard keeps one unreadable object from failing the
/// whole list, which would stop every other object from reconciling.
pub type Stored = DeserializeGuard<SpotifyMcp>;

/// Longest decoding error copied into a condition message.
const MAX_INVALID_MESSAGE: usize = 1_000;

/// A reconcile failed; the object is retried with per-object exponential backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object cannot be turned into children.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A child could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// A referenced Secret could not be read (other than not existing).
    #[error("reading Secret {name}: {source}")]
    ReadSecret {
        /// Secret name.
        name: String,
        /// API error.
        #[source]
        source: kube::Error,
    },
    /// A child the spec no longer wants (a disabled ServiceMonitor, HorizontalPodAutoscaler, ...)
    /// could not be deleted.
    #[error("deleting {kind} {name}: {source}")]
    DeleteChild {
        /// Kind of the child.
        kind: String,
        /// Its name.
        name: String,
        /// API error.
        #[source]
        source: kube::Error,
    },
    /// The ServiceMonitor could not be applied (reported in the status too).
    #[error("ServiceMonitor not applied: {0}")]
    ServiceMonitor(String),
    /// The PrometheusRule could not be applied (reported in the status too).
    #[error("PrometheusRule not applied: {0}")]
    PrometheusRule(String),
    /// The HTTPRoute could not be applied (reported in the status too).
    #[error("HTTPRoute not applied: {0}")]
    HttpRoute(String),
    /// An optional built-in child (HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy,
    /// Ingress) could not be applied.
    #[error("{kind} not applied: {message}")]
    Child {
        /// Kind of the child.
        kind: String,
        /// The API server's message.
        message: String,
    },
    /// The status could not be written.
    #[error("writing status: {0}")]
    Status(#[source] kube::Error),
}

impl Error {
    /// One line for a status condition: the API server's message, without the client's debug dump.
    pub fn summary(&self) -> String {
        let api_message = |e: &kube::Error| match e {
            kube::Error::Api(status) => status.message.clone(),
            other => other.to_string(),
        };
        match self {
            Self::Apply(ApplyError::Kube { kind, name, source }) => {
                format!("applying {kind} {name}: {}", api_message(source))
            }
            Self::DeleteChild { kind, name, source } => {
                format!("deleting {kind} {name}: {}", api_message(source))
            }
            other => other.to_string(),
        }
    }

    /// Bounded label for the failures metric.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Build(_) => "build",
            Self::Apply(_) => "apply",
            Self::ReadSecret { .. } => "read_secret",
            Self::DeleteChild { .. } => "delete",
            Self::ServiceMonitor(_) => "service_monitor",
            Self::PrometheusRule(_) => "prometheus_rule",
            Self::HttpRoute(_) => "http_route",
            Self::Child { .. } => "child",
            Self::Status(_) => "status",
        }
    }
}

/// Shared state of the reconciles.
pub struct Context {
    client: Client,
    settings: Settings,
    recorder: Recorder,
    metrics: Metrics,
    deployments: Store<Deployment>,
    services: Store<Service>,
    service_monitors: Store<ServiceMonitor>,
    prometheus_rules: Store<PrometheusRule>,
    autoscalers: Store<HorizontalPodAutoscaler>,
    disruption_budgets: Store<PodDisruptionBudget>,
    network_policies: Store<NetworkPolicy>,
    ingresses: Store<Ingress>,
    http_routes: Store<HTTPRoute>,
    /// The server pods (for their addresses and readiness); not a trigger of reconciles.
    pods: Store<Pod>,
    prober: Prober,
    /// The last answers of each object's pods and when they were asked.
    spotify_reports: Mutex<HashMap<ObjectRef<Stored>, AskedPods>>,
    optional_apis: watch::Receiver<OptionalApis>,
    backoffs: Mutex<HashMap<ObjectRef<Stored>, ExponentialBackoff>>,
}

/// When an object's pods were last asked about Spotify, and what they said.
type AskedPods = (Instant, Vec<PodReport>);

/// An object's pods are asked again only after this long, however often it reconciles: the
/// resync drives the asking, bursts of child events do not.
const SPOTIFY_PROBE_INTERVAL: Duration = Duration::from_secs(10);

fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

fn strip_managed_fields<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// Runs the controller until `shutdown` resolves (in-flight reconciles finish first).
/// `ready` turns true once the SpotifyMcp, Deployment and Service caches are synced.
pub async fn run(
    client: Client,
    settings: Settings,
    metrics: Metrics,
    ready: Arc<AtomicBool>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let ns = settings.namespace.as_deref();
    let children = watcher::Config::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGER}"));

    let (cr_reader, cr_writer) = reflector::store::<Stored>();
    let cr_stream = retried(
        watcher(scoped::<Stored>(&client, ns), watcher::Config::default()),
        counted(&metrics, "spotifymcps"),
    )
    .modify(strip_managed_fields)
    .reflect(cr_writer)
    .applied_objects();

    let (deployments, dep_writer) = reflector::store::<Deployment>();
    let dep_stream = owned_children(&client, ns, &children, dep_writer, &metrics);

    let (services, svc_writer) = reflector::store::<Service>();
    let svc_stream = owned_children(&client, ns, &children, svc_writer, &metrics);

    let (autoscalers, hpa_writer) = reflector::store::<HorizontalPodAutoscaler>();
    let hpa_stream = owned_children(&client, ns, &children, hpa_writer, &metrics);
    let (disruption_budgets, pdb_writer) = reflector::store::<PodDisruptionBudget>();
    let pdb_stream = owned_children(&client, ns, &children, pdb_writer, &metrics);
    let (network_policies, np_writer) = reflector::store::<NetworkPolicy>();
    let np_stream = owned_children(&client, ns, &children, np_writer, &metrics);
    let (ingresses, ing_writer) = reflector::store::<Ingress>();
    let ing_stream = owned_children(&client, ns, &children, ing_writer, &metrics);
    // The server pods carry the same labels. Their events only fill the store: the pods are
    // asked about Spotify when the object reconciles (resync), not on every pod change.
    let (pods, pod_writer) = reflector::store::<Pod>();
    tokio::spawn(
        owned_children(&client, ns, &children, pod_writer, &metrics).for_each(|_| async {}),
    );

    // The ServiceMonitor, PrometheusRule and HTTPRoute watches start once their API exists; until
    // then they would only fail.
    let (apis_tx, apis_rx) = watch::channel(OptionalApis::default());
    let (service_monitors, sm_writer) = reflector::store::<ServiceMonitor>();
    let sm_stream = watch_when_served(
        scoped::<ServiceMonitor>(&client, ns),
        children.clone(),
        sm_writer,
        apis_rx.clone(),
        |apis| apis.monitoring.service_monitors,
        metrics.clone(),
    );
    let (prometheus_rules, pr_writer) = reflector::store::<PrometheusRule>();
    let pr_stream = watch_when_served(
        scoped::<PrometheusRule>(&client, ns),
        children.clone(),
        pr_writer,
        apis_rx.clone(),
        |apis| apis.monitoring.prometheus_rules,
        metrics.clone(),
    );
    let (http_routes, hr_writer) = reflector::store::<HTTPRoute>();
    let hr_stream = watch_when_served(
        scoped::<HTTPRoute>(&client, ns),
        children.clone(),
        hr_writer,
        apis_rx.clone(),
        |apis| apis.http_routes,
        metrics.clone(),
    );

    // Metadata only: the mapper needs names, and Secret values stay out of the operator's memory.
    let secret_stream = retried(
        watcher(
            scoped::<PartialObjectMeta<Secret>>(&client, ns),
            watcher::Config::default(),
        ),
        counted(&metrics, "secrets"),
    )
    .touched_objects();
    let mapper_store = cr_reader.clone();
    let secret_mapper = move |secret: PartialObjectMeta<Secret>| {
        let namespace = secret.namespace();
        let name = secret.name_any();
        mapper_store
            .state()
            .into_iter()
            .filter(|s| {
                s.namespace() == namespace
                    && s.0
                        .as_ref()
                        .is_ok_and(|smcp| secrets::references_secret(&smcp.spec, &name))
            })
            .map(|s| ObjectRef::from(s.as_ref()))
            .collect::<Vec<_>>()
    };

    // Re-check the optional APIs periodically; when one appears or goes, reconcile everything.
    let (mut reconcile_all_tx, reconcile_all_rx) = mpsc::channel::<()>(1);
    let discovery_client = client.clone();
    let interval = settings.discovery_interval;
    tokio::spawn(async move {
        loop {
            let available = OptionalApis {
                monitoring: monitoring_apis(&discovery_client).await,
                http_routes: http_routes_served(&discovery_client).await,
            };
            let changed = apis_tx.send_if_modified(|current| {
                let changed = *current != available;
                *current = available;
                changed
            });
            if changed {
                info!(
                    service_monitors = available.monitoring.service_monitors,
                    prometheus_rules = available.monitoring.prometheus_rules,
                    http_routes = available.http_routes,
                    "optional APIs (monitoring.coreos.com/v1, gateway.networking.k8s.io/v1) changed"
                );
                // A full channel already holds a pending "reconcile all"; dropping this one is fine.
                if let Err(e) = reconcile_all_tx.try_send(())
                    && e.is_disconnected()
                {
                    return;
                }
            }
            tokio::time::sleep(interval).await;
        }
    });

    {
        let (crs, deps, svcs, ready) = (
            cr_reader.clone(),
            deployments.clone(),
            services.clone(),
            ready.clone(),
        );
        tokio::spawn(async move {
            let synced =
                store_synced(&crs).await && store_synced(&deps).await && store_synced(&svcs).await;
            if synced {
                info!("caches synced");
                ready.store(true, Ordering::SeqCst);
            }
        });
    }

    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: MANAGER.to_owned(),
            instance: settings.instance.clone(),
        },
    );
    let concurrency = settings.concurrency;
    let context = Arc::new(Context {
        client,
        settings,
        recorder,
        metrics,
        deployments,
        services,
        service_monitors,
        prometheus_rules,
        autoscalers,
        disruption_budgets,
        network_policies,
        ingresses,
        http_routes,
        pods,
        prober: Prober::default(),
        spotify_reports: Mutex::new(HashMap::new()),
        optional_apis: apis_rx,
        backoffs: Mutex::new(HashMap::new()),
    });
    let backoffs_ctx = context.clone();

    Controller::for_stream(detached(cr_stream), cr_reader)
        .with_config(ControllerConfig::default().concurrency(concurrency))
        .owns_stream(detached(dep_stream))
        .owns_stream(detached(svc_stream))
        .owns_stream(detached(sm_stream))
        .owns_stream(detached(pr_stream))
        .owns_stream(detached(hpa_stream))
        .owns_stream(detached(pdb_stream))
        .owns_stream(detached(np_stream))
        .owns_stream(detached(ing_stream))
        .owns_stream(detached(hr_stream))
        .watches_stream(detached(secret_stream), secret_mapper)
        .reconcile_all_on(reconcile_all_rx)
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| {
            // A failing object deleted without finalizers is never reconciled again: its retry
            // finds it gone, so its backoff entry ends here.
            if let Err(ControllerError::ObjectNotFound(object)) = &result {
                let mut gone = ObjectRef::<Stored>::new(&object.name);
                gone.namespace.clone_from(&object.namespace);
                lock(&backoffs_ctx.backoffs).remove(&gone);
                lock(&backoffs_ctx.spotify_reports).remove(&gone);
            }
            async move {
                match result {
                    Ok((object, _)) => debug!(object = %object, "reconciled"),
                    Err(ControllerError::ObjectNotFound(object)) => {
                        debug!(object = %object, "object gone before reconcile")
                    }
                    // error_policy already logged it with the retry delay.
                    Err(ControllerError::ReconcilerFailed(e, object)) => {
                        debug!(object = %object, error = %e, "reconcile failed")
                    }
                    Err(e) => warn!(error = %e, "controller stream error"),
                }
            }
        })
        .await;
    info!("controller stopped");
}

/// Retries of a failed list or watch: from 0.5 s, doubling, with jitter, up to this; any event
/// received resets it. kube's default goes up to 30 s and resets only after two minutes without
/// failures: after an API server restart, a watch that had failed a few times while it was away
/// then waited half a minute before it listed again, and the operator, its caches missing the
/// children it had just made, re-applied them every resync meanwhile.
const WATCH_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// `stream` with its failures reported to `report` and retried with backoff, except a resource
/// version that expired (410 Gone): the watcher relists at once on its next poll, as it should,
/// since nothing failed but the version (and a relist is what fills the caches again).
fn retried<K, S>(
    stream: S,
    mut report: impl FnMut(&watcher::Error) + Send + 'static,
) -> impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send
where
    K: Send,
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send,
{
    stream
        .filter(move |event| {
            let relist = match event {
                Err(e) => {
                    report(e);
                    expired(e)
                }
                Ok(_) => false,
            };
            std::future::ready(!relist)
        })
        .backoff(watcher::ExponentialBackoff::from(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(500))
                .with_max_delay(WATCH_BACKOFF_MAX)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times(),
        ))
}

/// Whether `error` says the watch's resource version is gone (the watcher relists next).
fn expired(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::WatchError(status) if status.code == 410)
}

/// Counts a failed list or watch of `resource` (the watcher retries it with backoff).
fn counted(metrics: &Metrics, resource: &'static str) -> impl FnMut(&watcher::Error) + use<> {
    let metrics = metrics.clone();
    move |e| {
        debug!(resource, error = %e, "list or watch failed; retrying");
        metrics.watch_failed(resource, e);
    }
}

/// Waits until `store` has its initial list. `Store::wait_until_ready` wakes only the most recent of
/// several concurrent waiters (a oneshot underneath) and the Controller waits on the same store, so
/// poll it again periodically instead of relying on a wake-up. Returns false if the writer is gone.
async fn store_synced<K>(store: &Store<K>) -> bool
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    loop {
        if let Ok(result) =
            tokio::time::timeout(Duration::from_millis(250), store.wait_until_ready()).await
        {
            return result.is_ok();
        }
    }
}

/// The label-selected watch of our children of a built-in kind `K` (always served), filling `writer`.
fn owned_children<K>(
    client: &Client,
    ns: Option<&str>,
    config: &watcher::Config,
    writer: reflector::store::Writer<K>,
    metrics: &Metrics,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + use<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let plural = K::plural(&()).into_owned();
    let metrics = metrics.clone();
    retried(watcher(scoped::<K>(client, ns), config.clone()), move |e| {
        debug!(resource = %plural, error = %e, "list or watch failed; retrying");
        metrics.watch_failed(&plural, e);
    })
    .modify(strip_managed_fields)
    .reflect(writer)
    .touched_objects()
}

/// Drives a watch (and the store it fills) in a task of its own and hands the controller its
/// events through a queue. Polled by the controller itself, a watch advances only when the
/// controller takes triggers, which it does between reconciles (with `--concurrency 1`, one
/// event per reconcile): after an API server restart the SpotifyMcp store then lagged the
/// relist by dozens of reconciles, every reconcile found the status it had just written missing
/// from its stale copy and wrote it again, each write queueing one more event behind (the
/// faults tests' "a hot loop": 45–51 status writes in 6 s). Here the stores stay current
/// whatever the controller does; when the queue is full a trigger is dropped (the store has the
/// object, and the periodic resync reconciles it).
fn detached<K>(
    stream: impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(TRIGGER_QUEUE);
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match tx.try_send(item) {
                Ok(()) | Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {}
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// Child events queued for the controller per watch.
const TRIGGER_QUEUE: usize = 1024;

/// Which optional APIs (CRDs the operator does not own) the cluster serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct OptionalApis {
    /// The Prometheus Operator's.
    monitoring: MonitoringApis,
    /// gateway.networking.k8s.io/v1 httproutes.
    http_routes: bool,
}

/// Asks discovery whether the cluster serves gateway.networking.k8s.io/v1 HTTPRoutes (one request).
async fn http_routes_served(client: &Client) -> bool {
    match client
        .list_api_group_resources(&format!("{}/{}", http_route::GROUP, http_route::VERSION))
        .await
    {
        Ok(list) => list.resources.iter().any(|r| r.name == http_route::PLURAL),
        Err(kube::Error::Api(status)) if status.code == 404 => false,
        Err(e) => {
            debug!(error = %e, "gateway.networking.k8s.io/v1 discovery failed; assuming it is absent");
            false
        }
    }
}

/// Which Prometheus Operator APIs the cluster serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct MonitoringApis {
    /// monitoring.coreos.com/v1 servicemonitors.
    service_monitors: bool,
    /// monitoring.coreos.com/v1 prometheusrules.
    prometheus_rules: bool,
}

/// Asks discovery which monitoring.coreos.com/v1 resources the cluster serves (one request).
async fn monitoring_apis(client: &Client) -> MonitoringApis {
    match client
        .list_api_group_resources(&format!(
            "{}/{}",
            service_monitor::GROUP,
            service_monitor::VERSION
        ))
        .await
    {
        Ok(list) => {
            let served = |plural: &str| list.resources.iter().any(|r| r.name == plural);
            MonitoringApis {
                service_monitors: served(service_monitor::PLURAL),
                prometheus_rules: served(prometheus_rule::PLURAL),
            }
        }
        Err(kube::Error::Api(status)) if status.code == 404 => MonitoringApis::default(),
        Err(e) => {
            debug!(error = %e, "monitoring.coreos.com/v1 discovery failed; assuming it is absent");
            MonitoringApis::default()
        }
    }
}

/// The label-selected watch of our children of kind `K`, started once `served` says discovery
/// found its API (it stays open afterwards; a CRD removed later only makes it retry).
fn watch_when_served<K>(
    api: Api<K>,
    config: watcher::Config,
    writer: reflector::store::Writer<K>,
    mut apis: watch::Receiver<OptionalApis>,
    served: fn(&OptionalApis) -> bool,
    metrics: Metrics,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send
where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    stream::once(async move {
        if apis.wait_for(served).await.is_err() {
            warn!(
                kind = %K::kind(&()),
                "optional API discovery stopped; these children will not be watched"
            );
        }
        let plural = K::plural(&()).into_owned();
        retried(watcher(api, config), move |e| {
            debug!(resource = %plural, error = %e, "list or watch failed; retrying");
            metrics.watch_failed(&plural, e);
        })
        .modify(strip_managed_fields)
        .reflect(writer)
        .touched_objects()
    })
    .flatten()
}

async fn reconcile(stored: Arc<Stored>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let result = match &stored.0 {
        Ok(smcp) => reconcile_object(smcp, &ctx).await,
        Err(invalid) => reconcile_invalid(invalid, stored.object_ref(&()), &ctx).await,
    };
    let outcome = if result.is_ok() { "success" } else { "error" };
    ctx.metrics
        .reconciliations
        .with_label_values(&[outcome])
        .inc();
    ctx.metrics
        .reconcile_duration
        .with_label_values(&[outcome])
        .observe(started.elapsed().as_secs_f64());
    // Success ends the backoff (an object being deleted reconciles to Ok as well).
    if result.is_ok() {
        lock(&ctx.backoffs).remove(&ObjectRef::from(stored.as_ref()));
    }
    result
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error_policy(smcp: Arc<Stored>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics
        .failures
        .with_label_values(&[error.kind()])
        .inc();
    let settings = &ctx.settings;
    let delay = lock(&ctx.backoffs)
        .entry(ObjectRef::from(smcp.as_ref()))
        .or_insert_with(|| {
            ExponentialBuilder::default()
                .with_min_delay(settings.backoff_min)
                .with_max_delay(settings.backoff_max)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times()
                .build()
        })
        .next()
        .unwrap_or(settings.backoff_max);
    warn!(
        name = %smcp.name_any(),
        namespace = smcp.namespace().unwrap_or_default(),
        error = %error,
        retry_in_ms = delay.as_millis() as u64,
        "reconcile failed; retrying with backoff"
    );
    Action::requeue(delay)
}

/// One reconcile, as a pipeline: dereference the Secrets, build every child (pure,
/// [`resources::build`]), apply them, observe the servers, then write the status (pure,
/// [`status::compute`]) when it changed.
async fn reconcile_object(smcp: &SpotifyMcp, ctx: &Context) -> Result<Action, Error> {
    if smcp.metadata.deletion_timestamp.is_some() {
        // Owner references let the garbage collector remove the children.
        return Ok(Action::await_change());
    }
    let (name, ns) = resources::name_and_namespace(smcp)?;
    let inputs = dereference(smcp, ns, ctx).await?;
    let children = resources::build(smcp, &ctx.settings.params, &inputs)?;
    let applied = apply_children(smcp, ctx, children).await;
    let spotify = observe_spotify(smcp, ctx).await;
    let now = Time(
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    );
    let apply_error = applied.failure.as_ref().map(Error::summary);
    let observed = Observed {
        generation: smcp.metadata.generation,
        desired_replicas: smcp.spec.replicas,
        deployment: applied.deployment.as_ref(),
        missing_secrets: &inputs.digest.missing_secrets,
        apply_error: apply_error.as_deref(),
        service_monitor: applied.service_monitor.clone(),
        prometheus_rule: applied.prometheus_rule.clone(),
        http_route: applied.http_route.clone(),
        selector: resources::selector_string(name),
        endpoint: resources::endpoint_url(name, ns, smcp.spec.service.port),
        redirect_uri: resources::redirect_uri(smcp),
        credentials: &inputs.authorization,
        max_replicas: match (&smcp.spec.autoscaling, smcp.spec.replicas) {
            (a, replicas) if a.enabled => a.max_replicas.unwrap_or(replicas).max(replicas),
            (_, replicas) => replicas,
        },
        redis: smcp.spec.cache.redis_url.is_some(),
        spotify: spotify
            .as_ref()
            .map(|(mode, reports)| status::SpotifyHealth {
                mode: *mode,
                reports: reports.as_slice(),
            }),
    };
    write_status(smcp, name, ns, ctx, &observed, &now).await?;

    if let Some(e) = applied.failure {
        return Err(e);
    }
    for (state, error) in [
        (
            applied.service_monitor,
            Error::ServiceMonitor as fn(String) -> Error,
        ),
        (applied.prometheus_rule, Error::PrometheusRule),
        (applied.http_route, Error::HttpRoute),
    ] {
        if let MonitoringState::Failed(msg) = state {
            return Err(error(msg));
        }
    }
    // CredentialsExpiring flips by the clock alone: come back just after it is due.
    let requeue = status::next_credentials_change(&inputs.authorization, now.0)
        .map_or(ctx.settings.resync, |due| {
            ctx.settings.resync.min(due + Duration::from_secs(1))
        });
    Ok(Action::requeue(requeue))
}

/// The dereference step: reads the Secrets the object references and keeps only their digest
/// (which Secrets are missing) and the authorisation date; the values are dropped here.
async fn dereference(
    smcp: &SpotifyMcp,
    ns: &str,
    ctx: &Context,
) -> Result<secrets::Dereferenced, Error> {
    let secret_api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let mut found = BTreeMap::new();
    for secret_name in secrets::references(&smcp.spec).keys() {
        let secret = secret_api
            .get_opt(secret_name)
            .await
            .map_err(|source| Error::ReadSecret {
                name: secret_name.clone(),
                source,
            })?;
        if let Some(secret) = secret {
            found.insert(secret_name.clone(), secret);
        }
    }
    Ok(secrets::dereference(&smcp.spec, &found))
}

/// What the apply step did, for the status.
struct AppliedChildren {
    /// The Deployment as applied, or as last seen when its apply failed.
    deployment: Option<Deployment>,
    service_monitor: MonitoringState,
    prometheus_rule: MonitoringState,
    http_route: MonitoringState,
    /// The first failure (reported as Degraded/ApplyFailed, then returned for a retry).
    failure: Option<Error>,
}

/// The apply step: every child is attempted (applied when built, deleted when the spec no longer
/// wants it); the first failure is kept for the status and the retry.
async fn apply_children(smcp: &SpotifyMcp, ctx: &Context, children: Children) -> AppliedChildren {
    let (name, ns) = match resources::name_and_namespace(smcp) {
        Ok(names) => names,
        Err(e) => {
            return AppliedChildren {
                deployment: None,
                service_monitor: MonitoringState::Failed(e.to_string()),
                prometheus_rule: MonitoringState::Failed(e.to_string()),
                http_route: MonitoringState::Failed(e.to_string()),
                failure: Some(e.into()),
            };
        }
    };
    let mut failure: Option<Error> = None;
    let deployment = match apply_child(ctx, &ctx.deployments, ns, children.deployment).await {
        Ok(applied) => Some(applied.object),
        Err(e) => {
            failure = Some(e.into());
            // The status still reports the Deployment as last seen.
            ctx.deployments
                .get(&ObjectRef::new(name).within(ns))
                .map(|d| (*d).clone())
        }
    };
    if let Err(e) = apply_child(ctx, &ctx.services, ns, children.service).await {
        failure.get_or_insert(e.into());
    }

    let apis = *ctx.optional_apis.borrow();
    let mut optional = |outcome: Result<MonitoringState, Error>| match outcome {
        Ok(state) => state,
        Err(e) => {
            let state = MonitoringState::Failed(e.summary());
            failure.get_or_insert(e);
            state
        }
    };
    let service_monitor = optional(
        reconcile_optional_child(
            smcp,
            ctx,
            &ctx.service_monitors,
            children.service_monitor,
            apis.monitoring.service_monitors,
        )
        .await,
    );
    let prometheus_rule = optional(
        reconcile_optional_child(
            smcp,
            ctx,
            &ctx.prometheus_rules,
            children.prometheus_rule,
            apis.monitoring.prometheus_rules,
        )
        .await,
    );
    let http_route = optional(
        reconcile_optional_child(
            smcp,
            ctx,
            &ctx.http_routes,
            children.http_route,
            apis.http_routes,
        )
        .await,
    );

    // Scaling, disruption and exposure children of built-in kinds: created while the spec wants
    // them, deleted when it stops; a failure is reported like the Deployment's (Degraded).
    let outcomes = [
        reconcile_builtin_child(smcp, ctx, &ctx.autoscalers, children.autoscaler).await,
        reconcile_builtin_child(
            smcp,
            ctx,
            &ctx.disruption_budgets,
            children.disruption_budget,
        )
        .await,
        reconcile_builtin_child(smcp, ctx, &ctx.network_policies, children.network_policy).await,
        reconcile_builtin_child(smcp, ctx, &ctx.ingresses, children.ingress).await,
    ];
    for e in outcomes.into_iter().flatten() {
        failure.get_or_insert(e);
    }
    AppliedChildren {
        deployment,
        service_monitor,
        prometheus_rule,
        http_route,
        failure,
    }
}

/// The observe step: what the object's ready server pods say about Spotify, asked at most every
/// [`SPOTIFY_PROBE_INTERVAL`] (the last answers are reused in between); `None` when the operator
/// does not ask.
async fn observe_spotify(
    smcp: &SpotifyMcp,
    ctx: &Context,
) -> Option<(SpotifyMode, Vec<PodReport>)> {
    if !ctx.settings.probe_servers {
        return None;
    }
    let spec = &smcp.spec;
    let mode = if spec.sandbox {
        SpotifyMode::Sandbox
    } else if spec.hosted().is_some() {
        SpotifyMode::Hosted
    } else {
        SpotifyMode::Account
    };
    let key = ObjectRef::<Stored>::new(&smcp.name_any()).within(&smcp.namespace()?);
    if let Some((asked, reports)) = lock(&ctx.spotify_reports).get(&key)
        && asked.elapsed() < SPOTIFY_PROBE_INTERVAL
    {
        return Some((mode, reports.clone()));
    }
    let addresses = ready_pod_addresses(&ctx.pods, smcp);
    let reports = ctx.prober.ask(&addresses).await;
    lock(&ctx.spotify_reports).insert(key, (Instant::now(), reports.clone()));
    Some((mode, reports))
}

/// The addresses of the object's server pods that are Ready and not terminating.
fn ready_pod_addresses(pods: &Store<Pod>, smcp: &SpotifyMcp) -> Vec<std::net::IpAddr> {
    let selector = resources::selector_labels(&smcp.name_any());
    let namespace = smcp.namespace();
    let mut addresses: Vec<std::net::IpAddr> = pods
        .state()
        .iter()
        .filter(|pod| pod.namespace() == namespace && pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| {
            let labels = pod.labels();
            selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
        .filter_map(|pod| {
            let status = pod.status.as_ref()?;
            let ready = status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            ready.then(|| status.pod_ip.as_deref()?.parse().ok())?
        })
        .collect();
    addresses.sort_unstable();
    addresses
}

/// The status step: computes the status from what was observed and writes it only when it
/// differs; an Event per condition transition.
async fn write_status(
    smcp: &SpotifyMcp,
    name: &str,
    ns: &str,
    ctx: &Context,
    observed: &Observed<'_>,
    now: &Time,
) -> Result<(), Error> {
    let new_status = status::compute(smcp.status.as_ref(), observed, now);
    if smcp.status.as_ref() == Some(&new_status) {
        return Ok(());
    }
    let patch = serde_json::json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "SpotifyMcp",
        "status": new_status,
    });
    Api::<SpotifyMcp>::namespaced(ctx.client.clone(), ns)
        .patch_status(
            name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .map_err(Error::Status)?;
    ctx.metrics.wrote("spotifymcps/status", "apply");
    publish_transitions(smcp.object_ref(&()), ctx, smcp.status.as_ref(), &new_status).await;
    Ok(())
}

/// Applies one child unless its cached copy (in `store`) already matches; counts the write.
async fn apply_child<K>(
    ctx: &Context,
    store: &Store<K>,
    ns: &str,
    desired: K,
) -> Result<apply::Applied<K>, ApplyError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + std::fmt::Debug,
{
    let cached = store.get(&ObjectRef::new(&desired.name_any()).within(ns));
    let api = Api::<K>::namespaced(ctx.client.clone(), ns);
    let applied = apply::ensure(&api, desired, cached.as_deref()).await?;
    if applied.wrote {
        ctx.metrics.wrote(&K::plural(&()), "apply");
    }
    Ok(applied)
}

/// Reconciles an optional child of a built-in kind (always served): [`reconcile_optional_child`],
/// with a failed apply turned into the error to report and retry.
async fn reconcile_builtin_child<K>(
    smcp: &SpotifyMcp,
    ctx: &Context,
    store: &Store<K>,
    desired: Option<K>,
) -> Option<Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + std::fmt::Debug,
{
    match reconcile_optional_child(smcp, ctx, store, desired, true).await {
        Ok(MonitoringState::Failed(message)) => Some(Error::Child {
            kind: K::kind(&()).into_owned(),
            message,
        }),
        Ok(_) => None,
        Err(e) => Some(e),
    }
}

/// Reconciles an optional child (ServiceMonitor, PrometheusRule, HTTPRoute, HorizontalPodAutoscaler,
/// PodDisruptionBudget, NetworkPolicy, Ingress): when the spec does not want it, deletes the one
/// this object owns (`desired` is `None`); when its API is not served, says so; otherwise applies
/// `desired`.
async fn reconcile_optional_child<K>(
    smcp: &SpotifyMcp,
    ctx: &Context,
    store: &Store<K>,
    desired: Option<K>,
    api_available: bool,
) -> Result<MonitoringState, Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + std::fmt::Debug,
{
    let (name, ns) = resources::name_and_namespace(smcp)?;
    let Some(desired) = desired else {
        let cached = store.get(&ObjectRef::new(name).within(ns));
        let ours = cached.as_deref().is_some_and(|child| {
            child
                .owner_references()
                .iter()
                .any(|o| o.controller == Some(true) && Some(&o.uid) == smcp.metadata.uid.as_ref())
        });
        if ours && api_available {
            let api: Api<K> = Api::namespaced(ctx.client.clone(), ns);
            match api.delete(name, &DeleteParams::default()).await {
                Ok(_) => {
                    ctx.metrics.wrote(&K::plural(&()), "delete");
                    info!(
                        kind = %K::kind(&()),
                        name,
                        namespace = ns,
                        "deleted (the spec no longer wants it)"
                    );
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(Error::DeleteChild {
                        kind: K::kind(&()).into_owned(),
                        name: name.to_owned(),
                        source,
                    });
                }
            }
        }
        return Ok(MonitoringState::Disabled);
    };
    if !api_available {
        return Ok(MonitoringState::CrdMissing);
    }
    match apply_child(ctx, store, ns, desired).await {
        Ok(_) => Ok(MonitoringState::Applied),
        Err(e) => match e.kube_error() {
            Some(kube::Error::Api(s)) if s.code == 404 => Ok(MonitoringState::CrdMissing),
            _ => Ok(MonitoringState::Failed(Error::from(e).summary())),
        },
    }
}

/// Reports an object this operator cannot read: Ready=False/Degraded=True `InvalidSpec` naming the
/// field (a Warning Event when that is new), and nothing else — its children stay as they are and
/// it is not retried until it changes (a fix, or a newer operator, makes it readable).
async fn reconcile_invalid(
    invalid: &InvalidObject,
    reference: ObjectReference,
    ctx: &Context,
) -> Result<Action, Error> {
    let meta = &invalid.metadata;
    let (Some(name), Some(ns)) = (meta.name.as_deref(), meta.namespace.as_deref()) else {
        return Ok(Action::await_change());
    };
    if meta.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    // The guard keeps only the decoder's message; decode the stored object again to name the
    // field. Its status is usually still readable (only the operator writes it).
    let api = Api::<DynamicObject>::namespaced_with(
        ctx.client.clone(),
        ns,
        &ApiResource::erase::<SpotifyMcp>(&()),
    );
    let raw = match api.get_opt(name).await.map_err(Error::Status)? {
        Some(raw) => serde_json::to_value(&raw).unwrap_or_default(),
        None => return Ok(Action::await_change()),
    };
    let error = describe_invalid(&raw).unwrap_or_else(|| invalid.error.clone());
    warn!(name, namespace = ns, error = %error, "cannot read SpotifyMcp; reporting InvalidSpec");
    let previous = raw
        .get("status")
        .and_then(|s| serde_json::from_value::<SpotifyMcpStatus>(s.clone()).ok());
    let now = Time(
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    );
    let new_status = status::invalid_spec(previous.as_ref(), meta.generation, &error, &now);
    if previous.as_ref() != Some(&new_status) {
        // A merge patch: server-side apply needs the live object to match the schema, which this
        // one does not ("failed to create typed live object"). Once the object is fixed, the
        // regular apply of the status takes the fields back.
        let patch = serde_json::json!({ "status": new_status });
        let params = PatchParams {
            field_manager: Some(MANAGER.to_owned()),
            ..PatchParams::default()
        };
        match api.patch_status(name, &params, &Patch::Merge(&patch)).await {
            Ok(_) => {
                ctx.metrics.wrote("spotifymcps/status", "patch");
                publish_transitions(reference, ctx, previous.as_ref(), &new_status).await;
            }
            // The API server checks the object's validation rules on a status write too, and a
            // rule over the unreadable field fails: the status cannot say it, an Event can.
            Err(kube::Error::Api(s)) if s.code == 422 => {
                let note = status::find(Some(&new_status), status::types::READY)
                    .map(|c| c.message.clone())
                    .unwrap_or_default();
                publish(
                    &reference,
                    ctx,
                    EventType::Warning,
                    status::INVALID_SPEC,
                    note,
                )
                .await;
            }
            Err(e) => return Err(Error::Status(e)),
        }
    }
    Ok(Action::await_change())
}

/// Where and why `raw` does not decode as a SpotifyMcp (`spec.replicas: invalid type: ...`),
/// bounded in length; `None` if it decodes after all.
fn describe_invalid(raw: &serde_json::Value) -> Option<String> {
    let error = serde_path_to_error::deserialize::<_, SpotifyMcp>(raw).err()?;
    let mut text = format!("{}: {}", error.path(), error.inner());
    if text.len() > MAX_INVALID_MESSAGE {
        let mut cut = MAX_INVALID_MESSAGE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    Some(text)
}

async fn publish_transitions(
    reference: ObjectReference,
    ctx: &Context,
    old_status: Option<&SpotifyMcpStatus>,
    new_status: &SpotifyMcpStatus,
) {
    for condition in status::transitions(old_status, new_status) {
        let type_ = if status::is_warning(condition) {
            EventType::Warning
        } else {
            EventType::Normal
        };
        let note = format!(
            "{} is {}: {}",
            condition.type_, condition.status, condition.message
        );
        publish(&reference, ctx, type_, &condition.reason, note).await;
    }
}

/// Publishes one Event about the object (the recorder folds repeats into a series).
async fn publish(
    reference: &ObjectReference,
    ctx: &Context,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    match ctx.recorder.publish(&event, reference).await {
        Ok(()) => ctx.metrics.wrote("events", "create"),
        Err(e) => warn!(error = %e, reason, "cannot publish Event"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, Response};
    use kube::client::Body;
    use std::pin::pin;
    use tower_test::mock;

    fn watch_error(code: u16) -> watcher::Error {
        let status = kube::core::Status::failure("watch failed", "Expired").with_code(code);
        watcher::Error::WatchError(Box::new(status))
    }

    #[tokio::test]
    async fn an_expired_resource_version_relists_at_once_and_other_failures_back_off() {
        let reported = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = reported.clone();
        let events: Vec<Result<watcher::Event<u32>, watcher::Error>> = vec![
            Err(watch_error(410)),
            Ok(watcher::Event::Apply(1)),
            Err(watch_error(500)),
            Ok(watcher::Event::Apply(2)),
        ];
        let mut stream = pin!(retried(futures::stream::iter(events), move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        }));
        // The 410 is counted, not passed on, and the relist's first event follows without a wait.
        let first = tokio::time::timeout(Duration::from_millis(200), stream.next())
            .await
            .expect("no backoff after an expired resource version");
        assert!(matches!(first, Some(Ok(watcher::Event::Apply(1)))));
        assert!(matches!(stream.next().await, Some(Err(_))));
        let started = std::time::Instant::now();
        assert!(matches!(
            stream.next().await,
            Some(Ok(watcher::Event::Apply(2)))
        ));
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "another failure is retried with backoff ({:?})",
            started.elapsed()
        );
        assert_eq!(reported.load(Ordering::SeqCst), 2);
    }

    async fn discovery_answer(status: u16, body: serde_json::Value) -> MonitoringApis {
        let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
        let server = tokio::spawn(async move {
            let mut handle = pin!(handle);
            let (request, send) = handle.next_request().await.expect("one request");
            assert_eq!(request.uri().to_string(), "/apis/monitoring.coreos.com/v1");
            let response = Response::builder()
                .status(status)
                .body(Body::from(serde_json::to_vec(&body).expect("json")))
                .expect("response");
            send.send_response(response);
        });
        let available = monitoring_apis(&Client::new(svc, "default")).await;
        server.await.expect("server task");
        available
    }

    fn resource_list(resources: &[(&str, &str)]) -> serde_json::Value {
        let resources: Vec<serde_json::Value> = resources
            .iter()
            .map(|(plural, kind)| {
                serde_json::json!({"name": plural, "singularName": plural.trim_end_matches('s'),
                    "namespaced": true, "kind": kind, "verbs": ["get", "list", "watch"]})
            })
            .collect();
        serde_json::json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "monitoring.coreos.com/v1",
            "resources": resources
        })
    }

    #[tokio::test]
    async fn monitoring_apis_are_detected_from_discovery() {
        let both = resource_list(&[
            ("servicemonitors", "ServiceMonitor"),
            ("prometheusrules", "PrometheusRule"),
        ]);
        assert_eq!(
            discovery_answer(200, both).await,
            MonitoringApis {
                service_monitors: true,
                prometheus_rules: true
            }
        );
        let monitors = resource_list(&[("servicemonitors", "ServiceMonitor")]);
        assert_eq!(
            discovery_answer(200, monitors).await,
            MonitoringApis {
                service_monitors: true,
                prometheus_rules: false
            }
        );
        let rules = resource_list(&[("prometheusrules", "PrometheusRule")]);
        assert_eq!(
            discovery_answer(200, rules).await,
            MonitoringApis {
                service_monitors: false,
                prometheus_rules: true
            }
        );
        let other = resource_list(&[("podmonitors", "PodMonitor")]);
        assert_eq!(
            discovery_answer(200, other).await,
            MonitoringApis::default()
        );
        let not_found = serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
            "message": "the server could not find the requested resource", "code": 404
        });
        assert_eq!(
            discovery_answer(404, not_found).await,
            MonitoringApis::default()
        );
    }

    #[tokio::test]
    async fn http_routes_are_detected_from_discovery() {
        async fn answer(status: u16, body: serde_json::Value) -> bool {
            let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
            let server = tokio::spawn(async move {
                let mut handle = pin!(handle);
                let (request, send) = handle.next_request().await.expect("one request");
                assert_eq!(
                    request.uri().to_string(),
                    "/apis/gateway.networking.k8s.io/v1"
                );
                let response = Response::builder()
                    .status(status)
                    .body(Body::from(serde_json::to_vec(&body).expect("json")))
                    .expect("response");
                send.send_response(response);
            });
            let served = http_routes_served(&Client::new(svc, "default")).await;
            server.await.expect("server task");
            served
        }
        let list = |plural: &str, kind: &str| {
            serde_json::json!({
                "kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "gateway.networking.k8s.io/v1",
                "resources": [{"name": plural, "singularName": kind.to_lowercase(),
                    "namespaced": true, "kind": kind, "verbs": ["get", "list", "watch"]}]
            })
        };
        assert!(answer(200, list("httproutes", "HTTPRoute")).await);
        assert!(!answer(200, list("gateways", "Gateway")).await);
        let not_found = serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
            "message": "the server could not find the requested resource", "code": 404
        });
        assert!(!answer(404, not_found).await);
    }

    #[test]
    fn an_unreadable_object_names_the_field_and_the_guard_still_yields_its_metadata() {
        let raw = serde_json::json!({
            "apiVersion": "spotifymcp.dev/v1alpha1",
            "kind": "SpotifyMcp",
            "metadata": {"name": "music", "namespace": "team", "uid": "u-1", "generation": 2},
            "spec": {"sandbox": true, "replicas": "many"}
        });
        let guard: Stored = serde_json::from_value(raw.clone()).expect("the guard always decodes");
        let invalid = guard.0.as_ref().expect_err("replicas is not a number");
        assert_eq!(invalid.metadata.name.as_deref(), Some("music"));
        assert_eq!(guard.name_any(), "music");
        let described = describe_invalid(&raw).expect("invalid");
        assert!(
            described.starts_with("spec.replicas: invalid type: string \"many\""),
            "{described}"
        );

        let valid = serde_json::json!({
            "apiVersion": "spotifymcp.dev/v1alpha1",
            "kind": "SpotifyMcp",
            "metadata": {"name": "music", "namespace": "team"},
            "spec": {"sandbox": true}
        });
        assert!(describe_invalid(&valid).is_none());
        let long = serde_json::json!({
            "apiVersion": "spotifymcp.dev/v1alpha1",
            "kind": "SpotifyMcp",
            "metadata": {"name": "music"},
            "spec": {"sandbox": true, "replicas": "é".repeat(5_000)}
        });
        let text = describe_invalid(&long).expect("invalid");
        assert!(
            text.len() <= MAX_INVALID_MESSAGE + '…'.len_utf8(),
            "{}",
            text.len()
        );
    }

    #[test]
    fn status_messages_carry_the_api_message_not_the_client_dump() {
        let status = kube::core::Status::failure(
            "admission webhook denied the request: image not allowed",
            "Forbidden",
        )
        .with_code(403);
        let e = Error::Apply(ApplyError::Kube {
            kind: "Deployment".into(),
            name: "music".into(),
            source: kube::Error::Api(status.into()),
        });
        assert_eq!(
            e.summary(),
            "applying Deployment music: admission webhook denied the request: image not allowed"
        );
        assert_eq!(e.kind(), "apply");
    }
}
