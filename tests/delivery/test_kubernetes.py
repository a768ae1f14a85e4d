"""Properties of the rendered Kubernetes manifests (dev and prod overlays)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.delivery.conftest import APP_NAMESPACES, by_kind, pod_spec, workloads
from tests.support.processes import REPO

OVERLAYS = ("dev", "prod")
MODELS = ("model1", "model2", "model3", "model4")


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict) -> list[dict[str, Any]]:
    return rendered[request.param]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return spec.get("initContainers", []) + spec["containers"]


def test_four_inference_deployments_from_one_base(overlay: list[dict]) -> None:
    deployments = by_kind(overlay, "Deployment")
    inference = {n: d for n, d in deployments.items() if n.startswith("inference-")}
    assert sorted(inference) == [f"inference-{m}" for m in MODELS]
    images = {d["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[0]
              for d in inference.values()}
    assert len(images) == 1 and images.pop().endswith("nst/inference")
    for model in MODELS:
        container = inference[f"inference-{model}"]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["MODEL_NAME"] == model
        selector = inference[f"inference-{model}"]["spec"]["selector"]["matchLabels"]
        assert selector["app.kubernetes.io/instance"] == model
    # The four are the same manifest with different kustomizations, not copies.
    deployment_files = [p for p in (REPO / "kubernetes").rglob("*.yaml")
                        if re.search(r"^kind: Deployment", p.read_text(), re.M)
                        and "name: inference" in p.read_text()]
    assert [p.relative_to(REPO).as_posix() for p in deployment_files] == [
        "kubernetes/base/inference/deployment.yaml"]
    for model in MODELS:
        text = (REPO / "kubernetes/base/models" / model / "kustomization.yaml").read_text()
        assert "- ../../inference" in text and f"nameSuffix: -{model}" in text


def test_restricted_pod_security(overlay: list[dict]) -> None:
    namespaces = [o for o in overlay if o["kind"] == "Namespace"]
    assert namespaces and all(
        n["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        for n in namespaces)
    objs = workloads(overlay, APP_NAMESPACES)
    assert {o["kind"] for o in objs} == {"Deployment", "Job", "CronJob"}
    for obj in objs:
        spec = pod_spec(obj)
        name = obj["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), name
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        assert not any("hostPath" in v for v in volumes.values()), name
        for container in containers(obj):
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in ctx["capabilities"], name
            assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] >= 10000, name
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert not ctx.get("privileged"), name
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{name}: writable /tmp"


def test_resources_and_probes(overlay: list[dict]) -> None:
    for obj in workloads(overlay, APP_NAMESPACES):
        for container in containers(obj):
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), obj["metadata"]
    for name, deployment in by_kind(overlay, "Deployment").items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{name} lacks {probe}"
        if name.startswith("inference-"):
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0, name


def test_pdbs_hpas_and_services(overlay: list[dict]) -> None:
    deployments = by_kind(overlay, "Deployment")
    pdbs = by_kind(overlay, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [p for p in pdbs.values()
                    if p["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, f"{name}: {len(matching)} PDBs"
    hpa_targets = {h["spec"]["scaleTargetRef"]["name"]
                   for h in by_kind(overlay, "HorizontalPodAutoscaler").values()}
    assert hpa_targets == {"gateway", *(f"inference-{m}" for m in MODELS)}
    services = by_kind(overlay, "Service")
    assert all(s["spec"]["type"] == "ClusterIP" for s in services.values())
    assert {"gateway", "frontend", "fine-tuning", *(f"inference-{m}" for m in MODELS)} \
        <= set(services)


def test_gateway_knows_every_inference_service(overlay: list[dict]) -> None:
    import json

    config = by_kind(overlay, "ConfigMap")["nst-config"]["data"]
    urls = json.loads(config["NST_INFERENCE_URLS"])
    services = by_kind(overlay, "Service")
    assert sorted(urls) == list(MODELS)
    for model, url in urls.items():
        host, port = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url).groups()
        assert host == f"inference-{model}"
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}


def test_shared_storage_is_rwx_and_mounted(overlay: list[dict]) -> None:
    (pvc,) = by_kind(overlay, "PersistentVolumeClaim").values()
    (pv,) = by_kind(overlay, "PersistentVolume").values()
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"] == pv["spec"]["accessModes"]
    assert pvc["spec"]["volumeName"] == pv["metadata"]["name"]
    for name, deployment in by_kind(overlay, "Deployment").items():
        if name == "frontend":
            continue
        spec = deployment["spec"]["template"]["spec"]
        claims = {v["name"] for v in spec["volumes"]
                  if v.get("persistentVolumeClaim", {}).get("claimName") == pvc["metadata"]["name"]}
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert any(mounts.get(c) == "/data" for c in claims), name


def test_ingress_tls_routes_and_no_fine_tuning(overlay: list[dict]) -> None:
    ingresses = by_kind(overlay, "Ingress").values()
    routes = {}
    for ingress in ingresses:
        assert ingress["spec"]["tls"] and ingress["spec"]["tls"][0]["secretName"]
        annotations = ingress["metadata"]["annotations"]
        assert "nginx.ingress.kubernetes.io/proxy-body-size" in annotations
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]
            for path in rule["http"]["paths"]:
                routes[path["path"]] = path["backend"]["service"]["name"]
    assert routes["/"] == "frontend"
    assert [s for p, s in routes.items() if p.startswith("/api")] == ["gateway"]
    assert "fine-tuning" not in routes.values()


def test_network_policies(overlay: list[dict]) -> None:
    policies = by_kind(overlay, "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    dns = policies["allow-dns-egress"]["spec"]["egress"][0]["ports"]
    assert {(p["protocol"], p["port"]) for p in dns} == {("UDP", 53), ("TCP", 53)}

    def sources(policy: str) -> list[dict]:
        return [src for rule in policies[policy]["spec"]["ingress"] for src in rule["from"]]

    def pod_names(items: list[dict]) -> set[str]:
        return {s["podSelector"]["matchLabels"].get("app.kubernetes.io/name", "")
                for s in items if "podSelector" in s and "namespaceSelector" not in s}

    def namespaces(items: list[dict]) -> set[str]:
        return {s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                for s in items if "namespaceSelector" in s}

    assert pod_names(sources("inference")) == {"gateway"}
    assert namespaces(sources("inference")) == {"monitoring"}
    assert pod_names(sources("gateway")) == {"frontend"}
    assert "ingress-nginx" in namespaces(sources("gateway"))
    # fine-tuning: only labelled in-cluster clients (and Prometheus), never the Ingress.
    ft = sources("fine-tuning")
    assert namespaces(ft) == {"monitoring"}
    assert [s["podSelector"]["matchLabels"] for s in ft if "podSelector" in s] == [
        {"nst.io/finetune-client": "true"}]
    gateway_egress = policies["gateway"]["spec"]["egress"]
    assert [t["podSelector"]["matchLabels"] for r in gateway_egress for t in r["to"]] == [
        {"app.kubernetes.io/name": "inference"}]
    frontend_egress = policies["frontend"]["spec"]["egress"]
    assert [t["podSelector"]["matchLabels"] for r in frontend_egress for t in r["to"]] == [
        {"app.kubernetes.io/name": "gateway"}]


def test_admin_token_only_from_a_secret(overlay: list[dict]) -> None:
    assert not [o for o in overlay if o["kind"] == "Secret"]
    for obj in workloads(overlay, APP_NAMESPACES):
        for container in containers(obj):
            for env in container.get("env", []):
                if env["name"] == "NST_ADMIN_TOKEN":
                    assert "value" not in env
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "nst-admin-token"


def test_overlays_differ_where_they_should(rendered: dict) -> None:
    dev, prod = by_kind(rendered["dev"], "Deployment"), by_kind(rendered["prod"], "Deployment")
    assert {d["metadata"]["namespace"] for d in dev.values()} == {"nst-dev"}
    assert {d["metadata"]["namespace"] for d in prod.values()} == {"nst"}
    assert dev["inference-model1"]["spec"]["replicas"] == 1
    assert prod["inference-model1"]["spec"]["replicas"] == 2
    dev_pv = next(iter(by_kind(rendered["dev"], "PersistentVolume").values()))
    prod_pv = next(iter(by_kind(rendered["prod"], "PersistentVolume").values()))
    assert "hostPath" in dev_pv["spec"] and "nfs" in prod_pv["spec"]


def test_elk_stack(rendered: dict) -> None:
    elk = rendered["elk"]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in elk}
    assert {("StatefulSet", "elasticsearch"), ("Deployment", "logstash"),
            ("Deployment", "kibana"), ("DaemonSet", "filebeat")} <= kinds
    configmaps = by_kind(elk, "ConfigMap")
    pipeline = next(c for n, c in configmaps.items() if n.startswith("logstash-pipeline"))
    assert "json {" in pipeline["data"]["nst.conf"]
    filebeat = next(c for n, c in configmaps.items() if n.startswith("filebeat-config"))
    assert "logstash:5044" in filebeat["data"]["filebeat.yml"]


def test_monitoring_stack(rendered: dict) -> None:
    mon = rendered["monitoring"]
    configmaps = by_kind(mon, "ConfigMap")
    prom = next(c for n, c in configmaps.items() if n.startswith("prometheus-config"))
    assert "kubernetes_sd_configs" in prom["data"]["prometheus.yml"]
    dashboards = next(c for n, c in configmaps.items() if n.startswith("grafana-dashboards"))
    assert "nst_inference_seconds_bucket" in dashboards["data"]["nst-dashboard.json"]
    assert {"prometheus", "grafana"} <= set(by_kind(mon, "Deployment"))
