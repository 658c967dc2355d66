#!/usr/bin/env bash
# Makes sure redis-server is installed and, with --start, that a Redis answers on $REDIS_HOST:$REDIS_PORT
# (default 127.0.0.1:6379). If none answers, starts a local one with AOF persistence under .data/redis.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-redis: need root (or sudo) to run: $*" >&2; exit 1; fi
}

# redis-server also runs the tests' Sentinels (--sentinel); redis-cli (redis-tools) makes their Redis
# Cluster; openssl makes the private CA of the Redis TLS test.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-redis: installing ${missing[*]} (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--start" ] || exit 0

host="${REDIS_HOST:-127.0.0.1}"
port="${REDIS_PORT:-6379}"
if redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
  echo "ensure-redis: Redis answers on $host:$port"
  exit 0
fi
if [ "$host" != 127.0.0.1 ] && [ "$host" != localhost ]; then
  echo "ensure-redis: no Redis answers on $host:$port; start it or set REDIS_HOST/REDIS_PORT" >&2
  exit 1
fi
dir="$(pwd)/.data/redis"
mkdir -p "$dir"
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync everysec \
  --save "" --daemonize yes --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
for _ in $(seq 1 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "ensure-redis: started Redis on 127.0.0.1:$port (AOF in $dir)"; exit 0; }
  sleep 0.1
done
echo "ensure-redis: Redis did not start; see $dir/redis.log" >&2
exit 1
