"""Offline checks of the Kubernetes manifests in k8s/.

Each overlay is rendered with `kubectl kustomize`, every object is validated against the
Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields are errors), and the
properties the platform relies on are asserted: gRPC probes on the served port, hardened
security contexts, requests/limits, pinned images, drain time below the grace period, database
URLs only from Secrets, peer addresses that resolve, and network policies that match the peer
graph.

Needs `kubectl` on PATH (it embeds kustomize). Without it these tests FAIL: a green run must
mean the manifests were checked.
"""

from __future__ import annotations

import base64
import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")
# Oldest cluster we target (matchLabelKeys, PDB unhealthyPodEvictionPolicy, appProtocol
# kubernetes.io/h2c) and the newest schema kubernetes-validate ships.
K8S_VERSIONS = ("1.31", kubernetes_validate.utils.latest_version())
NAMESPACE = "clienttier"

PORTS = {"gateway": 50050, "profile": 50051, "grading": 50052, "recommend": 50053, "alerts": 50054}
DB_SERVICES = ("profile", "grading", "recommend", "alerts")
CONSUMERS = ("grading", "recommend", "alerts")  # follow profile's event stream
MODULES = {
    "gateway": "gateway",
    "profile": "services.profile",
    "grading": "services.grading",
    "recommend": "services.recommend",
    "alerts": "services.alerts",
}
DEFAULT_GRACE_SECONDS = 10  # the application's default for CT_GRACE_SECONDS
NAME_LABEL = "app.kubernetes.io/name"

Doc = dict[str, Any]


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail(
            "kubectl not found on PATH. The manifest tests render k8s/ with `kubectl kustomize` "
            "and must not be skipped: install kubectl (>= 1.27, which embeds kustomize v5) and "
            "re-run.",
            pytrace=False,
        )
    return path


@functools.cache
def _render_dir(relpath: str) -> tuple[Doc, ...]:
    proc = subprocess.run(
        [_kubectl(), "kustomize", str(K8S / relpath)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`kubectl kustomize k8s/{relpath}` failed (rc={proc.returncode}):\n{proc.stderr}",
            pytrace=False,
        )
    docs = tuple(d for d in yaml.safe_load_all(proc.stdout) if d)
    assert docs, f"k8s/{relpath} rendered no objects"
    return docs


def render(overlay: str) -> tuple[Doc, ...]:
    return _render_dir(f"overlays/{overlay}")


def objects(docs, kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs) -> dict[str, Doc]:
    """Deployments and Jobs, keyed "Kind/name"."""
    return {
        f"{d['kind']}/{d['metadata']['name']}": d
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }


def pod_spec(workload: Doc) -> Doc:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: Doc) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"].get("labels", {})


def containers(spec: Doc, *, init: bool = True) -> list[Doc]:
    out = list(spec.get("containers", []))
    if init:
        out += spec.get("initContainers", [])
    return out


def main_container(deployment: Doc) -> Doc:
    name = deployment["metadata"]["name"]
    matches = [c for c in pod_spec(deployment)["containers"] if c["name"] == name]
    assert len(matches) == 1, f"Deployment {name}: expected one container named {name}"
    return matches[0]


