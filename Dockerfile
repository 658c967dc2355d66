# syntax=docker/dockerfile:1
# Versus container image: both binaries (versus-api, versus-worker), the default configuration and
# message templates. Build: docker build -t versus:0.1.0 .
# The same image runs either process: `versus-api` (the default command) or `versus-worker`.

# At least the workspace's rust-version (Cargo.toml).
ARG RUST_IMAGE=rust:1.94-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# The whole workspace (see .dockerignore): every member's manifest is needed to build any of them.
COPY . .
# BuildKit cache mounts keep the crates and the target directory between builds; the binaries are
# copied out of the cached target directory, which is not part of the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin versus-api --bin versus-worker \
    && install -D -m 0755 -t /out target/release/versus-api target/release/versus-worker

FROM ${RUNTIME_IMAGE}
# ca-certificates: TLS to Slack, AWS and (with redis.tls) Redis.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 versus \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin versus

WORKDIR /app
COPY --from=builder /out/versus-api /out/versus-worker /usr/local/bin/
# Defaults for `docker run`: config/config.yaml and the message templates (config/*.tmpl). In
# Kubernetes the chart mounts its own in /etc/versus and passes --config.
COPY --chown=root:root config/ /app/config/

LABEL org.opencontainers.image.title="versus" \
      org.opencontainers.image.description="On-call alert relay: Alertmanager to Slack, escalation to AWS Incident Manager" \
      org.opencontainers.image.licenses="MIT"

EXPOSE 3000 3001
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
CMD ["versus-api"]
