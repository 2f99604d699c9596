"""The operator chart and SpotifyMcp objects on a REAL node: the pods the operator writes start,
pass their probes and serve MCP; Secrets, restarts and Pod Security behave as in production.

Every test works in namespaces that enforce the restricted Pod Security Standard."""

from __future__ import annotations

import base64
import json
import os
import signal
import time

import httpx
import pytest

from kube import REPO_ROOT, Cluster, Images, containerd_pid, eventually, mcp_http
from rawhttp import initialize_body

pytestmark = pytest.mark.anyio

OPERATOR_NS = "spotify-mcp-system"
APPS_NS = "music"
RELEASE = "op"
OPERATOR_DEPLOYMENT = "op-spotify-mcp-operator"


def operator_values(images: Images) -> list[str]:
    repo, tag = images.operator.rsplit(":", 1)
    return ["--set", f"image.repository={repo}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
            "--set", f"operator.defaultServerImage={images.server}", "--set", f"tests.image={images.server}",
            # A short resync: the pods are asked about Spotify on the resync, not on every event.
            "--set", "operator.extraArgs={--resync=10s}"]


@pytest.fixture(scope="module")
def operator(cluster: Cluster, images: Images) -> str:
    """The operator chart installed with the suite's images; the operator runs as a pod."""
    cluster.restricted_namespace(OPERATOR_NS)
    cluster.restricted_namespace(APPS_NS)
    cluster.helm("install", RELEASE, str(REPO_ROOT / "charts" / "spotify-mcp-operator"), "-n", OPERATOR_NS,
                 "--wait", "--timeout", "180s", *operator_values(images))
    yield OPERATOR_DEPLOYMENT
    for kind in ("smcp", "secret"):
        cluster.kubectl("-n", APPS_NS, "delete", kind, "--all", "--wait=true", check=False, timeout=180)
    cluster.helm("uninstall", RELEASE, "-n", OPERATOR_NS, "--wait", check=False)
    cluster.kubectl("delete", "namespace", APPS_NS, OPERATOR_NS, "--wait=true", check=False, timeout=180)


def smcp(name: str, **spec) -> str:
    return json.dumps({"apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp",
                       "metadata": {"name": name}, "spec": {"sandbox": True, **spec}})


def token_secret(name: str, token: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                       "type": "Opaque", "data": {"token": base64.b64encode(token.encode()).decode()}})


async def search_through(url: str, headers: dict[str, str] | None = None) -> tuple[list[str], str]:
    """tools/list and one `search` with the official client; returns tool names and the answer text."""
    async with mcp_http(url, headers=headers) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        result = await client.call_tool("search", {"query": "daft punk", "types": ["track"], "limit": 3})
        assert not result.is_error, result
        return tools, " ".join(getattr(c, "text", "") for c in result.content)


def server_pods(cluster: Cluster, name: str) -> list[dict]:
    return cluster.ready_pods(APPS_NS, f"app.kubernetes.io/instance={name}")


