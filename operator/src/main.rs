//! `spotify-mcp-operator`: `run` reconciles SpotifyMcp objects; `crd` prints the CRD.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::serve::ListenerExt;
use clap::{Args, Parser, Subcommand};
use spotify_mcp_operator::controller::{self, Settings};
use spotify_mcp_operator::http::{self, Health};
use spotify_mcp_operator::leader::{self, LeaseSettings};
use spotify_mcp_operator::metrics::Metrics;
use spotify_mcp_operator::resources::BuildParams;
use spotify_mcp_operator::telemetry::{self, LogFormat};
use spotify_mcp_operator::{config, crd};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

#[derive(Parser)]
#[command(
    name = "spotify-mcp-operator",
    version,
    about = "Kubernetes operator for spotify-mcp servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reconcile SpotifyMcp objects (uses in-cluster config or $KUBECONFIG).
    Run(Box<RunArgs>),
    /// Print the SpotifyMcp CustomResourceDefinition as YAML (kubectl apply -f -).
    Crd,
}

#[derive(Args)]
struct RunArgs {
    /// Server image for SpotifyMcps without spec.image.
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_DEFAULT_IMAGE", default_value_t = config::default_server_image())]
    default_image: String,
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_NAMESPACE")]
    namespace: Option<String>,
    /// Cluster DNS domain, for the allowed host names of the servers.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OPERATOR_CLUSTER_DOMAIN",
        default_value = "cluster.local"
    )]
    cluster_domain: String,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OPERATOR_BIND",
        default_value = "0.0.0.0:8080"
    )]
    bind: SocketAddr,
    /// Objects reconciled at the same time.
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_CONCURRENCY", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Reconcile every object again after this long (e.g. 5m).
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_RESYNC", default_value = "5m", value_parser = humantime::parse_duration)]
    resync: Duration,
    /// How often to check whether the ServiceMonitor CRD was installed or removed.
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_DISCOVERY_INTERVAL", default_value = "30s", value_parser = humantime::parse_duration)]
    discovery_interval: Duration,
    /// Longest retry delay of a failing object (retries start at 500ms and double).
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_MAX_BACKOFF", default_value = "5m", value_parser = humantime::parse_duration)]
    max_backoff: Duration,
    /// Only reconcile while holding a Lease (run with more than one replica).
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_LEADER_ELECTION")]
    leader_election: bool,
    /// Name of the leader Lease.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OPERATOR_LEASE_NAME",
        default_value = "spotify-mcp-operator"
    )]
    lease_name: String,
    /// Namespace of the leader Lease (in a pod: its own namespace via the downward API).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// Namespace of the operator's own pods (in a pod: via the downward API): the NetworkPolicies
    /// it writes admit its pods there, so it can read the servers' /status. Unset outside a pod.
    #[arg(long, env = "POD_NAMESPACE")]
    operator_namespace: Option<String>,
    /// Ask each ready server pod about Spotify (GET <pod IP>:8000/status, 2 s timeout) for the
    /// SpotifyReachable condition; needs a network path from the operator to the pods.
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_PROBE_SERVERS", default_value_t = true,
          action = clap::ArgAction::Set)]
    probe_servers: bool,
    /// This replica's identity in the Lease and in Events (default: host name and process id).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Seconds a Lease stays valid without renewal.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OPERATOR_LEASE_DURATION",
        default_value_t = 15
    )]
    lease_duration: u64,
    /// Log format.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OPERATOR_LOG_FORMAT",
        value_enum,
        default_value = "json"
    )]
    log_format: LogFormat,
    /// Log filter (tracing directives), e.g. info or spotify_mcp_operator=debug,info.
    #[arg(long, env = "SPOTIFY_MCP_OPERATOR_LOG", default_value = "info")]
    log: String,
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Telemetry(#[from] telemetry::TelemetryError),
    #[error(transparent)]
    Metrics(#[from] spotify_mcp_operator::metrics::MetricsError),
    #[error("cannot configure the Kubernetes client (in-cluster config or $KUBECONFIG): {0}")]
    Client(#[source] kube::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Leader(#[from] leader::LeaderError),
    #[error("lost the leader Lease; exiting so that this replica restarts as a standby")]
    LostLeadership,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => match crd::yaml::to_yaml(&crd::crd()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Run(args) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(run(*args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    error!(error = %e, "operator stopped");
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(args: RunArgs) -> Result<(), RunError> {
    telemetry::init(args.log_format, &args.log)?;
    let metrics = Metrics::new()?;
    let client = kube::Client::try_default()
        .await
        .map_err(RunError::Client)?;
    // Host name plus pid: unique per process even for several replicas on one host (in a pod the
    // host name is the pod name).
    let identity = args.identity.clone().unwrap_or_else(|| {
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "spotify-mcp-operator".to_owned());
        format!("{host}-{}", std::process::id())
    });

    let cancel = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(cancel.clone()));

    let health = Health::default();
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|source| RunError::Bind {
            addr: args.bind,
            source,
        })?;
    info!(addr = %args.bind, "serving /metrics, /healthz and /readyz");
    let router = http::router(metrics.clone(), health.clone());
    let http_cancel = cancel.clone();
    let http_task = tokio::spawn(async move {
        // TCP_NODELAY: no answer waits ~40 ms for a delayed ACK on a keep-alive connection.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { http_cancel.cancelled().await })
            .await;
        if let Err(e) = served {
            error!(error = %e, "HTTP server failed");
        }
    });

    let settings = Settings {
        params: BuildParams {
            default_image: args.default_image.clone(),
            cluster_domain: args.cluster_domain.clone(),
            operator_namespace: args.operator_namespace.clone(),
        },
        namespace: args.namespace.clone(),
        concurrency: args.concurrency,
        resync: args.resync,
        discovery_interval: args.discovery_interval,
        backoff_max: args.max_backoff,
        instance: Some(identity.clone()),
        probe_servers: args.probe_servers,
        ..Settings::default()
    };

    let mut outcome = Ok(());
    if args.leader_election {
        health.standby.store(true, Ordering::SeqCst);
        let lease = LeaseSettings {
            name: args.lease_name.clone(),
            namespace: args.lease_namespace.clone(),
            identity,
            duration_secs: args.lease_duration,
            grace_secs: (args.lease_duration / 3).max(1),
        };
        if let Some(mut leadership) = leader::acquire(client.clone(), &lease, &cancel).await? {
            health.standby.store(false, Ordering::SeqCst);
            metrics.leader.set(1);
            let stop = cancel.clone();
            let controller = controller::run(
                client,
                settings,
                metrics.clone(),
                health.synced.clone(),
                stopped(stop.clone()),
            );
            tokio::pin!(controller);
            tokio::select! {
                () = &mut controller => {}
                () = leadership.lost() => {
                    outcome = Err(RunError::LostLeadership);
                    stop.cancel();
                    controller.await;
                }
            }
            metrics.leader.set(0);
            leadership.release().await;
        }
    } else {
        metrics.leader.set(1);
        controller::run(
            client,
            settings,
            metrics.clone(),
            health.synced.clone(),
            stopped(cancel.clone()),
        )
        .await;
    }
    cancel.cancel();
    if let Err(e) = http_task.await {
        error!(error = %e, "HTTP task failed");
    }
    info!("operator stopped");
    outcome
}

/// A `Send + Sync` future that resolves when `cancel` fires (the controller's shutdown trigger).
fn stopped(
    cancel: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + Sync + 'static {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        cancel.cancelled().await;
        let _ = tx.send(());
    });
    async move {
        let _ = rx.await;
    }
}

async fn shutdown_on_signal(cancel: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => info!("SIGINT received; shutting down"),
                    _ = term.recv() => info!("SIGTERM received; shutting down"),
                }
            }
            Err(e) => {
                error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the operator");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    cancel.cancel();
}
