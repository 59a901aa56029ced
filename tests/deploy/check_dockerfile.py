#!/usr/bin/env python3
"""deploy/docker/Dockerfile, read as text (no Docker engine is needed):

  - the final stage's ENTRYPOINT is the binary alone and CMD ["run"] (exec form), so that arguments to
    `docker run IMAGE ...` (and a Kubernetes container's args) name a command: `check-config FILE` works;
  - it runs as a numeric non-root USER;
  - the OCI labels org.opencontainers.image.{title,description,source,licenses,version,revision} are set,
    version and revision from the build arguments VERSION and REVISION;
  - VERSION's default equals Cargo.toml's version, and the build passes REVISION to build.rs as LEAKSOAK_REVISION;
  - every path the build COPYs from the context is let through Dockerfile.dockerignore.
"""
import json
import pathlib
import re
import shlex
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy/docker"
OCI = ("title", "description", "source", "licenses", "version", "revision")


def instructions(text):
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not pending:
            continue
        pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\") and pending.strip():
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def main():
    errors = []
    text = (DOCKER / "Dockerfile").read_text()
    steps = instructions(text)
    froms = [i for i, (w, _) in enumerate(steps) if w == "FROM"]
    final = steps[froms[-1]:]
    get = lambda word, among=final: [a for w, a in among if w == word]
    if [json.loads(a) for a in get("ENTRYPOINT")] != [["/usr/local/bin/leaksoak"]]:
        errors.append(f"ENTRYPOINT must be [\"/usr/local/bin/leaksoak\"] alone, got {get('ENTRYPOINT')}")
    if [json.loads(a) for a in get("CMD")] != [["run"]]:
        errors.append(f"CMD must be [\"run\"], got {get('CMD')}")
    users = get("USER")
    if len(users) != 1 or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[0]):
        errors.append(f"USER must be one numeric non-root user, got {users}")
    labels = dict(kv.split("=", 1) for a in get("LABEL") for kv in shlex.split(a))
    for key in OCI:
        if f"org.opencontainers.image.{key}" not in labels:
            errors.append(f"no LABEL org.opencontainers.image.{key}")
    for key, arg in (("version", "VERSION"), ("revision", "REVISION")):
        if labels.get(f"org.opencontainers.image.{key}") != f"${{{arg}}}":
            errors.append(f"org.opencontainers.image.{key} must come from the build argument {arg}")
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    if f"VERSION={version}" not in get("ARG", steps):
        errors.append(f"ARG VERSION's default must be Cargo.toml's version {version}")
    if not any('LEAKSOAK_REVISION="$REVISION"' in a for a in get("RUN", steps)):
        errors.append("the build must pass REVISION to build.rs as LEAKSOAK_REVISION")
    allowed = [l for l in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines() if l.startswith("!")]
    for a in get("COPY", steps):
        if a.startswith("--from"):
            continue
        for src in a.split()[:-1]:
            if not any(pathlib.PurePosixPath(src).match(p[1:].removesuffix("/**")) for p in allowed):
                errors.append(f"COPY {src}: not let through Dockerfile.dockerignore")
    for e in errors:
        print("FAIL:", e)
    print(f"Dockerfile: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
