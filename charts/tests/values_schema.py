#!/usr/bin/env python3
"""Generates the values.schema.json of both charts from one description.

The Kubernetes pieces both charts accept (resources, tolerations, affinity, security contexts, ...)
are written once here so the two schemas cannot drift apart. Every object level is closed
(`additionalProperties: false`) so that a mistyped key is an error at `helm install` time; the only
open objects are string maps (labels, annotations, nodeSelector) and resource quantity maps, whose
values are still typed.

    charts/tests/values_schema.py            # rewrite both schemas
    charts/tests/values_schema.py --check    # exit 1 when a committed schema differs (the test)
"""

import json
import sys
from pathlib import Path

CHARTS = Path(__file__).resolve().parent.parent
DRAFT = "http://json-schema.org/draft-07/schema#"


def obj(properties, required=(), description=None):
    """A closed object."""
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def string(description=None, **extra):
    out = {"type": "string", **extra}
    if description:
        out["description"] = description
    return out


def boolean(description=None):
    out = {"type": "boolean"}
    if description:
        out["description"] = description
    return out


def integer(description=None, **extra):
    out = {"type": "integer", **extra}
    if description:
        out["description"] = description
    return out


def array(items, description=None, **extra):
    out = {"type": "array", "items": items, **extra}
    if description:
        out["description"] = description
    return out


def ref(name):
    return {"$ref": f"#/definitions/{name}"}


DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