async def test_operator_pod_runs_and_a_sandbox_example_serves_mcp(cluster: Cluster, operator: str):
    # The operator is a real pod under the chart's ServiceAccount, on the real node.
    pods = eventually(lambda: cluster.ready_pods(OPERATOR_NS, "app.kubernetes.io/name=spotify-mcp-operator"),
                      timeout=60, what="a Ready operator pod")
    op = pods[0]
    assert op["spec"]["nodeName"] == "spotify-mcp-node"
    assert op["spec"]["serviceAccountName"] == cluster.kubectl_json(
        "-n", OPERATOR_NS, "get", "deployment", operator)["spec"]["template"]["spec"]["serviceAccountName"]

    t0 = time.monotonic()
    cluster.kubectl("-n", APPS_NS, "apply", "-f", str(REPO_ROOT / "examples" / "sandbox.yaml"))
    ready = cluster.wait_condition(APPS_NS, "smcp", "spotify-mcp-sandbox", "Ready", timeout=120)
    print(f"kubectl apply -> Ready in {time.monotonic() - t0:.1f} s")
    status = cluster.kubectl_json("-n", APPS_NS, "get", "smcp", "spotify-mcp-sandbox")["status"]
    assert status["endpoint"] == "http://spotify-mcp-sandbox.music.svc:8000/mcp", status
    assert ready["reason"] == "Available"

    # The server pod really runs: every container started, ready, its probes passed.
    pod = server_pods(cluster, "spotify-mcp-sandbox")[0]
    assert pod["spec"]["nodeName"] == "spotify-mcp-node"
    (cs,) = pod["status"]["containerStatuses"]
    assert cs["ready"] and cs["started"] and "running" in cs["state"], cs
    spec = pod["spec"]["containers"][0]
    assert {"startupProbe", "livenessProbe", "readinessProbe"} <= spec.keys()
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["status"]["podIP"].startswith("198.18.0.")

    # Through kubectl port-forward (the apiserver -> kubelet -> pod path) ...
    with cluster.port_forward(APPS_NS, "svc/spotify-mcp-sandbox", 8000) as port:
        tools, text = await search_through(f"http://127.0.0.1:{port}/mcp")
    assert "search" in tools and "play" in tools
    assert text.strip(), "search answered nothing"
    # ... and through the Service's ClusterIP (kube-proxy), with the Service's DNS name as Host.
    ip = cluster.service_ip(APPS_NS, "spotify-mcp-sandbox")
    host = status["endpoint"].removeprefix("http://").removesuffix("/mcp")
    tools2, _ = await search_through(f"http://{ip}:8000/mcp", headers={"Host": host})
    assert tools2 == tools


async def test_a_hosted_server_is_deployed_serves_its_oauth_metadata_and_challenges_mcp(cluster: Cluster,
                                                                                        operator: str):
    """`spec.hosted` on a real node: the pod starts with the keys Secret mounted, answers /mcp with
    the MCP authorization challenge, serves the metadata for its public URL, registers a client
    and shows the consent page; the status names the redirect URI to register at Spotify."""
    name = "hosted"
    public = f"http://{name}.{APPS_NS}.svc:8000"
    keys = "k1:" + base64.b64encode(os.urandom(32)).decode() + "\n"
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hosted-oauth"},
                              "type": "Opaque", "data": {"keys": base64.b64encode(keys.encode()).decode()}}), APPS_NS)
    cluster.apply(smcp(name, hosted={"enabled": True, "publicUrl": public,
                                     "keysSecretRef": {"name": "hosted-oauth", "key": "keys"}}), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=120)
    status = cluster.kubectl_json("-n", APPS_NS, "get", "smcp", name)["status"]
    assert status["redirectUri"] == f"{public}/oauth/callback", status
    (pod,) = server_pods(cluster, name)
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0].get("env", [])}
    assert env.get("SPOTIFY_MCP_OAUTH") == "true" and env.get("SPOTIFY_MCP_PUBLIC_URL") == public, env
    assert "SPOTIFY_REFRESH_TOKEN" not in env and "SPOTIFY_MCP_AUTH_TOKENS" not in env
    with cluster.port_forward(APPS_NS, f"svc/{name}", 8000) as port:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
            r = await http.post(f"{base}/mcp", json=initialize_body(),
                                headers={"Accept": "application/json, text/event-stream"})
            assert r.status_code == 401, r.text
            challenge = r.headers["www-authenticate"]
            assert f'resource_metadata="{public}/.well-known/oauth-protected-resource/mcp"' in challenge, challenge
            meta = (await http.get(f"{base}/.well-known/oauth-authorization-server")).json()
            assert meta["issuer"] == public and meta["code_challenge_methods_supported"] == ["S256"], meta
            prm = (await http.get(f"{base}/.well-known/oauth-protected-resource/mcp")).json()
            assert prm["resource"] == f"{public}/mcp", prm
            r = await http.post(f"{base}/oauth/register", json={"client_name": "real node",
                                                                "redirect_uris": ["http://127.0.0.1:9/cb"]})
            assert r.status_code == 201, r.text
            client_id = r.json()["client_id"]
            r = await http.get(f"{base}/oauth/authorize", params={
                "response_type": "code", "client_id": client_id, "redirect_uri": "http://127.0.0.1:9/cb",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
                "state": "s", "resource": f"{public}/mcp"})
            assert r.status_code == 200 and "Approve" in r.text and "real node" in r.text, r.text[:300]
    cluster.kubectl("-n", APPS_NS, "delete", "smcp", name, "--wait=true")
    cluster.kubectl("-n", APPS_NS, "delete", "secret", "hosted-oauth", "--wait=true")


