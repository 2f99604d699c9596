//! Leader election through a coordination.k8s.io Lease (kube-lease-manager), so that only one of
//! several operator replicas reconciles at a time.

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Which Lease, and who we are.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// Lease name.
    pub name: String,
    /// Lease namespace.
    pub namespace: String,
    /// Holder identity (unique per replica, typically the pod name).
    pub identity: String,
    /// Seconds a lock is valid after its last renewal.
    pub duration_secs: u64,
    /// Seconds before expiry at which the holder renews.
    pub grace_secs: u64,
}

/// The Lease could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("leader election with Lease {namespace}/{name}: {source}")]
pub struct LeaderError {
    name: String,
    namespace: String,
    #[source]
    source: LeaseManagerError,
}

/// Held leadership. Dropping it without [`Leadership::release`] lets the Lease expire.
pub struct Leadership {
    state: watch::Receiver<bool>,
    task: JoinHandle<Result<LeaseManager, LeaseManagerError>>,
}

/// Waits until this replica holds the Lease; `None` if `cancel` fires first.
pub async fn acquire(
    client: Client,
    settings: &LeaseSettings,
    cancel: &CancellationToken,
) -> Result<Option<Leadership>, LeaderError> {
    let err = |source| LeaderError {
        name: settings.name.clone(),
        namespace: settings.namespace.clone(),
        source,
    };
    let manager = LeaseManagerBuilder::new(client, &settings.name)
        .with_namespace(&settings.namespace)
        .with_identity(&settings.identity)
        .with_duration(settings.duration_secs)
        .with_grace(settings.grace_secs)
        .build()
        .await
        .map_err(err)?;
    let (mut state, task) = manager.watch().await;
    info!(lease = %settings.name, identity = %settings.identity, "waiting for the leader Lease");
    loop {
        if *state.borrow_and_update() {
            info!(lease = %settings.name, identity = %settings.identity, "acquired the leader Lease");
            return Ok(Some(Leadership { state, task }));
        }
        tokio::select! {
            changed = state.changed() => {
                if changed.is_err() {
                    // The manager task ended; surface its error.
                    return match task.await {
                        Ok(Err(e)) => Err(err(e)),
                        _ => Ok(None),
                    };
                }
            }
            () = cancel.cancelled() => {
                drop(state);
                let _ = task.await;
                return Ok(None);
            }
        }
    }
}

impl Leadership {
    /// Resolves when the Lease is lost (another replica took it, or renewing failed for too long).
    pub async fn lost(&mut self) {
        loop {
            if !*self.state.borrow_and_update() {
                return;
            }
            if self.state.changed().await.is_err() {
                return;
            }
        }
    }

    /// Releases the Lease so a standby replica takes over at once.
    pub async fn release(self) {
        drop(self.state);
        match self.task.await {
            Ok(Ok(_)) => info!("released the leader Lease"),
            Ok(Err(e)) => {
                warn!(error = %e, "releasing the leader Lease failed; it expires on its own")
            }
            Err(e) => warn!(error = %e, "lease task failed"),
        }
    }
}