# Kubernetes building blocks shared by both charts (the subset of the core/v1 types a values file sets).
K8S_DEFINITIONS = {
    "stringMap": {
        "type": "object",
        "description": "Map of string keys to string values (labels, annotations, node selectors).",
        "additionalProperties": {"type": "string"},
    },
    "quantity": {
        "description": "A Kubernetes resource quantity, e.g. 100m, 64Mi, 1.",
        "oneOf": [
            {"type": "string", "pattern": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[mun]|k)?$"},
            {"type": "number", "minimum": 0},
        ],
    },
    "resources": obj(
        {
            "requests": {"type": "object", "additionalProperties": ref("quantity")},
            "limits": {"type": "object", "additionalProperties": ref("quantity")},
        },
        description="Compute resources (requests and limits) of a container.",
    ),
    "localObjectReference": obj({"name": string(minLength=1)}, required=["name"]),
    "toleration": obj(
        {
            "key": string(),
            "operator": {"type": "string", "enum": ["Exists", "Equal"]},
            "value": string(),
            "effect": {"type": "string", "enum": ["", "NoSchedule", "PreferNoSchedule", "NoExecute"]},
            "tolerationSeconds": integer(),
        }
    ),
    "labelSelectorRequirement": obj(
        {
            "key": string(minLength=1),
            "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
            "values": array(string()),
        },
        required=["key", "operator"],
    ),
    "labelSelector": obj(
        {
            "matchLabels": ref("stringMap"),
            "matchExpressions": array(ref("labelSelectorRequirement")),
        }
    ),
    "nodeSelectorRequirement": obj(
        {
            "key": string(minLength=1),
            "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]},
            "values": array(string()),
        },
        required=["key", "operator"],
    ),
    "nodeSelectorTerm": obj(
        {
            "matchExpressions": array(ref("nodeSelectorRequirement")),
            "matchFields": array(ref("nodeSelectorRequirement")),
        }
    ),
    "podAffinityTerm": obj(
        {
            "labelSelector": ref("labelSelector"),
            "namespaceSelector": ref("labelSelector"),
            "namespaces": array(string()),
            "topologyKey": string(minLength=1),
            "matchLabelKeys": array(string()),
            "mismatchLabelKeys": array(string()),
        },
        required=["topologyKey"],
    ),
    "weightedPodAffinityTerm": obj(
        {"weight": integer(minimum=1, maximum=100), "podAffinityTerm": ref("podAffinityTerm")},
        required=["weight", "podAffinityTerm"],
    ),
    "podAffinity": obj(
        {
            "requiredDuringSchedulingIgnoredDuringExecution": array(ref("podAffinityTerm")),
            "preferredDuringSchedulingIgnoredDuringExecution": array(ref("weightedPodAffinityTerm")),
        }
    ),
    "affinity": obj(
        {
            "nodeAffinity": obj(
                {
                    "requiredDuringSchedulingIgnoredDuringExecution": obj(
                        {"nodeSelectorTerms": array(ref("nodeSelectorTerm"), minItems=1)},
                        required=["nodeSelectorTerms"],
                    ),
                    "preferredDuringSchedulingIgnoredDuringExecution": array(
                        obj(
                            {"weight": integer(minimum=1, maximum=100), "preference": ref("nodeSelectorTerm")},
                            required=["weight", "preference"],
                        )
                    ),
                }
            ),
            "podAffinity": ref("podAffinity"),
            "podAntiAffinity": ref("podAffinity"),
        },
        description="Scheduling affinity of the pods (core/v1 Affinity).",
    ),
    "topologySpreadConstraint": obj(
        {
            "maxSkew": integer(minimum=1),
            "topologyKey": string(minLength=1),
            "whenUnsatisfiable": {"type": "string", "enum": ["DoNotSchedule", "ScheduleAnyway"]},
            "labelSelector": ref("labelSelector"),
            "minDomains": integer(minimum=1),
            "nodeAffinityPolicy": {"type": "string", "enum": ["Honor", "Ignore"]},
            "nodeTaintsPolicy": {"type": "string", "enum": ["Honor", "Ignore"]},
            "matchLabelKeys": array(string()),
        },
        required=["maxSkew", "topologyKey", "whenUnsatisfiable"],
    ),
    "seccompProfile": obj(
        {
            "type": {"type": "string", "enum": ["RuntimeDefault", "Localhost", "Unconfined"]},
            "localhostProfile": string(),
        },
        required=["type"],
    ),
    "appArmorProfile": obj(
        {
            "type": {"type": "string", "enum": ["RuntimeDefault", "Localhost", "Unconfined"]},
            "localhostProfile": string(),
        },
        required=["type"],
    ),
    "seLinuxOptions": obj({"user": string(), "role": string(), "type": string(), "level": string()}),
    "podSecurityContext": obj(
        {
            "runAsNonRoot": boolean(),
            "runAsUser": integer(minimum=0),
            "runAsGroup": integer(minimum=0),
            "fsGroup": integer(minimum=0),
            "fsGroupChangePolicy": {"type": "string", "enum": ["OnRootMismatch", "Always"]},
            "supplementalGroups": array(integer(minimum=0)),
            "supplementalGroupsPolicy": {"type": "string", "enum": ["Merge", "Strict"]},
            "seccompProfile": ref("seccompProfile"),
            "appArmorProfile": ref("appArmorProfile"),
            "seLinuxOptions": ref("seLinuxOptions"),
            "seLinuxChangePolicy": {"type": "string", "enum": ["MountOption", "Recursive"]},
            "sysctls": array(obj({"name": string(minLength=1), "value": string()}, required=["name", "value"])),
        },
        description="Pod security context (core/v1 PodSecurityContext).",
    ),
    "securityContext": obj(
        {
            "allowPrivilegeEscalation": boolean(),
            "readOnlyRootFilesystem": boolean(),
            "runAsNonRoot": boolean(),
            "runAsUser": integer(minimum=0),
            "runAsGroup": integer(minimum=0),
            "privileged": boolean(),
            "procMount": {"type": "string", "enum": ["Default", "Unmasked"]},
            "capabilities": obj({"add": array(string()), "drop": array(string())}),
            "seccompProfile": ref("seccompProfile"),
            "appArmorProfile": ref("appArmorProfile"),
            "seLinuxOptions": ref("seLinuxOptions"),
        },
        description="Container security context (core/v1 SecurityContext).",
    ),
    "envVar": obj(
        {
            "name": string(minLength=1),
            "value": string(),
            "valueFrom": obj(
                {
                    "secretKeyRef": obj(
                        {"name": string(minLength=1), "key": string(minLength=1), "optional": boolean()},
                        required=["name", "key"],
                    ),
                    "configMapKeyRef": obj(
                        {"name": string(minLength=1), "key": string(minLength=1), "optional": boolean()},
                        required=["name", "key"],
                    ),
                    "fieldRef": obj({"apiVersion": string(), "fieldPath": string(minLength=1)}, required=["fieldPath"]),
                    "resourceFieldRef": obj(
                        {"containerName": string(), "resource": string(minLength=1), "divisor": ref("quantity")},
                        required=["resource"],
                    ),
                }
            ),
        },
        required=["name"],
    ),
    "image": obj(
        {
            "repository": string("Image repository.", minLength=1),
            "tag": string("Image tag; empty means the chart's appVersion."),
            "digest": {
                "type": "string",
                "pattern": r"^(sha256:[a-f0-9]{64})?$",
                "description": "Image digest; when set it wins over the tag.",
            },
            "pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]},
        },
        required=["repository", "pullPolicy"],
    ),
    "serviceMonitor": obj(
        {
            "enabled": boolean("Create a ServiceMonitor (only when the cluster serves monitoring.coreos.com/v1)."),
            "interval": string("Scrape interval, e.g. 30s.", pattern=DURATION),
            "scrapeTimeout": string("Scrape timeout, at most the interval.", pattern=DURATION),
            "labels": ref("stringMap"),
            "annotations": ref("stringMap"),
        },
        required=["enabled", "interval", "scrapeTimeout"],
    ),
    "prometheusRule": obj(
        {
            "enabled": boolean("Create a PrometheusRule with the alert rules (only when the cluster serves monitoring.coreos.com/v1)."),
            "labels": ref("stringMap"),
            "annotations": ref("stringMap"),
        },
        required=["enabled"],
    ),
    "grafanaDashboard": obj(
        {
            "enabled": boolean("Create a ConfigMap with the Grafana dashboard for the Grafana sidecar."),
            "namespace": string("Namespace of the ConfigMap; empty: the release namespace.", pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", maxLength=63),
            "labels": ref("stringMap"),
            "annotations": ref("stringMap"),
        },
        required=["enabled", "labels"],
    ),
}

# Keys every chart has, with the same meaning.
COMMON_PROPERTIES = {
    "nameOverride": string("Overrides the chart name in resource names.", maxLength=63),
    "fullnameOverride": string("Overrides the full resource name.", maxLength=63),
    "image": ref("image"),
    "imagePullSecrets": array(ref("localObjectReference"), "Secrets for pulling images."),
    "serviceAccount": obj(
        {
            "create": boolean("Create the ServiceAccount."),
            "name": string("Name of the ServiceAccount."),
            "annotations": ref("stringMap"),
        },
        required=["create"],
    ),
    "serviceMonitor": ref("serviceMonitor"),
    "prometheusRule": ref("prometheusRule"),
    "grafanaDashboard": ref("grafanaDashboard"),
    "resources": ref("resources"),
    "podSecurityContext": ref("podSecurityContext"),
    "securityContext": ref("securityContext"),
    "nodeSelector": ref("stringMap"),
    "tolerations": array(ref("toleration")),
    "affinity": ref("affinity"),
    "topologySpreadConstraints": array(ref("topologySpreadConstraint")),
    "priorityClassName": string("Priority class of the pods."),
    "commonLabels": ref("stringMap"),
    "commonAnnotations": ref("stringMap"),
    "podLabels": ref("stringMap"),
    "podAnnotations": ref("stringMap"),
    "terminationGracePeriodSeconds": integer("Seconds a pod gets after SIGTERM.", minimum=0),
    "tests": obj({"image": string("Image of the `helm test` pod; empty means the chart's default.")}),
}

TOOLSETS = ["playback", "search", "catalog", "library", "playlists", "profile", "composite", "extended"]
HOST = r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$"

SERVER_PROPERTIES = {
    "replicaCount": integer("Number of server pods.", minimum=0),
    "sandbox": boolean("Use the server's built-in fake Spotify Web API instead of Spotify."),
    "spotify": obj(
        {
            "existingSecret": string("Secret with the Spotify app credentials; empty: <fullname>-spotify (none in sandbox mode)."),
            "clientIdKey": string(minLength=1),
            "clientSecretKey": string(minLength=1),
            "refreshTokenKey": string(minLength=1),
            "apiBaseUrl": string("Spotify Web API base URL.", pattern=r"^(https?://.+)?$"),
            "accountsBaseUrl": string("Spotify accounts base URL.", pattern=r"^(https?://.+)?$"),
            "rateLimit": string(
                "How requests to Spotify are paced: adaptive, off, or N/s with an optional ,burst=M (empty: adaptive).",
                pattern=r"^(|adaptive|off|[1-9][0-9]{0,4}/s(,burst=[1-9][0-9]{0,4})?)$",
            ),
            "trustedCa": obj(
                {
                    "configMap": obj(
                        {"name": string("ConfigMap with the CA (empty: none)."), "key": string(minLength=1)},
                        required=["name", "key"],
                    ),
                    "secret": obj(
                        {"name": string("Secret with the CA, used when no ConfigMap is named (empty: none)."), "key": string(minLength=1)},
                        required=["name", "key"],
                    ),
                },
                description="One more CA (PEM) to trust for Spotify, mounted and named by SPOTIFY_MCP_CA_FILE.",
            ),
        },
        required=["existingSecret", "clientIdKey", "clientSecretKey", "refreshTokenKey"],
    ),
    "auth": obj(
        {
            "existingSecret": string("Secret with the MCP bearer tokens, one per line (empty: no access control)."),
            "key": string(minLength=1),
        },
        required=["existingSecret", "key"],
    ),
    "hosted": obj(
        {
            "enabled": boolean("Hosted multi-user mode: each user signs in with Spotify through their MCP client (SPOTIFY_MCP_OAUTH)."),
            "publicUrl": string(
                "Public base URL (origin) of the server, the OAuth issuer (SPOTIFY_MCP_PUBLIC_URL); https:// unless sandbox.",
                pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?)?$",
                maxLength=512,
            ),
            "keysSecret": obj(
                {"name": string("Secret with the OAuth keys (required when hosted)."), "key": string(minLength=1)},
                required=["name", "key"],
            ),
            "storeRedisUrlSecret": obj(
                {"name": string("Secret with the redis:// URL of the OAuth store (empty: memory, one pod only)."), "key": string(minLength=1)},
                required=["name", "key"],
            ),
            "showDialog": boolean("Make Spotify show its consent dialog on every sign-in."),
            "dynamicClientRegistration": boolean("Let MCP clients register themselves (dynamic client registration)."),
            "clientIdMetadataDocuments": boolean("Accept clients identified by a Client ID Metadata Document URL."),
        },
        required=["enabled"],
    ),
    "server": obj(
        {
            "toolsets": array({"type": "string", "enum": TOOLSETS}, "Tool groups to expose.", uniqueItems=True),
            "readOnly": boolean("Expose only read-only tools."),
            "logLevel": string("Log filter (tracing syntax).", minLength=1),
            "logFormat": {"type": "string", "enum": ["json", "text"]},
            "cache": obj(
                {
                    "sizeMb": integer("In-memory cache size in MiB.", minimum=0),
                    "redisUrlSecret": obj({"name": string(), "key": string(minLength=1)}, required=["name", "key"]),
                },
                required=["sizeMb"],
            ),
            "extraAllowedHosts": array(string(pattern=HOST), "Extra Host header values (host or host:port)."),
            "allowedOrigins": array(string(pattern=r"^https?://[^/\s]+$"), "Browser origins accepted on /mcp."),
            "extraEnv": array(ref("envVar"), "Extra environment variables."),
        },
        required=["logLevel", "logFormat", "cache"],
    ),
    "clusterDomain": string("DNS suffix of the cluster.", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
    "autoscaling": obj(
        {
            "enabled": boolean("Create a HorizontalPodAutoscaler for the server Deployment."),
            "minReplicas": integer("Fewest pods.", minimum=1),
            "maxReplicas": integer("Most pods.", minimum=1),
            "targetCPUUtilizationPercentage": integer("CPU target in percent of the request (0: not a metric).", minimum=0),
            "targetMemoryUtilizationPercentage": integer("Memory target in percent of the request (0: not a metric).", minimum=0),
        },
        required=["enabled", "minReplicas", "maxReplicas"],
    ),
    "podDisruptionBudget": obj(
        {
            "enabled": boolean("Create a PodDisruptionBudget when more than one pod runs."),
            "maxUnavailable": {"description": "Pods a voluntary disruption may take down at once.", "oneOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^[0-9]+%$"},
            ]},
        },
        required=["enabled", "maxUnavailable"],
    ),
    "defaultTopologySpread": boolean("Without topologySpreadConstraints, spread the pods across nodes."),
    "networkPolicy": obj(
        {
            "enabled": boolean("Create a NetworkPolicy for the server pods."),
            "from": array(
                {
                    **obj(
                        {"namespaceSelector": ref("labelSelector"), "podSelector": ref("labelSelector")},
                    ),
                    "minProperties": 1,
                },
                "Peers allowed to reach the server port.",
            ),
            "monitoringNamespace": string("Namespace Prometheus scrapes from (empty: none).", pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", maxLength=63),
        },
        required=["enabled"],
    ),
    "ingress": obj(
        {
            "enabled": boolean("Create an Ingress for /mcp."),
            "className": string("IngressClass (empty: the default class)."),
            "host": string("Host name clients use.", pattern=r"^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)?$"),
            "tlsSecretName": string("TLS Secret of the host (empty: plain HTTP)."),
            "annotations": ref("stringMap"),
        },
        required=["enabled"],
    ),
    "httpRoute": obj(
        {
            "enabled": boolean("Create a Gateway API HTTPRoute for /mcp."),
            "parentRefs": array(
                obj(
                    {
                        "name": string(minLength=1),
                        "namespace": string(),
                        "sectionName": string(),
                        "group": string(),
                        "kind": string(),
                        "port": integer(minimum=1, maximum=65535),
                    },
                    required=["name"],
                ),
                "Gateways the route attaches to.",
            ),
            "hostnames": array(string(pattern=r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$"), "Host names of the route."),
            "annotations": ref("stringMap"),
        },
        required=["enabled"],
    ),
    "service": obj(
        {
            "type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
            "port": integer("Service port.", minimum=1, maximum=65535),
            "annotations": ref("stringMap"),
            "labels": ref("stringMap"),
        },
        required=["type", "port"],
    ),
}

OPERATOR_PROPERTIES = {
    "replicaCount": integer(
        "Operator pods; more than 1 requires leaderElection.enabled.", minimum=1, maximum=10
    ),
    "leaderElection": obj(
        {
            "enabled": boolean("Elect a leader through a coordination.k8s.io Lease (needed for more than one replica)."),
        },
        required=["enabled"],
    ),
    "watchNamespace": string(
        "Namespace-scoped mode: watch only this namespace, with a Role instead of a ClusterRole. "
        "Empty: all namespaces (ClusterRole).",
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
        maxLength=63,
    ),
    "operator": obj(
        {
            "defaultServerImage": string("Image of servers whose SpotifyMcp has no spec.image; empty: the server release matching the operator."),
            "logLevel": string("Log filter of the operator (tracing syntax).", minLength=1),
            "logFormat": {"type": "string", "enum": ["json", "text"]},
            "clusterDomain": string("DNS suffix of the cluster.", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
            "concurrency": integer("Objects reconciled at the same time.", minimum=1, maximum=1024),
            "extraArgs": array(string(), "Extra command-line arguments of `spotify-mcp-operator run`."),
            "extraEnv": array(ref("envVar"), "Extra environment variables of the operator."),
        },
        required=["logLevel", "logFormat"],
    ),
    "rbac": obj(
        {
            "create": boolean("Create the ClusterRole/Role and bindings."),
            "aggregateToDefaultRoles": boolean("Aggregate SpotifyMcp rights into the built-in admin/edit/view ClusterRoles."),
        },
        required=["create"],
    ),
    "service": obj(
        {
            "port": integer("Port of the operator's metrics/health Service.", minimum=1, maximum=65535),
            "annotations": ref("stringMap"),
            "labels": ref("stringMap"),
        },
        required=["port"],
    ),
}


def schema(title, properties, required):
    props = {**COMMON_PROPERTIES, **properties}
    return {
        "$schema": DRAFT,
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": dict(sorted(props.items())),
        "definitions": K8S_DEFINITIONS,
    }


def render(s):
    return json.dumps(s, indent=2) + "\n"


def main():
    outputs = {
        CHARTS / "spotify-mcp" / "values.schema.json": schema(
            "Values of the spotify-mcp chart",
            SERVER_PROPERTIES,
            ["image", "replicaCount", "sandbox", "spotify", "auth", "server", "service", "serviceMonitor", "prometheusRule", "grafanaDashboard", "securityContext", "podSecurityContext"],
        ),
        CHARTS / "spotify-mcp-operator" / "values.schema.json": schema(
            "Values of the spotify-mcp-operator chart",
            OPERATOR_PROPERTIES,
            ["image", "replicaCount", "leaderElection", "operator", "rbac", "service", "serviceMonitor", "prometheusRule", "grafanaDashboard", "securityContext", "podSecurityContext"],
        ),
    }
    check = "--check" in sys.argv[1:]
    stale = []
    for path, s in outputs.items():
        if not path.parent.is_dir():
            continue
        text = render(s)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
    if stale:
        for p in stale:
            print(f"{p} differs from charts/tests/values_schema.py; run it to regenerate", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