def test_helm_test_passes_and_fails_when_the_operator_is_gone(cluster: Cluster, operator: str):
    out = cluster.helm("test", RELEASE, "-n", OPERATOR_NS, "--timeout", "120s").stdout
    assert "Phase:          Succeeded" in out or "Succeeded" in out, out
    # Broken variant: no operator pod behind the Service, so the hook pod's request fails.
    cluster.kubectl("-n", OPERATOR_NS, "scale", "deployment", operator, "--replicas=0")
    try:
        eventually(lambda: not cluster.pods(OPERATOR_NS, "app.kubernetes.io/name=spotify-mcp-operator"),
                   timeout=60, what="operator pods gone")
        r = cluster.helm("test", RELEASE, "-n", OPERATOR_NS, "--timeout", "90s", check=False)
        assert r.returncode != 0, f"helm test passed with no operator running:\n{r.stdout}"
        assert "Failed" in r.stdout + r.stderr, r.stdout + r.stderr
    finally:
        cluster.kubectl("-n", OPERATOR_NS, "scale", "deployment", operator, "--replicas=1")
        cluster.kubectl("-n", OPERATOR_NS, "rollout", "status", f"deployment/{operator}", "--timeout=120s")


async def test_rotating_the_access_token_rolls_pods_that_accept_only_the_new_one(cluster: Cluster, operator: str):
    name = "rotating"
    cluster.apply(token_secret("rotating-token", "first-token-aaaaaaaaaaaaaaaa"), APPS_NS)
    cluster.apply(smcp(name, accessToken={"name": "rotating-token", "key": "token"}), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=120)
    (first,) = server_pods(cluster, name)

    async def status_with(port: int, token: str) -> int:
        """The HTTP status of an `initialize` with this bearer token (200 accepted, 401 refused)."""
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(f"http://127.0.0.1:{port}/mcp", headers={
                "Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json"}, json=initialize_body())
            return r.status_code

    with cluster.port_forward(APPS_NS, f"pod/{first['metadata']['name']}", 8000) as port:
        assert await status_with(port, "first-token-aaaaaaaaaaaaaaaa") == 200
        assert await status_with(port, "second-token-bbbbbbbbbbbbbbb") == 401

    cluster.apply(token_secret("rotating-token", "second-token-bbbbbbbbbbbbbbb"), APPS_NS)

    def rolled():
        pods = server_pods(cluster, name)
        names = [p["metadata"]["name"] for p in cluster.pods(APPS_NS, f"app.kubernetes.io/instance={name}")]
        return pods if len(pods) == 1 and first["metadata"]["name"] not in names else None
    (second,) = eventually(rolled, timeout=120, what="a new server pod replacing the old one")
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=60)
    with cluster.port_forward(APPS_NS, f"pod/{second['metadata']['name']}", 8000) as port:
        assert await status_with(port, "second-token-bbbbbbbbbbbbbbb") == 200
        assert await status_with(port, "first-token-aaaaaaaaaaaaaaaa") == 401
        async with mcp_http(f"http://127.0.0.1:{port}/mcp",
                            headers={"Authorization": "Bearer second-token-bbbbbbbbbbbbbbb"}) as client:
            assert (await client.call_tool("get_devices", {})).is_error is False
    cluster.kubectl("-n", APPS_NS, "delete", "smcp", name, "--wait=true")


