"""The test cluster itself: a real kubelet/containerd node beside a kwok fake node that kwok alone
manages, Service IPs and cluster DNS in the benchmarking range only."""

from __future__ import annotations

from kube import Cluster


def test_the_real_node_is_kubelets_and_the_fake_node_is_kwoks(cluster: Cluster):
    nodes = {n["metadata"]["name"]: n for n in cluster.kubectl_json("get", "nodes")["items"]}
    real = nodes.pop("spotify-mcp-node")
    info = real["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.36.3", info
    assert info["containerRuntimeVersion"].startswith("containerd://"), info
    assert real["status"]["addresses"][0] == {"type": "InternalIP", "address": "198.18.0.1"}, real["status"]["addresses"]
    managers = {f["manager"] for f in real["metadata"].get("managedFields", [])}
    assert not any("kwok" in m for m in managers), f"kwok wrote to the real node: {managers}"
    assert nodes, "no kwok fake node beside the real one"
    for fake in nodes.values():
        assert fake["metadata"]["annotations"].get("kwok.x-k8s.io/node") == "fake"
        assert any(t["key"] == "kwok.x-k8s.io/node" and t["effect"] == "NoSchedule" for t in fake["spec"].get("taints", []))


def test_services_and_dns_live_in_the_benchmarking_range(cluster: Cluster):
    assert cluster.service_ip("default", "kubernetes") == "198.19.0.1"
    assert cluster.service_ip("kube-system", "kube-dns") == "198.19.0.10"
    endpoints = cluster.kubectl_json("-n", "default", "get", "endpointslices", "-l", "kubernetes.io/service-name=kubernetes")
    addresses = [a for s in endpoints["items"] for e in s["endpoints"] for a in e["addresses"]]
    assert addresses == ["198.18.0.1"], addresses
    (dns,) = cluster.ready_pods("kube-system", "k8s-app=kube-dns")
    assert dns["spec"]["nodeName"] == "spotify-mcp-node" and dns["status"]["podIP"].startswith("198.18.0.")


def test_cluster_dns_answers_service_names_and_only_them(cluster: Cluster):
    """CoreDNS through its Service IP (kube-proxy's DNAT to the pod): cluster names resolve, an
    unknown Service and every name outside the cluster are NXDOMAIN (nothing is forwarded)."""
    import dns.message
    import dns.query
    import dns.rcode

    def ask(name: str) -> tuple[str, list[str]]:
        answer = dns.query.udp(dns.message.make_query(name, "A"), "198.19.0.10", timeout=3)
        return dns.rcode.to_text(answer.rcode()), sorted(a.address for rrset in answer.answer for a in rrset)

    assert ask("kubernetes.default.svc.cluster.local") == ("NOERROR", ["198.19.0.1"])
    assert ask("kube-dns.kube-system.svc.cluster.local") == ("NOERROR", ["198.19.0.10"])
    assert ask("no-such-service.default.svc.cluster.local") == ("NXDOMAIN", [])
    assert ask("example.com") == ("NXDOMAIN", [])