def env_of(container: Doc, docs) -> dict[str, Any]:
    """Effective environment: envFrom ConfigMaps (resolved from the render), then env.

    Values are strings for literal values, or the `valueFrom` dict.
    """
    configmaps = objects(docs, "ConfigMap")
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, (
            f"container {container['name']}: envFrom secretRef hides which keys are secret; "
            "use env[].valueFrom.secretKeyRef"
        )
        ref = source["configMapRef"]["name"]
        assert ref in configmaps, f"container {container['name']}: ConfigMap {ref} not rendered"
        prefix = source.get("prefix", "")
        env.update({prefix + k: v for k, v in configmaps[ref].get("data", {}).items()})
    for var in container.get("env", []):
        env[var["name"]] = var["value"] if "value" in var else var.get("valueFrom")
    return env


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels AND matchExpressions)."""
    for k, v in selector.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


_UNITS = {
    "m": 1e-3,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(value: Any) -> float:
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert m and m.group(2) in _UNITS, f"unparseable quantity {value!r}"
    return float(m.group(1)) * _UNITS[m.group(2)]


def image_tag(image: str) -> str | None:
    """The tag of an image reference, "@digest" for digest-pinned ones, None if untagged."""
    if "@" in image:
        return "@" + image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]  # a registry host:port must not count as a tag
    return last.split(":", 1)[1] if ":" in last else None


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------


def test_kubectl_is_available():
    _kubectl()


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schema(overlay, version):
    errors = []
    for doc in render(overlay):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = "/".join(str(p) for p in e.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {e.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_five_processes_and_the_bootstrap_job_are_rendered(overlay):
    docs = render(overlay)
    assert set(objects(docs, "Deployment")) == set(PORTS)
    assert set(objects(docs, "Service")) == set(PORTS)
    assert set(objects(docs, "Job")) == {"db-bootstrap"}
    for name, dep in objects(docs, "Deployment").items():
        assert main_container(dep)["command"] == ["python", "-m", MODULES[name]]
    namespace = objects(docs, "Namespace")[NAMESPACE]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, (
                f"{doc['kind']}/{doc['metadata']['name']} is not in namespace {NAMESPACE}"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_server_container_has_grpc_probes_on_its_port(overlay):
    docs = render(overlay)
    for name, dep in objects(docs, "Deployment").items():
        spec = pod_spec(dep)
        for c in spec["containers"]:
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            assert "grpc" in ports, f"{name}/{c['name']}: no port named grpc"
            port = ports["grpc"]
            assert env_of(c, docs).get("CT_PORT") == str(port), (
                f"{name}/{c['name']}: CT_PORT does not match the grpc containerPort {port}"
            )
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                p = c.get(probe)
                assert p, f"{name}/{c['name']}: no {probe}"
                assert set(p) & {"grpc", "httpGet", "tcpSocket", "exec"} == {"grpc"}, (
                    f"{name}/{c['name']}: {probe} must be a native grpc probe"
                )
                assert p["grpc"]["port"] == port, (
                    f"{name}/{c['name']}: {probe} probes port {p['grpc']['port']}, serves {port}"
                )
            # Liveness must not follow the database, or an outage restarts every pod.
            assert c["livenessProbe"]["grpc"].get("service") == "liveness", name
        assert main_container(dep)["ports"][0]["containerPort"] == PORTS[name]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_hardened(overlay):
    docs = render(overlay)
    service_accounts = objects(docs, "ServiceAccount")
    used_accounts = []
    for wname, wl in workloads(docs).items():
        spec = pod_spec(wl)
        pod_sc = spec.get("securityContext", {})
        assert spec.get("automountServiceAccountToken") is False, f"{wname}: token automounted"
        sa = spec.get("serviceAccountName")
        assert sa in service_accounts, f"{wname}: ServiceAccount {sa!r} not rendered"
        assert service_accounts[sa].get("automountServiceAccountToken") is False
        used_accounts.append(sa)

        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in containers(spec):
            where = f"{wname}/{c['name']}"
            sc = {**pod_sc, **c.get("securityContext", {})}  # container overrides pod
            assert sc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot"
            uid = sc.get("runAsUser")
            assert isinstance(uid, int) and uid > 0, f"{where}: runAsUser must be numeric, not 0"
            assert sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem"
            assert sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation"
            assert sc.get("privileged") in (None, False), f"{where}: privileged"
            caps = sc.get("capabilities", {})
            assert "ALL" in caps.get("drop", []), f"{where}: capabilities must drop ALL"
            assert not caps.get("add"), f"{where}: adds capabilities"
            assert sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp"

            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: no writable /tmp"
            assert "emptyDir" in volumes.get(mounts["/tmp"], {}), f"{where}: /tmp is not emptyDir"
    assert len(used_accounts) == len(set(used_accounts)), "workloads share a ServiceAccount"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_resource_requests_and_limits(overlay):
    docs = render(overlay)
    for wname, wl in workloads(docs).items():
        for c in containers(pod_spec(wl)):
            res = c.get("resources", {})
            for resource in ("cpu", "memory"):
                req = res.get("requests", {}).get(resource)
                lim = res.get("limits", {}).get(resource)
                assert req and lim, f"{wname}/{c['name']}: {resource} request and limit required"
                assert quantity(req) <= quantity(lim), f"{wname}/{c['name']}: {resource} req > lim"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_image_is_latest_or_untagged(overlay):
    docs = render(overlay)
    for wname, wl in workloads(docs).items():
        for c in containers(pod_spec(wl)):
            tag = image_tag(c["image"])
            assert tag is not None, f"{wname}/{c['name']}: image {c['image']} has no tag"
            assert tag != "latest", f"{wname}/{c['name']}: image {c['image']} uses :latest"


def test_image_tag_parsing():
    assert image_tag("clienttier:0.1.0") == "0.1.0"
    assert image_tag("clienttier") is None
    assert image_tag("registry:5000/clienttier") is None
    assert image_tag("registry:5000/team/clienttier:latest") == "latest"
    assert image_tag("clienttier@sha256:abc") == "@sha256:abc"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_outlasts_the_drain(overlay):
    docs = render(overlay)
    for wname, wl in workloads(docs).items():
        if wl["kind"] != "Deployment":
            continue
        spec = pod_spec(wl)
        grace_period = spec.get("terminationGracePeriodSeconds", 30)
        for c in spec["containers"]:
            drain = int(env_of(c, docs).get("CT_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
            assert grace_period > drain, (
                f"{wname}: terminationGracePeriodSeconds {grace_period} <= CT_GRACE_SECONDS {drain}"
            )
            # The preStop hook runs before SIGTERM and counts against the same grace period.
            pre_stop = c.get("lifecycle", {}).get("preStop", {})
            command = pre_stop.get("exec", {}).get("command", [])
            pause = int(command[1]) if command[:1] == ["sleep"] else 0
            pause += pre_stop.get("sleep", {}).get("seconds", 0)
            assert grace_period > pause + drain, (
                f"{wname}: preStop {pause}s + drain {drain}s does not fit in {grace_period}s"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_urls_come_only_from_per_service_secrets(overlay):
    docs = render(overlay)
    deployments = objects(docs, "Deployment")
    secrets = objects(docs, "Secret")
    secret_names = {}
    for name in DB_SERVICES:
        spec = pod_spec(deployments[name])
        migrate = [c for c in spec.get("initContainers", []) if c["name"] == "migrate"]
        assert migrate, f"{name}: no migrate initContainer"
        assert migrate[0]["command"] == ["python", "-m", "ops.migrate", name]
        refs = set()
        for c in (main_container(deployments[name]), migrate[0]):
            url = env_of(c, docs).get("CT_DB__URL")
            assert isinstance(url, dict) and "secretKeyRef" in url, (
                f"{name}/{c['name']}: CT_DB__URL must come from a secretKeyRef, got {url!r}"
            )
            refs.add((url["secretKeyRef"]["name"], url["secretKeyRef"]["key"]))
        assert len(refs) == 1, f"{name}: server and migrations use different Secrets {refs}"
        secret_name, key = refs.pop()
        secret_names[name] = secret_name
        if secret_name in secrets:  # dev renders the Secret: check it holds the service's own role
            secret = secrets[secret_name]
            value = secret.get("stringData", {}).get(key) or _b64(secret["data"][key])
            assert f"://{name}_svc:" in value, f"{name}: Secret url does not use role {name}_svc"
    assert len(set(secret_names.values())) == len(DB_SERVICES), "services share a DB Secret"

    gateway = pod_spec(deployments["gateway"])
    for c in containers(gateway):
        env = env_of(c, docs)
        assert "CT_DB__URL" not in env, "the gateway has no database"
        assert not any(isinstance(v, dict) and "secretKeyRef" in v for v in env.values()), (
            "the gateway needs no Secret"
        )
    assert not any("secret" in v for v in gateway.get("volumes", [])), "gateway mounts a Secret"

    for wname, wl in workloads(docs).items():
        for c in containers(pod_spec(wl)):
            for var in c.get("env", []):
                if var["name"] in ("CT_DB__URL", "CT_ADMIN_DB_URL"):
                    assert "value" not in var, f"{wname}/{c['name']}: {var['name']} in plain text"
    admin = [
        wname
        for wname, wl in workloads(docs).items()
        for c in containers(pod_spec(wl))
        if "CT_ADMIN_DB_URL" in env_of(c, docs)
    ]
    assert admin == ["Job/db-bootstrap"], f"admin credentials reach {admin}"
    job = objects(docs, "Job")["db-bootstrap"]
    job_env = env_of(pod_spec(job)["containers"][0], docs)
    assert "secretKeyRef" in job_env["CT_ADMIN_DB_URL"]
    assert pod_spec(job)["containers"][0]["command"] == ["python", "-m", "ops.bootstrap_db"]


def _b64(value: str) -> str:
    return base64.b64decode(value).decode()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_peers_are_configured_and_resolve_to_services(overlay):
    docs = render(overlay)
    deployments = objects(docs, "Deployment")
    services = objects(docs, "Service")

    gateway_env = env_of(main_container(deployments["gateway"]), docs)
    for peer in DB_SERVICES:
        assert gateway_env.get(f"CT_PEERS__{peer.upper()}") == f"{peer}:{PORTS[peer]}", (
            f"gateway: CT_PEERS__{peer.upper()} missing or wrong"
        )
    for name in CONSUMERS:
        env = env_of(main_container(deployments[name]), docs)
        assert env.get("CT_PEERS__PROFILE") == f"profile:{PORTS['profile']}", (
            f"{name} follows profile's event stream and needs CT_PEERS__PROFILE"
        )

    for name, dep in deployments.items():
        for var, value in env_of(main_container(dep), docs).items():
            if not var.startswith("CT_PEERS__"):
                continue
            host, port = value.rsplit(":", 1)
            svc = services.get(host)
            assert svc, f"{name}: {var}={value}: no Service {host}"
            svc_ports = {p["port"]: p for p in svc["spec"]["ports"]}
            assert int(port) in svc_ports, f"{name}: {var}={value}: Service has no port {port}"
            target = deployments[host]
            assert selects({"matchLabels": svc["spec"]["selector"]}, pod_labels(target))
            tp = svc_ports[int(port)]["targetPort"]
            served = {p["name"]: p["containerPort"] for p in main_container(target)["ports"]}
            assert served.get(tp, tp) == int(port), f"Service {host} targets the wrong port"


def _peer_edges(docs) -> set[tuple[str, str]]:
    """(client, server) pairs implied by the CT_PEERS__* configuration."""
    edges = set()
    for name, dep in objects(docs, "Deployment").items():
        for var, value in env_of(main_container(dep), docs).items():
            if var.startswith("CT_PEERS__"):
                edges.add((name, value.rsplit(":", 1)[0]))
    return edges


def _policies(docs, labels: dict[str, str], direction: str) -> list[Doc]:
    return [
        p
        for p in objects(docs, "NetworkPolicy").values()
        if direction in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], labels)
    ]


def _port_ok(rule: Doc, port: int, protocol: str = "TCP") -> bool:
    ports = rule.get("ports")
    return not ports or any(
        p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports
    )


def _ingress_sources(docs, dst_labels: dict[str, str], port: int) -> tuple[set[str], bool]:
    """Which workloads of this namespace may reach dst on port, and whether anything from
    outside the namespace (namespaceSelector, ipBlock, or an empty `from`) may."""
    workload_labels = {w.split("/", 1)[1]: pod_labels(wl) for w, wl in workloads(docs).items()}
    allowed, external = set(), False
    for policy in _policies(docs, dst_labels, "Ingress"):
        for rule in policy["spec"].get("ingress", []):
            if not _port_ok(rule, port):
                continue
            peers = rule.get("from")
            if not peers:
                return set(workload_labels), True
            for peer in peers:
                if "namespaceSelector" in peer or "ipBlock" in peer:
                    external = True
                    continue
                allowed |= {
                    n for n, lb in workload_labels.items() if selects(peer["podSelector"], lb)
                }
    return allowed, external


def _egress_allowed(docs, src_labels, dst_labels, port, protocol="TCP") -> bool:
    for policy in _policies(docs, src_labels, "Egress"):
        for rule in policy["spec"].get("egress", []):
            if not _port_ok(rule, port, protocol):
                continue
            peers = rule.get("to")
            if not peers:
                return True
            for peer in peers:
                if dst_labels is None and ("namespaceSelector" in peer or "ipBlock" in peer):
                    return True  # an out-of-namespace destination (Postgres, DNS)
                if (
                    dst_labels is not None
                    and set(peer) == {"podSelector"}
                    and selects(peer["podSelector"], dst_labels)
                ):
                    return True
    return False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_match_the_peer_graph(overlay):
    docs = render(overlay)
    deployments = objects(docs, "Deployment")
    policies = objects(docs, "NetworkPolicy").values()
    assert any(
        p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    ), "no default-deny policy"

    edges = _peer_edges(docs)
    assert ("gateway", "profile") in edges and ("grading", "profile") in edges
    for name, dep in deployments.items():
        labels = pod_labels(dep)
        sources, external = _ingress_sources(docs, labels, PORTS[name])
        expected = {client for client, server in edges if server == name}
        assert sources == expected, (
            f"{name}: ingress allowed from {sorted(sources)}, peers are {sorted(expected)}"
        )
        if name == "gateway":
            assert external, "the gateway must be reachable from the ingress namespace/clients"
        else:
            assert not external, f"{name} is reachable from outside the mesh"
    for client, server in edges:
        assert _egress_allowed(
            docs, pod_labels(deployments[client]), pod_labels(deployments[server]), PORTS[server]
        ), f"{client} may not open connections to {server}:{PORTS[server]}"

    for wname, wl in workloads(docs).items():
        labels = pod_labels(wl)
        assert _egress_allowed(docs, labels, None, 53, "UDP"), f"{wname}: no DNS egress"
        needs_db = wname != "Deployment/gateway"
        assert _egress_allowed(docs, labels, None, 5432) == needs_db, (
            f"{wname}: Postgres egress should be {'allowed' if needs_db else 'denied'}"
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget_and_spreads(overlay):
    docs = render(overlay)
    pdbs = objects(docs, "PodDisruptionBudget").values()
    for name, dep in objects(docs, "Deployment").items():
        labels = pod_labels(dep)
        assert any(selects(p["spec"]["selector"], labels) for p in pdbs), f"{name}: no PDB"
        spread = pod_spec(dep).get("topologySpreadConstraints", [])
        keys = {t["topologyKey"] for t in spread if selects(t["labelSelector"], labels)}
        assert "kubernetes.io/hostname" in keys, f"{name}: pods not spread across nodes"


def test_dev_runs_one_replica_without_autoscaling():
    docs = render("dev")
    assert not objects(docs, "HorizontalPodAutoscaler")
    for name, dep in objects(docs, "Deployment").items():
        assert dep["spec"].get("replicas") == 1, f"dev {name}: replicas should be 1"


def test_prod_autoscales_with_three_gateways_and_profiles_at_least():
    docs = render("prod")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in objects(docs, "HorizontalPodAutoscaler").values()
    }
    for name, dep in objects(docs, "Deployment").items():
        assert name in hpas, f"prod {name}: no HorizontalPodAutoscaler"
        assert hpas[name]["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        # The HPA owns the count; a replicas field would be reset by every apply.
        assert "replicas" not in dep["spec"], f"prod {name}: replicas set next to an HPA"
        floor = hpas[name]["spec"]["minReplicas"]
        assert floor >= 2, f"prod {name}: a single replica has no redundancy"
        assert hpas[name]["spec"]["maxReplicas"] >= floor
    assert hpas["gateway"]["spec"]["minReplicas"] == 3
    assert hpas["profile"]["spec"]["minReplicas"] == 3


@pytest.mark.parametrize(("overlay", "exporter"), [("dev", "console"), ("prod", "otlp")])
def test_telemetry_exporter_per_overlay(overlay, exporter):
    docs = render(overlay)
    for wname, wl in workloads(docs).items():
        for c in containers(pod_spec(wl)):
            env = env_of(c, docs)
            assert env.get("CT_TELEMETRY__EXPORTER") == exporter, f"{wname}/{c['name']}"
            if exporter == "otlp":
                assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").startswith("http"), (
                    f"{wname}/{c['name']}: otlp without OTEL_EXPORTER_OTLP_ENDPOINT"
                )
                host = env["OTEL_EXPORTER_OTLP_ENDPOINT"].rsplit(":", 1)
                assert _egress_allowed(docs, pod_labels(wl), None, int(host[1])), (
                    f"{wname}: network policy blocks the OTLP exporter"
                )


def test_secret_values_exist_only_in_dev_and_are_marked():
    assert not objects(render("prod"), "Secret"), "prod must not carry Secret values"
    dev_secrets = objects(render("dev"), "Secret")
    assert dev_secrets, "dev should create throwaway Secrets"
    for name, secret in dev_secrets.items():
        labels = secret["metadata"].get("labels", {})
        assert labels.get("clienttier.io/dev-only") == "true", f"dev Secret {name} not marked"


def test_cloudnativepg_example_renders_and_base_does_not_need_it():
    docs = _render_dir("examples/cloudnativepg")
    clusters = [d for d in docs if d["apiVersion"].startswith("postgresql.cnpg.io/")]
    assert [c["kind"] for c in clusters] == ["Cluster"]
    for doc in docs:
        if not doc["apiVersion"].startswith("postgresql.cnpg.io/"):  # no schema for CRDs
            kubernetes_validate.validate(doc, K8S_VERSIONS[0], strict=True)
    for overlay in OVERLAYS:
        assert not any("cnpg.io" in d["apiVersion"] for d in render(overlay)), (
            f"{overlay} requires the CloudNativePG operator"
        )