def test_a_missing_secret_keeps_pods_from_starting_and_ready_names_it(cluster: Cluster, operator: str):
    name = "needs-secret"
    cluster.apply(smcp(name, accessToken={"name": "absent-token", "key": "token"}), APPS_NS)
    cond = cluster.wait_condition(APPS_NS, "smcp", name, "Ready", status="False", timeout=60)

    def secret_named():
        c = cluster.condition(APPS_NS, "smcp", name, "Ready")
        return c if c and c["reason"] == "SecretNotFound" and "absent-token" in c["message"] else None
    cond = eventually(secret_named, timeout=60, what="Ready=False naming the Secret")
    # The kubelet really cannot start the container (no kwok pretending it runs).
    def waiting():
        pods = cluster.pods(APPS_NS, f"app.kubernetes.io/instance={name}")
        states = [cs["state"].get("waiting", {}).get("reason") for p in pods
                  for cs in p["status"].get("containerStatuses", [])]
        return states if states and all(s == "CreateContainerConfigError" for s in states) else None
    eventually(waiting, timeout=60, what="the server container waiting on CreateContainerConfigError")
    assert cond["status"] == "False"

    cluster.apply(token_secret("absent-token", "now-it-exists-cccccccccccccc"), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=120)
    cluster.kubectl("-n", APPS_NS, "delete", "smcp", name, "--wait=true")
    cluster.kubectl("-n", APPS_NS, "delete", "secret", "absent-token")


def test_a_killed_container_and_a_deleted_pod_are_replaced(cluster: Cluster, operator: str):
    name = "resilient"
    cluster.apply(smcp(name), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=120)
    (pod,) = server_pods(cluster, name)
    cs = pod["status"]["containerStatuses"][0]
    os.kill(containerd_pid(cs["containerID"]), signal.SIGKILL)

    def restarted():
        p = cluster.kubectl_json("-n", APPS_NS, "get", "pod", pod["metadata"]["name"])
        c = p["status"]["containerStatuses"][0]
        return c["restartCount"] >= 1 and c["ready"]
    eventually(restarted, timeout=120, what="the killed container restarted and Ready again")
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=60)

    cluster.kubectl("-n", APPS_NS, "delete", "pod", pod["metadata"]["name"], "--wait=false")
    eventually(lambda: [p for p in server_pods(cluster, name) if p["metadata"]["name"] != pod["metadata"]["name"]],
               timeout=120, what="a replacement pod Ready")
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=60)
    cluster.kubectl("-n", APPS_NS, "delete", "smcp", name, "--wait=true")


RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def fake_spotify(image: str) -> list[str]:
    """The server image's `sandbox` subcommand as a stand-alone fake Spotify (Web API and accounts
    service) behind a Service, so that a test can break it through its /sandbox/... knobs."""
    labels = {"app.kubernetes.io/name": "fake-spotify"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fake-spotify", "labels": labels},
           "spec": {"automountServiceAccountToken": False, "containers": [{
               "name": "sandbox", "image": image, "imagePullPolicy": "Never",
               "args": ["sandbox", "--bind", "0.0.0.0:9000"],
               "ports": [{"containerPort": 9000, "name": "http"}],
               "readinessProbe": {"tcpSocket": {"port": 9000}, "periodSeconds": 2},
               "securityContext": RESTRICTED_CONTAINER}]}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fake-spotify"},
               "spec": {"selector": labels, "ports": [{"port": 9000, "targetPort": 9000, "name": "http"}]}}
    return [json.dumps(pod), json.dumps(service)]


