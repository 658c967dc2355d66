"""The Dockerfile, .dockerignore and docker-compose.yml agree with the workspace and the chart.

No Docker engine runs here, so the image is not built; these checks read the files (scripts/check-chart.sh
also runs hadolint on the Dockerfile).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from typing import Any

import yaml

from chartlib import REPO_DIR

BINARIES = ("versus-api", "versus-worker")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (REPO_DIR / "Dockerfile").read_text().splitlines():
        if raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip():
            lines.append(current.strip())
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for inst, args in dockerfile_instructions():
        if inst == "FROM":
            out.append([])
        if out:
            out[-1].append((inst, args))
    return out


def arg_defaults() -> dict[str, str]:
    defaults = {}
    for inst, args in dockerfile_instructions():
        if inst == "ARG" and "=" in args:
            k, v = args.split("=", 1)
            defaults[k.strip()] = v.strip()
    return defaults


def base_image(stage: list[tuple[str, str]]) -> str:
    image = stage[0][1].split()[0]
    return re.sub(r"\$\{?(\w+)\}?", lambda m: arg_defaults().get(m.group(1), m.group(0)), image)


def test_workspace_binaries_are_the_ones_packaged() -> None:
    for crate, binary in (("api", "versus-api"), ("worker", "versus-worker")):
        manifest = tomllib.loads((REPO_DIR / crate / "Cargo.toml").read_text())
        names = [b["name"] for b in manifest.get("bin", [])] or [manifest["package"]["name"]]
        assert binary in names, f"{crate}/Cargo.toml builds no binary named {binary}"


def test_dockerfile_is_multi_stage_rust_to_slim() -> None:
    s = stages()
    assert len(s) >= 2, "multi-stage build expected"
    assert re.fullmatch(r"rust:[\w.-]*bookworm", base_image(s[0])), base_image(s[0])
    assert s[0][0][1].split()[-1] == "builder"
    final = base_image(s[-1])
    assert final.startswith(("debian:bookworm-slim", "gcr.io/distroless/cc")), final
    build = " ".join(a for i, a in s[0] if i == "RUN")
    assert "cargo build" in build and "--release" in build and "--locked" in build
    for binary in BINARIES:
        assert f"--bin {binary}" in build


def test_final_image_runs_non_root_with_both_binaries_config_and_certificates() -> None:
    final = stages()[-1]
    users = [a for i, a in final if i == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid (runAsNonRoot checks it)"
    copies = " ".join(a for i, a in final if i == "COPY")
    for binary in BINARIES:
        assert re.search(rf"--from=builder\S* .*{binary}.* /usr/local/bin/", copies), f"{binary} not copied"
    assert re.search(r"(^| )config/? ", copies), "config/ (config.yaml and *.tmpl) not copied"
    runs = " ".join(a for i, a in final if i == "RUN")
    assert "ca-certificates" in runs
    cmd = [a for i, a in final if i in ("CMD", "ENTRYPOINT")]
    assert cmd and "versus-api" in cmd[-1]
    assert (REPO_DIR / "config" / "config.yaml").exists()


def test_dockerignore_keeps_the_workspace() -> None:
    patterns = [
        line.strip() for line in (REPO_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        result = False
        for p in patterns:
            negate = p.startswith("!")
            pat = p.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.replace("**/", "")):
                result = not negate
        return result

    members = tomllib.loads((REPO_DIR / "Cargo.toml").read_text())["workspace"]["members"]
    for path in ["Cargo.toml", "Cargo.lock", "config", *members]:
        assert not ignored(path), f".dockerignore drops {path}, which the build needs"
    assert ignored("target"), "target/ must stay out of the build context"
    assert ignored(".git")


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())


def test_compose_runs_api_worker_and_persistent_redis() -> None:
    c = compose()
    services = c["services"]
    assert {"api", "worker", "redis"} <= set(services)
    redis = services["redis"]
    command = " ".join(redis["command"]) if isinstance(redis["command"], list) else redis["command"]
    assert re.search(r"--appendonly\s+yes", command), "Redis must run with AOF"
    password = re.search(r"--requirepass\s+(\S+)", command)
    assert password, "Redis must have a password"
    data = [v for v in redis["volumes"] if v.split(":")[1] == "/data"]
    assert data and data[0].split(":")[0] in c["volumes"], "Redis data must be on a named volume"
    assert services["api"]["command"][0] == "versus-api"
    assert services["worker"]["command"][0] == "versus-worker"
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["REDIS_HOST"] == "redis"
        assert env["REDIS_PASSWORD"].split(":")[0] == password.group(1).split(":")[0], "same password variable"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    grace = int(re.fullmatch(r"(\d+)s", services["worker"]["stop_grace_period"]).group(1))
    assert grace > 25, "the worker's stop grace must exceed worker.shutdown_grace_seconds (25)"
    assert "ports" not in redis, "Redis is not published"


def test_compose_provides_every_variable_config_yaml_requires() -> None:
    text = "\n".join(
        line for line in (REPO_DIR / "config" / "config.yaml").read_text().splitlines() if not line.lstrip().startswith("#")
    )
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))  # no ":-default"
    env = compose()["services"]["api"]["environment"]
    assert not required - set(env), f"compose does not set {required - set(env)}"
