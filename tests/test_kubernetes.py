"""The Kubernetes manifests in deploy/kubernetes keep their promises, checked offline:
each overlay renders with kustomize (built into kubectl), its core resources are valid
for Kubernetes (kubernetes-validate's bundled schemas), and the operators' resources
use the apiVersion, kind and fields their documentation defines."""

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from partanum.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(path.name for path in (KUBERNETES / "overlays").iterdir())
IMPLEMENTED = [name for name in SERVICES if (ROOT / "services" / name / "service.py").exists()]
OPERATOR_KINDS = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
}
# Applied in this order (README.md): each stage ready before the next.
STAGES = ("infrastructure", "migrate", "services")

# The fields the operators' API references define, for the parts we write.
# RabbitMQ Cluster Operator, rabbitmq.com/v1beta1 RabbitmqClusterSpec:
RABBITMQ_CLUSTER_FIELDS = {
    "replicas": None,
    "image": None,
    "imagePullSecrets": None,
    "service": None,
    "persistence": {"storageClassName": None, "storage": None},
    "resources": None,
    "affinity": None,
    "tolerations": None,
    "rabbitmq": {
        "additionalPlugins": None,
        "additionalConfig": None,
        "advancedConfig": None,
        "envConfig": None,
        "erlangInetConfig": None,
    },
    "tls": None,
    "override": None,
    "skipPostDeployStep": None,
    "terminationGracePeriodSeconds": None,
    "delayStartSeconds": None,
    "secretBackend": None,
    "autoEnableAllFeatureFlags": None,
}
# CloudNativePG, postgresql.cnpg.io/v1 ClusterSpec and ScheduledBackupSpec:
SECRET_KEY_SELECTOR = {"name": None, "key": None}
CNPG_CLUSTER_FIELDS = {
    "description": None,
    "inheritedMetadata": None,
    "imageName": None,
    "imageCatalogRef": None,
    "imagePullPolicy": None,
    "schedulerName": None,
    "postgresUID": None,
    "postgresGID": None,
    "instances": None,
    "minSyncReplicas": None,
    "maxSyncReplicas": None,
    "postgresql": None,
    "replicationSlots": None,
    "bootstrap": {
        "initdb": {
            "database": None,
            "owner": None,
            "secret": None,
            "options": None,
            "dataChecksums": None,
            "encoding": None,
            "localeCollate": None,
            "localeCType": None,
            "locale": None,
            "localeProvider": None,
            "icuLocale": None,
            "icuRules": None,
            "builtinLocale": None,
            "walSegmentSize": None,
            "postInitSQL": None,
            "postInitApplicationSQL": None,
            "postInitTemplateSQL": None,
            "import": None,
            "postInitSQLRefs": None,
            "postInitApplicationSQLRefs": None,
            "postInitTemplateSQLRefs": None,
        },
        "recovery": None,
        "pg_basebackup": None,
    },
    "replica": None,
    "superuserSecret": None,
    "enableSuperuserAccess": None,
    "certificates": None,
    "imagePullSecrets": None,
    "storage": {
        "storageClass": None,
        "size": None,
        "resizeInUseVolumes": None,
        "pvcTemplate": None,
    },
    "serviceAccountTemplate": None,
    "walStorage": None,
    "ephemeralVolumeSource": None,
    "startDelay": None,
    "stopDelay": None,
    "smartShutdownTimeout": None,
    "switchoverDelay": None,
    "failoverDelay": None,
    "livenessProbeTimeout": None,
    "affinity": None,
    "topologySpreadConstraints": None,
    "resources": None,
    "ephemeralVolumesSizeLimit": None,
    "priorityClassName": None,
    "primaryUpdateStrategy": None,
    "primaryUpdateMethod": None,
    "backup": {
        "barmanObjectStore": {
            "destinationPath": None,
            "endpointURL": None,
            "endpointCA": None,
            "serverName": None,
            "s3Credentials": {
                "accessKeyId": SECRET_KEY_SELECTOR,
                "secretAccessKey": SECRET_KEY_SELECTOR,
                "region": SECRET_KEY_SELECTOR,
                "sessionToken": SECRET_KEY_SELECTOR,
                "inheritFromIAMRole": None,
            },
            "azureCredentials": None,
            "googleCredentials": None,
            "wal": {
                "compression": None,
                "encryption": None,
                "maxParallel": None,
                "archiveAdditionalCommandArgs": None,
                "restoreAdditionalCommandArgs": None,
            },
            "data": None,
            "tags": None,
            "historyTags": None,
        },
        "retentionPolicy": None,
        "target": None,
        "volumeSnapshot": None,
    },
    "nodeMaintenanceWindow": None,
    "monitoring": None,
    "externalClusters": None,
    "logLevel": None,
    "projectedVolumeTemplate": None,
    "env": None,
    "envFrom": None,
    "managed": None,
    "seccompProfile": None,
    "tablespaces": None,
    "enablePDB": None,
    "plugins": None,
    "probes": None,
}
CNPG_SCHEDULED_BACKUP_FIELDS = {
    "suspend": None,
    "immediate": None,
    "schedule": None,
    "cluster": {"name": None},
    "backupOwnerReference": None,
    "target": None,
    "method": None,
    "pluginConfiguration": None,
    "online": None,
    "onlineConfiguration": None,
}


