//! Harness for the end-to-end tests: a real control plane (kwokctl --runtime binary, built by
//! scripts/k8s-toolchain.sh), kubectl, and the operator binary running as a host process.
//!
//! Nothing is skipped: a missing toolchain or cluster fails the test with the command to fix it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod control_plane;

/// Version of the prometheus-operator Go module whose CRDs (ServiceMonitor, PrometheusRule) the
/// tests install.
pub const PROMETHEUS_OPERATOR_VERSION: &str = "v0.85.0";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("operator/ has a parent")
        .to_path_buf()
}

/// The shared cluster: toolchain bin dir and kubeconfig.
pub struct Cluster {
    pub bin: PathBuf,
    pub kubeconfig: PathBuf,
}

fn run_script(script: &str, args: &[&str]) -> Result<String, String> {
    let path = repo_root().join("scripts").join(script);
    let out = Command::new("bash")
        .arg(&path)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed ({}):\n{}",
            path.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The cluster, created on first use (idempotent script); panics with instructions if the
/// control-plane toolchain has not been built.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::create("spotify-mcp-test"))
}

/// A second cluster for the tests that stop and restart the control plane (tests/faults.rs), so
/// they never disturb the shared one. Deleted by scripts/test.sh when the suite ends.
pub const FAULTS_CLUSTER: &str = "spotify-mcp-faults";

/// The faults cluster, created afresh for each run of the test binary (a fault of an earlier
/// run must not leak into this one), and its control plane with a supervisor.
pub fn faults_cluster() -> (&'static Cluster, &'static control_plane::ControlPlane) {
    static CLUSTER: OnceLock<(Cluster, control_plane::ControlPlane)> = OnceLock::new();
    let (cluster, plane) = CLUSTER.get_or_init(|| {
        if let Err(e) = run_script("k8s-cluster.sh", &["delete", FAULTS_CLUSTER]) {
            panic!("cannot delete the previous faults cluster:\n{e}");
        }
        let cluster = Cluster::create(FAULTS_CLUSTER);
        let plane = control_plane::ControlPlane::of(&cluster);
        (cluster, plane)
    });
    (cluster, plane)
}

impl Cluster {
    fn create(name: &str) -> Self {
        let bin = match run_script("k8s-toolchain.sh", &["--check"]) {
            Ok(bin) => PathBuf::from(bin),
            Err(e) => panic!(
                "the Kubernetes test toolchain is missing. Build it first (cached afterwards):\n  \
                 scripts/k8s-toolchain.sh\n{e}"
            ),
        };
        let kubeconfig = match run_script("k8s-cluster.sh", &["create", name]) {
            Ok(path) => PathBuf::from(path),
            Err(e) => panic!("cannot start the test cluster {name}:\n{e}"),
        };
        let cluster = Cluster { bin, kubeconfig };
        cluster.install_crd();
        cluster
    }

    /// Applies the SpotifyMcp CRD of this tree and waits until it is served.
    pub fn install_crd(&self) {
        let crd = repo_root().join("crds/spotifymcp.dev_spotifymcps.yaml");
        self.kubectl_ok(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            &crd.to_string_lossy(),
        ]);
        // Right after the apply the CRD may have no status yet, which `kubectl wait` reports as an
        // error instead of waiting.
        wait_for(
            "the SpotifyMcp CRD Established",
            Duration::from_secs(60),
            || {
                self.kubectl(&[
                    "wait",
                    "--for=condition=Established",
                    "--timeout=10s",
                    "crd/spotifymcps.spotifymcp.dev",
                ])
                .status
                .success()
                .then_some(())
            },
        );
    }

    /// kwokctl's directory of this cluster (pids/, logs/, etcd/).
    pub fn workdir(&self) -> PathBuf {
        self.kubeconfig
            .parent()
            .expect("the kubeconfig lives in the cluster's directory")
            .to_path_buf()
    }

    /// Whether the API server answers /readyz.
    pub fn api_ready(&self) -> bool {
        self.kubectl(&["--request-timeout=3s", "get", "--raw", "/readyz"])
            .status
            .success()
    }
}

