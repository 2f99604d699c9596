//! The processes of a kwokctl cluster (`--runtime binary`: etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler, kwok-controller run as host processes with pid files)
//! as something a test can break: stop one, start it again with the same command line, and — as
//! the kubelet does for a real control plane's static pods — restart any that exit on their own
//! (the controller manager and the scheduler exit when they lose their leader lease during an
//! outage).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Cluster;

/// How long a component gets to exit on SIGTERM before SIGKILL (kube-apiserver drains in-flight
/// requests, and a paused client's watch never drains).
const TERM_GRACE: Duration = Duration::from_secs(10);

struct State {
    dir: PathBuf,
    /// Command line of every component, recorded while it ran.
    argv: BTreeMap<String, Vec<String>>,
    /// Components a test stopped on purpose: not restarted by the supervisor.
    stopped: BTreeSet<String>,
    /// Restarts of components that exited on their own.
    revived: Vec<String>,
    /// Components this process started, reaped when they exit.
    children: Vec<Child>,
}

/// The control plane of one cluster, with a supervisor thread while it lives.
pub struct ControlPlane {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    supervisor: Option<JoinHandle<()>>,
}

fn running(pid: &str) -> bool {
    // A component this process started and that exited is a zombie until it is reaped.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_owned();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn pid_file(&self, component: &str) -> PathBuf {
        self.dir.join("pids").join(format!("{component}.pid"))
    }

    fn pid(&self, component: &str) -> Option<String> {
        std::fs::read_to_string(self.pid_file(component))
            .ok()
            .map(|p| p.trim().to_owned())
    }

    fn is_running(&self, component: &str) -> bool {
        self.pid(component).is_some_and(|p| running(&p))
    }

    /// Starts `component` with its recorded command line, detached (`setsid`), appending to the
    /// log kwokctl gave it; writes its pid where kwokctl looks, so `kwokctl delete cluster`
    /// stops it as before.
    fn spawn(&mut self, component: &str) {
        let argv = &self.argv[component];
        let log_path = self.dir.join("logs").join(format!("{component}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap_or_else(|e| panic!("{}: {e}", log_path.display()));
        let err = log.try_clone().expect("clone log handle");
        let child = Command::new("setsid")
            .args(argv)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {component} again: {e}"));
        // setsid execs the program in place (it forks only when already a process-group leader,
        // which a freshly spawned child is not), so this pid is the component's.
        std::fs::write(self.pid_file(component), child.id().to_string())
            .expect("write the pid file");
        self.children.push(child);
    }

    /// Reaps the components this process started that have exited.
    fn reap(&mut self) {
        self.children
            .retain_mut(|child| !matches!(child.try_wait(), Ok(Some(_))));
    }
}

impl ControlPlane {
    /// Records the command line of every running component and starts the supervisor.
    pub fn of(cluster: &Cluster) -> Self {
        let dir = cluster.workdir();
        let mut argv = BTreeMap::new();
        for entry in std::fs::read_dir(dir.join("pids")).expect("the cluster's pids/") {
            let path = entry.expect("pid file").path();
            let Some(component) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".pid"))
            else {
                continue;
            };
            let pid = std::fs::read_to_string(&path).expect("pid");
            let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim()))
                .unwrap_or_else(|e| panic!("{component} is not running: {e}"));
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            argv.insert(component.to_owned(), args);
        }
        let state = Arc::new(Mutex::new(State {
            dir,
            argv,
            stopped: BTreeSet::new(),
            revived: Vec::new(),
            children: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let supervisor = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    {
                        let mut s = lock(&state);
                        s.reap();
                        let dead: Vec<String> = s
                            .argv
                            .keys()
                            .filter(|c| !s.stopped.contains(*c) && !s.is_running(c))
                            .cloned()
                            .collect();
                        for component in dead {
                            s.spawn(&component);
                            s.revived.push(component);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            })
        };
        Self {
            state,
            stop,
            supervisor: Some(supervisor),
        }
    }

    /// Stops `component` (SIGTERM, SIGKILL after a grace) and keeps it down until the returned
    /// guard is started or dropped (so a failing test never leaves it down).
    pub fn stop(&self, component: &str) -> Down<'_> {
        let pid = {
            let mut s = lock(&self.state);
            assert!(s.argv.contains_key(component), "no component {component}");
            s.stopped.insert(component.to_owned());
            s.pid(component).expect("pid file")
        };
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while running(&pid) {
            if start.elapsed() > TERM_GRACE {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
            }
            assert!(
                start.elapsed() < TERM_GRACE * 3,
                "{component} (pid {pid}) does not exit"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Down {
            plane: self,
            component: component.to_owned(),
        }
    }

    fn start(&self, component: &str) {
        let mut s = lock(&self.state);
        s.stopped.remove(component);
        if !s.is_running(component) {
            s.spawn(component);
        }
    }

    /// Components restarted because they exited on their own, in order.
    pub fn revived(&self) -> Vec<String> {
        lock(&self.state).revived.clone()
    }
}

/// A component kept down by a test.
#[must_use = "dropping it starts the component again at once"]
pub struct Down<'a> {
    plane: &'a ControlPlane,
    component: String,
}

impl Down<'_> {
    /// Starts the component again with the same command line.
    pub fn start(self) {}
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        self.plane.start(&self.component);
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.supervisor.take() {
            let _ = handle.join();
        }
    }
}