async def test_spotify_reachable_follows_what_the_pods_say_while_they_stay_ready(cluster: Cluster, operator: str,
                                                                                 images: Images):
    """A server pointed at a fake Spotify: the operator asks its pod's /status and reports
    SpotifyReachable=True; once the fake Spotify revokes the refresh token (and the server learns
    it on its next call), the condition turns False with reason TokenRefused and a Warning Event,
    while the pod stays the same, Ready, and the SpotifyMcp stays Ready."""
    name = "health"
    for manifest in fake_spotify(images.server):
        cluster.apply(manifest, APPS_NS)
    eventually(lambda: cluster.ready_pods(APPS_NS, "app.kubernetes.io/name=fake-spotify"), timeout=60,
               what="the fake Spotify pod Ready")
    creds = {"client-id": "sandbox-client-id", "client-secret": "sandbox-client-secret",
             "refresh-token": "sandbox-refresh-token"}
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "health-spotify"},
                              "type": "Opaque", "stringData": creds}), APPS_NS)
    base = f"http://fake-spotify.{APPS_NS}.svc:9000"
    cluster.apply(json.dumps({"apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp",
                              "metadata": {"name": name}, "spec": {
                                  "spotify": {"secretName": "health-spotify", "apiBaseUrl": f"{base}/v1",
                                              "accountsBaseUrl": base},
                                  "networkPolicy": {"enabled": True, "monitoringNamespace": ""}}}), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", name, "Ready", timeout=120)
    t0 = time.monotonic()
    up = cluster.wait_condition(APPS_NS, "smcp", name, "SpotifyReachable", timeout=60)
    print(f"Ready -> SpotifyReachable=True in {time.monotonic() - t0:.1f} s")
    assert up["reason"] == "Reachable" and "1 of 1 ready pods" in up["message"], up
    (pod,) = server_pods(cluster, name)

    # The NetworkPolicy it writes admits the operator's pods (this CNI does not enforce it).
    np = cluster.kubectl_json("-n", APPS_NS, "get", "networkpolicy", name)
    peers = np["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": OPERATOR_NS}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "operator",
                                            "app.kubernetes.io/part-of": "spotify-mcp"}}} in peers, peers

    # Spotify refuses the credentials from now on: the refresh token is revoked and every access
    # token expired. The server learns it on its next call (401, then invalid_grant on refresh).
    with cluster.port_forward(APPS_NS, "pod/fake-spotify", 9000) as port:
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(f"http://127.0.0.1:{port}/sandbox/tokens/revoke",
                                json={"refresh_token": "sandbox-refresh-token", "access_tokens": True})
            assert r.status_code == 200 and r.json()["refresh_token_revoked"], r.text
    with cluster.port_forward(APPS_NS, f"pod/{pod['metadata']['name']}", 8000) as port:
        async with mcp_http(f"http://127.0.0.1:{port}/mcp") as client:
            result = await client.call_tool("search", {"query": "daft punk", "types": ["track"], "limit": 1})
            assert result.is_error, result
    t1 = time.monotonic()
    down = cluster.wait_condition(APPS_NS, "smcp", name, "SpotifyReachable", status="False", timeout=90)
    print(f"token revoked -> SpotifyReachable=False in {time.monotonic() - t1:.1f} s")
    assert down["reason"] == "TokenRefused" and "1 of 1 ready pods" in down["message"], down
    assert "sandbox-refresh-token" not in json.dumps(cluster.kubectl_json("-n", APPS_NS, "get", "smcp", name))

    # The pod is the same one, still Ready; so is the SpotifyMcp.
    (still,) = server_pods(cluster, name)
    assert still["metadata"]["name"] == pod["metadata"]["name"]
    assert still["status"]["containerStatuses"][0]["restartCount"] == pod["status"]["containerStatuses"][0]["restartCount"]
    assert cluster.condition(APPS_NS, "smcp", name, "Ready")["status"] == "True"
    events = cluster.kubectl_json("-n", APPS_NS, "get", "events.events.k8s.io")["items"]
    refused = [e for e in events if e.get("reason") == "TokenRefused" and e["regarding"]["name"] == name]
    assert refused and refused[0]["type"] == "Warning", [(e.get("reason"), e.get("note")) for e in events]

    cluster.kubectl("-n", APPS_NS, "delete", "smcp", name, "--wait=true")
    cluster.kubectl("-n", APPS_NS, "delete", "pod,service", "fake-spotify", "--wait=true")
    cluster.kubectl("-n", APPS_NS, "delete", "secret", "health-spotify")


def test_every_pod_was_admitted_under_the_restricted_standard(cluster: Cluster, operator: str):
    for ns in (OPERATOR_NS, APPS_NS):
        labels = cluster.kubectl_json("get", "namespace", ns)["metadata"]["labels"]
        assert labels.get("pod-security.kubernetes.io/enforce") == "restricted", labels
        events = cluster.kubectl_json("-n", ns, "get", "events")["items"]
        denied = [e["message"] for e in events if "PodSecurity" in e.get("message", "") or "violates" in e.get("message", "")]
        assert not denied, denied
        for rs in cluster.kubectl_json("-n", ns, "get", "replicasets")["items"]:
            failures = [c for c in rs.get("status", {}).get("conditions", []) if c["type"] == "ReplicaFailure"]
            assert not failures, (rs["metadata"]["name"], failures)
    assert cluster.ready_pods(OPERATOR_NS, "app.kubernetes.io/name=spotify-mcp-operator")