def unknown_fields(value, fields, where="spec"):
    """Paths under `where` that `fields` (name -> sub-fields, None: not checked) does not define."""
    found = []
    for name, sub in value.items():
        if name not in fields:
            found.append(f"{where}.{name}")
        elif fields[name] is not None and isinstance(sub, dict):
            found += unknown_fields(sub, fields[name], f"{where}.{name}")
    return found


def render(overlay):
    if shutil.which("kubectl") is None:
        pytest.fail(
            "kubectl (1.21 or later, whose kustomize renders the overlays) is not installed"
        )
    result = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [resource for resource in yaml.safe_load_all(result.stdout) if resource]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request):
    """Every resource of one overlay, rendered."""
    return render(request.param)


def one(resources, kind, name=None):
    (found,) = [r for r in resources if r["kind"] == kind and name in (None, r["metadata"]["name"])]
    return found


@pytest.fixture(params=IMPLEMENTED)
def deployment(request, rendered):
    name = request.param
    found = [r for r in rendered if r["kind"] == "Deployment" and r["metadata"]["name"] == name]
    if not found:
        pytest.fail(f"services/{name}/service.py exists but no overlay deploys {name}")
    return name, found[0], rendered


def container_of(workload):
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def test_there_is_an_overlay_for_a_neighbourhood_and_for_a_city():
    assert {"neighbourhood", "city"} <= set(OVERLAYS)


def test_every_core_resource_is_valid_kubernetes(rendered):
    core = [r for r in rendered if (r["apiVersion"], r["kind"]) not in OPERATOR_KINDS]
    assert {r["kind"] for r in core} >= {"Deployment", "PodDisruptionBudget", "Job", "Service"}
    for resource in core:
        # Strict: a misspelt field is an error, not a field Kubernetes ignores.
        kubernetes_validate.validate(resource, "1.37", strict=True)


def test_every_resource_belongs_to_one_apply_stage(rendered):
    for resource in rendered:
        assert resource["metadata"]["labels"]["partanum/stage"] in STAGES, resource["metadata"]
    assert {
        r["kind"] for r in rendered if r["metadata"]["labels"]["partanum/stage"] == "infrastructure"
    } == {kind for _api, kind in OPERATOR_KINDS}


def test_each_service_runs_as_several_replicas_of_the_overlays_image(deployment):
    name, workload, _ = deployment
    assert workload["spec"]["replicas"] >= 2
    container = container_of(workload)
    assert container["args"] == [name]
    assert re.fullmatch(r".+/partanum:\d+\.\d+\.\d+", container["image"])


def test_each_service_is_ready_and_alive_when_partanum_health_answers(deployment):
    name, workload, _ = deployment
    container = container_of(workload)
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == ["python", "-m", "partanum.health", name]
    # Not restarted sooner than a broker outage of a minute or two lasts.
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 120


def test_each_service_states_the_resources_it_needs(deployment):
    _name, workload, _ = deployment
    resources = container_of(workload)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_a_node_drain_never_takes_every_pod_of_a_service(deployment):
    name, workload, rendered = deployment
    budget = one(rendered, "PodDisruptionBudget", name)
    selected = budget["spec"]["selector"]["matchLabels"]
    assert selected.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    assert budget["spec"]["maxUnavailable"] < workload["spec"]["replicas"]


