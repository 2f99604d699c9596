#!/usr/bin/env bash
# A Kubernetes cluster whose pods really run: the kwok control plane of scripts/k8s-cluster.sh
# (etcd, kube-apiserver, controller-manager, scheduler as host processes) plus ONE REAL NODE —
# kubelet, containerd (Debian), runc and a CNI bridge — with kube-proxy (nftables mode) for
# Service IPs and CoreDNS for Service names. One kwok fake node stays beside it (tainted, so real
# workloads never land there) to show that kwok leaves the real node alone.
#
#   scripts/real-cluster.sh up                 bring it all up (or reuse a healthy one); prints the kubeconfig path
#   scripts/real-cluster.sh import TAR...      import OCI archives into the real node's containerd
#   scripts/real-cluster.sh down               stop everything and undo every host change
#   scripts/real-cluster.sh host-state         print the host state `down` restores (for before/after checks)
#
# Addresses: only the benchmarking range 198.18.0.0/15. Pods 198.18.0.0/24 on bridge smcp0
# (the node's own address is 198.18.0.1), Services 198.19.0.0/16 (kube-dns at 198.19.0.10). Pods have
# routes to those two ranges only, CoreDNS answers cluster names and NXDOMAIN for everything else.
#
# Host changes (all undone by `down`, also after a failed `up`): the bridge, sysctl
# net.ipv4.ip_forward, the nft table kube-proxy creates, the iptables chains kubelet creates,
# cgroups under */kubepods, mounts under the state directory, /run/containerd, /var/lib/kubelet,
# /var/log/containers, /var/lib/cni/results entries. One real node per machine: a lock serialises
# up/down and `up` refuses while another checkout's node runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
NAME="${SPOTIFY_MCP_REAL_CLUSTER:-spotify-mcp-real}"
NODE=spotify-mcp-node
BRIDGE=smcp0 NODE_IP=198.18.0.1 POD_CIDR=198.18.0.0/24 SERVICE_CIDR=198.19.0.0/16
API_SERVICE_IP=198.19.0.1 DNS_IP=198.19.0.10
W="$CACHE_ROOT/real-node"          # state of the node: configs, pid files, logs, containerd/kubelet roots
S="$W/run"
SOCK="$W/containerd/containerd.sock"
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SYSCTLS="net/ipv4/ip_forward vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes"
export KWOK_WORKDIR="$CACHE_ROOT/kwok-real"
CLUSTER_DIR="$KWOK_WORKDIR/clusters/$NAME"
KUBECONFIG_PATH="$CLUSTER_DIR/kubeconfig.yaml"