/// Tests that install or remove the (cluster-scoped) ServiceMonitor or PrometheusRule CRD hold this
/// lock.
pub fn service_monitor_crd_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cluster {
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None)
    }

    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(self.bin.join("kubectl"));
        cmd.env("KUBECONFIG", &self.kubeconfig)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .expect("write kubectl stdin");
        }
        child.wait_with_output().expect("kubectl finishes")
    }

    /// kubectl that must succeed; returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get -o json`, or None when not found.
    pub fn get(&self, ns: &str, what: &str) -> Option<Value> {
        let out = self.kubectl(&["-n", ns, "get", what, "-o", "json", "--ignore-not-found"]);
        assert!(
            out.status.success(),
            "kubectl get {what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(serde_json::from_slice(&out.stdout).expect("kubectl prints JSON"))
    }

    pub fn list(&self, ns: &str, what: &str, selector: &str) -> Vec<Value> {
        let out = self.kubectl_ok(&["-n", ns, "get", what, "-l", selector, "-o", "json"]);
        let v: Value = serde_json::from_str(&out).expect("kubectl prints JSON");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// A fresh namespace for one test; deleted (without waiting) when the guard drops.
    pub fn namespace(&'static self, prefix: &str) -> Namespace {
        let name = format!("{prefix}-{}-{}", std::process::id(), unique());
        self.kubectl_ok(&["create", "namespace", &name]);
        // Pods need the namespace's default ServiceAccount, created asynchronously.
        wait_for(
            &format!("ServiceAccount default in {name}"),
            Duration::from_secs(30),
            || self.get(&name, "serviceaccount/default").map(|_| ()),
        );
        Namespace {
            cluster: self,
            name,
        }
    }

    pub fn apply_file(&self, ns: &str, file: &Path) {
        self.kubectl_ok(&["-n", ns, "apply", "-f", &file.to_string_lossy()]);
    }

    pub fn patch(&self, ns: &str, what: &str, patch: &Value) {
        self.kubectl_ok(&[
            "-n",
            ns,
            "patch",
            what,
            "--type=merge",
            "-p",
            &patch.to_string(),
        ]);
    }

    /// Installs the real ServiceMonitor CRD from the prometheus-operator Go module.
    pub fn install_service_monitor_crd(&self) {
        self.install_prometheus_operator_crd("servicemonitors");
    }

    pub fn remove_service_monitor_crd(&self) {
        self.remove_prometheus_operator_crd("servicemonitors");
    }

    /// Installs the real PrometheusRule CRD from the prometheus-operator Go module.
    pub fn install_prometheus_rule_crd(&self) {
        self.install_prometheus_operator_crd("prometheusrules");
    }

    pub fn remove_prometheus_rule_crd(&self) {
        self.remove_prometheus_operator_crd("prometheusrules");
    }

    fn install_prometheus_operator_crd(&self, plural: &str) {
        let file = prometheus_operator_crd_file(plural);
        self.kubectl_ok(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            &file.to_string_lossy(),
        ]);
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            &format!("crd/{plural}.monitoring.coreos.com"),
        ]);
    }

    fn remove_prometheus_operator_crd(&self, plural: &str) {
        self.kubectl_ok(&[
            "delete",
            "crd",
            &format!("{plural}.monitoring.coreos.com"),
            "--ignore-not-found",
            "--wait=true",
            "--timeout=60s",
        ]);
    }
}

/// Tests that install or remove the (cluster-scoped) HTTPRoute CRD hold this lock.
pub fn http_route_crd_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cluster {
    /// Installs a stand-in for the Gateway API's HTTPRoute CRD: the real group, version, kind and
    /// names, with an open schema (the real CRD is not available offline; the operator only needs
    /// the API to be served).
    pub fn install_http_route_crd(&self) {
        let crd = serde_json::json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {
                "name": "httproutes.gateway.networking.k8s.io",
                // *.k8s.io groups are protected: the API server wants an approval URL, or an
                // explicit "unapproved".
                "annotations": {"api-approved.kubernetes.io": "unapproved, a test stand-in for the Gateway API CRD"}
            },
            "spec": {
                "group": "gateway.networking.k8s.io",
                "scope": "Namespaced",
                "names": {"plural": "httproutes", "singular": "httproute", "kind": "HTTPRoute",
                          "listKind": "HTTPRouteList"},
                "versions": [{
                    "name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }}}
                }]
            }
        });
        let out = self.kubectl_stdin(
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            Some(&crd.to_string()),
        );
        assert!(
            out.status.success(),
            "applying the HTTPRoute CRD failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "crd/httproutes.gateway.networking.k8s.io",
        ]);
    }

    pub fn remove_http_route_crd(&self) {
        self.kubectl_ok(&[
            "delete",
            "crd",
            "httproutes.gateway.networking.k8s.io",
            "--ignore-not-found",
            "--wait=true",
            "--timeout=60s",
        ]);
    }
}

fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// `example/prometheus-operator-crd/monitoring.coreos.com_<plural>.yaml` of the prometheus-operator
/// module (downloaded on first use by `go mod download`; never committed here).
pub fn prometheus_operator_crd_file(plural: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let module = format!(
            "github.com/prometheus-operator/prometheus-operator@{PROMETHEUS_OPERATOR_VERSION}"
        );
        let out = Command::new("go")
            .args(["mod", "download", "-json", &module])
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap_or_else(|e| {
                panic!("`go` is needed to fetch the Prometheus Operator CRDs ({module}): {e}")
            });
        assert!(
            out.status.success(),
            "go mod download {module} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let info: Value = serde_json::from_slice(&out.stdout).expect("go mod download prints JSON");
        PathBuf::from(info["Dir"].as_str().expect("module Dir"))
    });
    let file = dir.join(format!(
        "example/prometheus-operator-crd/monitoring.coreos.com_{plural}.yaml"
    ));
    assert!(
        file.exists(),
        "{} is missing from the module",
        file.display()
    );
    file
}

pub struct Namespace {
    cluster: &'static Cluster,
    pub name: String,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self
            .cluster
            .kubectl(&["delete", "namespace", &self.name, "--wait=false"]);
    }
}

/// Polls `probe` until it returns Some, or panics after `timeout` naming what it waited for.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The operator binary as a host process, scoped to one namespace.
pub struct Operator {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

impl Operator {
    pub fn start(cluster: &Cluster, ns: &str, extra: &[&str]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("spotify-mcp-operator-{ns}-{port}.log"));
        let file = std::fs::File::create(&log).expect("create operator log");
        let err = file.try_clone().expect("clone log handle");
        let child = Command::new(env!("CARGO_BIN_EXE_spotify-mcp-operator"))
            .arg("run")
            .args(["--namespace", ns, "--bind", &format!("127.0.0.1:{port}")])
            .args([
                "--discovery-interval",
                "1s",
                "--resync",
                "2s",
                "--max-backoff",
                "5s",
            ])
            .args([
                "--default-image",
                "ghcr.io/spotify-mcp/spotify-mcp-server:e2e",
            ])
            .args(["--log", "spotify_mcp_operator=debug,info"])
            // kwok's pods have made-up addresses that are not on this machine: never connect.
            .args(["--probe-servers", "false"])
            .args(extra)
            .env("KUBECONFIG", &cluster.kubeconfig)
            .stdout(file)
            .stderr(err)
            .spawn()
            .expect("start spotify-mcp-operator");
        let op = Self {
            child: Some(child),
            port,
            log,
        };
        wait_for("the operator's /readyz", Duration::from_secs(30), || {
            (op.http_get("/readyz").map(|(s, _)| s) == Some(200)).then_some(())
        });
        op
    }

    /// A tiny HTTP/1.0 GET: (status, body).
    pub fn http_get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Some((status, body))
    }

    /// Sum of a counter's samples in /metrics.
    pub fn metric_sum(&self, name: &str) -> f64 {
        let (_, body) = self.http_get("/metrics").expect("operator serves /metrics");
        body.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then wait; returns whether it exited successfully within `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGSTOP / SIGCONT: a process that stops reading (a long GC pause, a frozen node) while
    /// its connections stay open.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the operator runs");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal}");
    }

    /// One sample of a metric with exactly these labels (`name{a="b"}`), 0 if absent.
    pub fn metric(&self, series: &str) -> f64 {
        let (_, body) = self.http_get("/metrics").expect("operator serves /metrics");
        body.lines()
            .filter(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// SIGKILL: an abrupt crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
        // A passing test leaves nothing in the temp dir; a failing one keeps the log its
        // message names.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A SpotifyMcp in sandbox mode named `name`, as a JSON manifest for `kubectl apply -f -`.
pub fn sandbox_cr(name: &str) -> String {
    serde_json::json!({
        "apiVersion": "spotifymcp.dev/v1alpha1",
        "kind": "SpotifyMcp",
        "metadata": {"name": name},
        "spec": {"sandbox": true}
    })
    .to_string()
}

/// Reads a JSON path like `status.readyReplicas`.
pub fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

pub fn condition<'a>(smcp: &'a Value, type_: &str) -> Option<&'a Value> {
    smcp["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

pub fn resource_version(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