def test_each_service_has_its_own_database_and_no_secret_in_the_manifests(deployment):
    name, workload, rendered = deployment
    env = {variable["name"]: variable for variable in container_of(workload)["env"]}
    url = env[f"{name.upper()}_DATABASE_URL"]["value"]
    assert re.fullmatch(rf"postgresql://\$\(\w+\):\$\(\w+\)@postgres-rw:5432/{name}", url)
    assert re.fullmatch(r"amqp://\$\(\w+\):\$\(\w+\)@rabbitmq:5672/", env["AMQP_URI"]["value"])
    for variable in env.values():
        if re.search(r"USER|PASSWORD|KEY", variable["name"]):
            assert "secretKeyRef" in variable["valueFrom"], variable
    cluster = one(rendered, "Cluster", "postgres")
    assert (
        f"CREATE DATABASE {name} OWNER app" in cluster["spec"]["bootstrap"]["initdb"]["postInitSQL"]
    )


def test_the_migrations_run_as_a_job_for_every_service_before_the_services(rendered):
    job = one(rendered, "Job", "migrate")
    assert job["metadata"]["labels"]["partanum/stage"] == "migrate"
    container = container_of(job)
    assert container["command"] == ["python", "-m", "partanum.migrate", *IMPLEMENTED]
    names = {variable["name"] for variable in container["env"]}
    assert {f"{name.upper()}_DATABASE_URL" for name in IMPLEMENTED} <= names
    deployments = [r for r in rendered if r["kind"] == "Deployment"]
    assert {d["metadata"]["labels"]["partanum/stage"] for d in deployments} == {"services"}
    assert {container_of(d)["image"] for d in deployments} == {container["image"]}


def test_the_gateway_is_served_on_its_http_port(rendered):
    service = one(rendered, "Service", "gateway")
    gateway = one(rendered, "Deployment", "gateway")
    assert (
        service["spec"]["selector"].items()
        <= gateway["spec"]["template"]["metadata"]["labels"].items()
    )
    (port,) = service["spec"]["ports"]
    assert {"name": port["targetPort"], "containerPort": 8000} in container_of(gateway)["ports"]


def test_rabbitmq_is_a_cluster_of_the_rabbitmq_operator_of_a_named_version(rendered):
    broker = one(rendered, "RabbitmqCluster")
    assert broker["apiVersion"] == "rabbitmq.com/v1beta1"
    assert (
        broker["metadata"]["name"] == "rabbitmq"
    )  # its Service and Secret, which the services use
    assert unknown_fields(broker["spec"], RABBITMQ_CLUSTER_FIELDS) == []
    assert re.fullmatch(r"rabbitmq:3\.\d+\.\d+-management", broker["spec"]["image"])
    # Quorum queues need a majority of the nodes.
    assert broker["spec"]["replicas"] % 2 == 1


def test_postgresql_is_a_cloudnativepg_cluster_of_a_named_version_backed_up_every_day(rendered):
    cluster = one(rendered, "Cluster")
    assert (cluster["apiVersion"], cluster["metadata"]["name"]) == (
        "postgresql.cnpg.io/v1",
        "postgres",
    )
    assert unknown_fields(cluster["spec"], CNPG_CLUSTER_FIELDS) == []
    assert re.fullmatch(
        r"ghcr\.io/cloudnative-pg/postgresql:\d+\.\d+", cluster["spec"]["imageName"]
    )
    assert cluster["spec"]["instances"] >= 1 and cluster["spec"]["storage"]["size"]
    assert re.fullmatch(r"[1-9][0-9]*[dwm]", cluster["spec"]["backup"]["retentionPolicy"])
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"]

    scheduled = one(rendered, "ScheduledBackup")
    assert scheduled["apiVersion"] == "postgresql.cnpg.io/v1"
    assert unknown_fields(scheduled["spec"], CNPG_SCHEDULED_BACKUP_FIELDS) == []
    assert scheduled["spec"]["cluster"]["name"] == "postgres"
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    # CloudNativePG's schedules have six fields, seconds first; at a fixed hour, every day.
    seconds, minutes, hours, *every_day = scheduled["spec"]["schedule"].split()
    assert (
        seconds.isdigit() and minutes.isdigit() and hours.isdigit() and every_day == ["*", "*", "*"]
    )


def test_a_field_the_operators_do_not_define_is_caught():
    spec = {"replicas": 3, "persistence": {"storage": "1Gi", "size": "1Gi"}, "replica": 3}
    assert unknown_fields(spec, RABBITMQ_CLUSTER_FIELDS) == [
        "spec.persistence.size",
        "spec.replica",
    ]