log() { printf '[real-cluster %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

tools() {
  K8S_BIN=$("$ROOT/scripts/k8s-toolchain.sh")
  eval "$("$ROOT/scripts/node-toolchain.sh")"
  export PATH="$K8S_BIN:$PATH"
}
k() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" --request-timeout=15s "$@"; }
ctr() { "$SPOTIFY_MCP_CONTAINERD_BIN/ctr" --address "$SOCK" -n k8s.io "$@"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop_pid() { # <pidfile> [seconds]: TERM, wait, then KILL
  local f=$1 wait=${2:-15} p
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 $((wait * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}
# The lock is fd 9: every daemon started under it gets `9>&-`, or it would hold the lock for life.
lock() {
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/real-node.lock"
  flock -w 300 9 || die "another real-cluster.sh has held $CACHE_ROOT/real-node.lock for 5 minutes"
}

# What `down` must leave as `up` found it. Compared by the test runner before and after.
host_state() {
  local s
  for s in $SYSCTLS; do echo "sysctl $s=$(cat "/proc/sys/$s")"; done
  ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//' | sort
  ip route show | sed 's/^/route /' | sort
  nft list tables 2>/dev/null | sed 's/^/nft /' | sort
  for t in filter nat mangle; do iptables-save -t "$t" 2>/dev/null | grep '^[:-]' | sed 's/\[[0-9:]*\]//' | sed "s/^/iptables $t /"; done | sort
  awk '{print "mount " $2}' /proc/mounts | grep -E 'kubelet|containerd|real-node|/run/netns' | sort || true
  for p in /run/containerd /var/lib/kubelet /var/log/containers /var/lib/cni; do [ -e "$p" ] && echo "path $p"; done
  find /sys/fs/cgroup -maxdepth 2 -name kubepods 2>/dev/null | sed 's/^/cgroup /' | sort
  return 0
}

kwokctl_config() {
  cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  kubeApiserverCertSANs: [$NODE_IP, $API_SERVICE_IP, kubernetes, kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local]
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - {key: service-cluster-ip-range, value: $SERVICE_CIDR}
      # The "kubernetes" Service's endpoint, reached from pods through kube-proxy.
      - {key: advertise-address, value: $NODE_IP}
      # logs/exec/port-forward reach the kubelet by its InternalIP, never by resolving the node name.
      - {key: kubelet-preferred-address-types, value: InternalIP}
  - name: kwok-controller
    extraArgs:
      # kwok fakes only the nodes kwokctl scale made (annotated); kubelet owns the real node and its pods.
      - {key: manage-all-nodes, value: "false"}
      - {key: manage-nodes-with-annotation-selector, value: kwok.x-k8s.io/node=fake}
EOF
}

node_cert() { # <name> <CN> <O>: a client certificate signed by the cluster CA
  local name=$1 cn=$2 o=$3 d="$W/pki"
  mkdir -p "$d"
  if [ -f "$d/$name.crt" ] && openssl verify -CAfile "$CLUSTER_DIR/pki/ca.crt" "$d/$name.crt" >/dev/null 2>&1; then return; fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$name.key" \
    -subj "/O=$o/CN=$cn" -out "$d/$name.csr" 2>/dev/null
  openssl x509 -req -in "$d/$name.csr" -CA "$CLUSTER_DIR/pki/ca.crt" -CAkey "$CLUSTER_DIR/pki/ca.key" \
    -CAcreateserial -CAserial "$d/ca.srl" -days 2 -out "$d/$name.crt" \
    -extfile <(printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment') 2>/dev/null
}
kubeconfig_for() { # <name>: a kubeconfig with the client certificate <name>
  local server
  server=$(awk '/server:/{print $2; exit}' "$KUBECONFIG_PATH")
  cat >"$S/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {certificate-authority: $CLUSTER_DIR/pki/ca.crt, server: "$server"}}]
users: [{name: u, user: {client-certificate: $W/pki/$1.crt, client-key: $W/pki/$1.key}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
EOF
}

healthy() {
  [ -f "$KUBECONFIG_PATH" ] && alive "$S/kubelet.pid" && alive "$S/containerd.pid" && alive "$S/kube-proxy.pid" &&
    [ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

up() {
  local t0 t server port
  t0=$(now)
  tools
  if healthy; then
    log "cluster $NAME with real node $NODE is running"
    echo "$KUBECONFIG_PATH"
    return
  fi
  if [ -f "$S/kubelet.pid" ] || ip link show "$BRIDGE" >/dev/null 2>&1 || [ -d "$CLUSTER_DIR" ]; then
    log "a previous real cluster was left behind; tearing it down first"
    down_locked
  fi
  mkdir -p "$W/baseline" "$S" "$W/cni/net.d" "$W/containerd" "$W/kubelet/root" "$W/kubelet/pod-logs"
  # --- what down restores
  local s
  for s in $SYSCTLS; do echo "$s=$(cat "/proc/sys/$s")"; done >"$W/baseline/sysctl.txt"
  for p in /run/containerd /var/log/containers /var/lib/kubelet /var/lib/cni; do
    [ -e "$p" ] && echo "$p"
  done >"$W/baseline/paths.txt" || true
  iptables-save >"$W/baseline/iptables.txt" 2>/dev/null || true
  ip6tables-save >"$W/baseline/ip6tables.txt" 2>/dev/null || true
  nft list tables >"$W/baseline/nft-tables.txt" 2>/dev/null || true

  # --- network first: the apiserver advertises the bridge address
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The host reaches Service IPs over the bridge too, so no packet for them ever takes the default route.
  ip route add "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  # Routed (not bridged) pod -> Service traffic: kube-proxy's DNAT happens on the host.
  echo 1 >/proc/sys/net/ipv4/ip_forward

  # --- control plane
  t=$(now)
  kwokctl_config >"$W/kwokctl.yaml"
  kwokctl create cluster --name "$NAME" --runtime binary --config "$W/kwokctl.yaml" \
    --etcd-binary "$K8S_BIN/etcd" --kube-apiserver-binary "$K8S_BIN/kube-apiserver" \
    --kube-controller-manager-binary "$K8S_BIN/kube-controller-manager" \
    --kube-scheduler-binary "$K8S_BIN/kube-scheduler" --kwok-controller-binary "$K8S_BIN/kwok" \
    --kubeconfig "$CLUSTER_DIR/kwokctl-kubeconfig.yaml" --wait 120s >"$S/kwokctl-create.log" 2>&1 9>&- ||
    { cat "$S/kwokctl-create.log" >&2; die "kwokctl create cluster"; }
  kwokctl scale node --name "$NAME" --replicas 1 >>"$S/kwokctl-create.log" 2>&1 9>&- ||
    { cat "$S/kwokctl-create.log" >&2; die "kwokctl scale node"; }
  log "control plane up in $(since "$t") s"

  # --- CNI: a bridge with host-local addresses; pods route only to the pod and Service ranges
  cat >"$W/cni/net.d/10-smcp.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "smcp",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$W/cni/ipam",
                "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
                "routes": [{ "dst": "$SERVICE_CIDR", "gw": "$NODE_IP" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # --- containerd (config version 2, as Debian's 1.6/1.7 read it)
  cat >"$S/containerd.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SPOTIFY_MCP_PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # This machine lacks CAP_SYS_RESOURCE: no process may lower oom_score_adj below its own, and the
  # pause container would ask for -998 (runc: "can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$W/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
    max_conf_num = 1
EOF
  t=$(now)
  PATH="$SPOTIFY_MCP_CONTAINERD_BIN:$SYS_PATH" nohup "$SPOTIFY_MCP_CONTAINERD_BIN/containerd" --config "$S/containerd.toml" \
    >>"$S/containerd.log" 2>&1 9>&- &
  echo $! >"$S/containerd.pid"
  for _ in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
  ctr version >/dev/null 2>&1 || die "containerd did not start (log: $S/containerd.log)"
  ctr images import "$SPOTIFY_MCP_NODE_IMAGES/pause.tar" >/dev/null
  ctr images import "$SPOTIFY_MCP_NODE_IMAGES/coredns.tar" >/dev/null
  log "containerd up, node images imported in $(since "$t") s"

  # --- kubelet
  node_cert kubelet "system:node:$NODE" system:nodes
  kubeconfig_for kubelet
  cat >"$S/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false             # this host has a hybrid cgroup v1 layout
cgroupDriver: cgroupfs          # no systemd here
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
address: $NODE_IP               # the kubelet API listens on the bridge address only
port: 20250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 20248
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: /dev/null           # pods ask CoreDNS only, never the host's resolvers
authentication:
  anonymous: {enabled: true}    # the kwokctl apiserver has no kubelet client certificate
  webhook: {enabled: false}
  x509: {clientCAFile: $CLUSTER_DIR/pki/ca.crt}
authorization: {mode: AlwaysAllow}
podLogsDir: $W/kubelet/pod-logs
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 40
nodeStatusReportFrequency: 10s
syncFrequency: 10s
fileCheckFrequency: 20s
EOF
  t=$(now)
  PATH="$SYS_PATH" nohup "$K8S_BIN/kubelet" --config="$S/kubelet.yaml" --kubeconfig="$S/kubelet.kubeconfig" \
    --root-dir="$W/kubelet/root" --cert-dir="$W/pki" --hostname-override="$NODE" --node-ip="$NODE_IP" \
    --node-labels=spotifymcp.dev/real-node=true --v=1 >>"$S/kubelet.log" 2>&1 9>&- &
  echo $! >"$S/kubelet.pid"
  local ready=""
  for _ in $(seq 1 600); do
    alive "$S/kubelet.pid" || die "kubelet exited (log: $S/kubelet.log)"
    ready=$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$ready" = True ] && break
    sleep 0.1
  done
  [ "$ready" = True ] || die "node $NODE not Ready within 60 s (log: $S/kubelet.log)"
  log "node $NODE Ready $(since "$t") s after kubelet started"
  # Real workloads land on the real node: the fake node takes only what tolerates it.
  k taint nodes -l type=kwok kwok.x-k8s.io/node=fake:NoSchedule --overwrite >/dev/null

  # --- kube-proxy (nftables mode, a table of its own; Service IPs reachable from pods and the host)
  node_cert kube-proxy system:kube-proxy system:node-proxier
  kubeconfig_for kube-proxy
  cat >"$S/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection: {kubeconfig: $S/kube-proxy.kubeconfig}
hostnameOverride: $NODE
bindAddress: $NODE_IP
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:20256
metricsBindAddress: 127.0.0.1:20249
nodePortAddresses: ["$NODE_IP/32"]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
nftables: {masqueradeAll: true, syncPeriod: 30s, minSyncPeriod: 0s}
EOF
  PATH="$SYS_PATH" nohup "$K8S_BIN/kube-proxy" --config="$S/kube-proxy.yaml" --v=1 >>"$S/kube-proxy.log" 2>&1 9>&- &
  echo $! >"$S/kube-proxy.pid"
  for _ in $(seq 1 100); do
    alive "$S/kube-proxy.pid" || die "kube-proxy exited (log: $S/kube-proxy.log)"
    python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:20256/healthz", timeout=1)' 2>/dev/null && break
    sleep 0.2
  done

  # --- CoreDNS
  t=$(now)
  sed -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@IMAGE@|$SPOTIFY_MCP_COREDNS_IMAGE|g" "$ROOT/scripts/real-cluster/coredns.yaml" |
    k apply -f - >/dev/null
  k -n kube-system rollout status deployment/coredns --timeout=90s >/dev/null ||
    { k -n kube-system describe pods -l k8s-app=kube-dns >&2 || true; die "CoreDNS did not become ready"; }
  log "CoreDNS ready in $(since "$t") s"
  log "cluster $NAME with real node $NODE up in $(since "$t0") s"
  echo "$KUBECONFIG_PATH"
}

import_images() {
  tools
  alive "$S/containerd.pid" || die "the real node is not up (scripts/real-cluster.sh up)"
  local tar t
  for tar in "$@"; do
    t=$(now)
    ctr images import "$tar" >/dev/null || die "ctr images import $tar"
    log "imported $(basename "$tar") in $(since "$t") s"
  done
}

down_locked() {
  local t0
  t0=$(now)
  # 1. drain through the API, so that kubelet tears down sandboxes, networks and volumes itself
  if alive "$S/kubelet.pid" && [ -f "$KUBECONFIG_PATH" ] && k get node "$NODE" >/dev/null 2>&1; then
    k cordon "$NODE" >/dev/null 2>&1 || true
    k delete pods -A --field-selector "spec.nodeName=$NODE" --grace-period=3 --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      [ -z "$(k get pods -A --field-selector "spec.nodeName=$NODE" -o name 2>/dev/null)" ] && break
      sleep 0.5
    done
    for _ in $(seq 1 40); do
      [ -z "$(ip -o link show master "$BRIDGE" 2>/dev/null)" ] && break
      sleep 0.25
    done
  fi
  stop_pid "$S/kubelet.pid"
  stop_pid "$S/kube-proxy.pid"
  # kube-proxy's own clean-up removes its nft table (and any iptables/ipvs rules of other modes)
  if [ -n "${K8S_BIN:-}" ] && [ -x "$K8S_BIN/kube-proxy" ]; then
    PATH="$SYS_PATH" "$K8S_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  fi
  # 2. whatever still runs: tasks, containerd, the shims it left
  if alive "$S/containerd.pid"; then
    local id
    for id in $(ctr tasks ls -q 2>/dev/null); do ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 0.3
    for id in $(ctr tasks ls -q 2>/dev/null); do ctr tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop_pid "$S/containerd.pid"
  local p
  for p in $(ps -eo pid=,args= | awk -v a="$SOCK" 'index($0, "containerd-shim") && index($0, a) {print $1}'); do
    kill -9 "$p" 2>/dev/null || true
  done
  # 3. the control plane
  if [ -d "$CLUSTER_DIR" ]; then
    "${K8S_BIN:-$(dirname "$0")}/kwokctl" delete cluster --name "$NAME" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
  # 4. host changes
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  local c
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  local ipt t
  for ipt in iptables ip6tables; do
    [ -f "$W/baseline/$ipt.txt" ] || continue
    grep -q KUBE-FIREWALL "$W/baseline/$ipt.txt" || {
      $ipt -t filter -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
      $ipt -t filter -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
      $ipt -t filter -F KUBE-FIREWALL 2>/dev/null || true
      $ipt -t filter -X KUBE-FIREWALL 2>/dev/null || true
    }
    for t in mangle nat filter; do
      for chain in KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-PROXY-CANARY; do
        grep -q "$chain" "$W/baseline/$ipt.txt" || $ipt -t $t -X "$chain" 2>/dev/null || true
      done
    done
  done
  # iptables-nft leaves the empty tables it made for kubelet; delete those the baseline did not have
  if [ -f "$W/baseline/nft-tables.txt" ]; then
    nft list tables 2>/dev/null | while read -r _ fam tab; do
      grep -qx "table $fam $tab" "$W/baseline/nft-tables.txt" && continue
      nft list table "$fam" "$tab" 2>/dev/null | grep -q -E '^\s+(chain|set|map) .*\{' &&
        nft list table "$fam" "$tab" 2>/dev/null | grep -q -E '^\s+(ip|meta|ct|jump|counter|tcp|udp)' && continue
      nft delete table "$fam" "$tab" 2>/dev/null || true
    done
  fi
  if [ -f "$W/baseline/sysctl.txt" ]; then
    local key val
    while IFS='=' read -r key val; do echo "$val" >"/proc/sys/$key" 2>/dev/null || true; done <"$W/baseline/sysctl.txt"
  fi
  ip link del "$BRIDGE" 2>/dev/null || true
  # Paths kubelet/containerd/CNI create outside the state directory: removed only when `up`
  # recorded that they did not exist before (no baseline = no `up` ran = nothing of ours).
  local path
  if [ -f "$W/baseline/paths.txt" ]; then
    for path in /run/containerd /var/lib/kubelet /var/log/containers /var/lib/cni; do
      grep -qx "$path" "$W/baseline/paths.txt" && continue
      rm -rf "$path"
    done
  fi
  # libcni's result cache when /var/lib/cni existed before: only our network's entries
  rm -f /var/lib/cni/results/smcp-* 2>/dev/null || true
  rm -rf "$W/containerd" "$W/kubelet" "$W/cni" "$S" "$W/baseline"
  log "real cluster down in $(since "$t0") s"
}

ACTION="${1:-}"
case "$ACTION" in
  up)
    lock
    # A failed bring-up leaves nothing behind.
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "bring-up failed; tearing down"; down_locked; fi; exit $rc' EXIT
    up
    ;;
  down)
    lock
    K8S_BIN=$("$ROOT/scripts/k8s-toolchain.sh" --check 2>/dev/null || true)
    SPOTIFY_MCP_CONTAINERD_BIN=$(find "$CACHE_ROOT" -maxdepth 4 -path '*/containerd-*/root/usr/bin' -type d 2>/dev/null | head -n1)
    down_locked
    ;;
  import) shift; import_images "$@" ;;
  host-state) host_state ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  *) echo "usage: $0 up|down|import TAR...|host-state|kubeconfig" >&2; exit 2 ;;
esac
