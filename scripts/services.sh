#!/usr/bin/env bash
# Starts the engines footnote scales out on, on loopback, for the tests:
# Redis, PostgreSQL and a one-node Weaviate. Installs Debian's redis-server
# and PostgreSQL and builds weaviate-server (about five minutes, once per
# machine) when they are missing. Prints the settings the tests read:
#
#   eval "$(bash scripts/services.sh)"
#
# Everything lives in $FOOTNOTE_SERVICES_DIR (default /tmp/footnote-services);
# `bash scripts/services.sh stop` stops it all.
set -euo pipefail
dir=${FOOTNOTE_SERVICES_DIR:-/tmp/footnote-services}
redis_port=16379 pg_port=15432 wv_port=18080
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
weaviate=${WEAVIATE_SERVER:-$(go env GOPATH)/bin/weaviate-server}

log() { echo "services: $*" >&2; }

if [ "${1:-}" = stop ]; then
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  [ -n "$pgbin" ] && [ -d "$dir/pg" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
  [ -f "$dir/weaviate.pid" ] && kill "$(cat "$dir/weaviate.pid")" 2>/dev/null || true
  exit 0
fi

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -n "$pgbin" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >"/tmp/footnote-services-apt.log" 2>&1 \
    || { log "could not install ${need[*]}"; tail -5 /tmp/footnote-services-apt.log >&2; exit 1; }
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  # Debian starts a cluster of its own on 5432; ours runs on its own port.
fi
if [ ! -x "$weaviate" ]; then
  log "building weaviate-server v1.35.2 (about five minutes, once per machine)"
  GOFLAGS=-mod=mod go install github.com/weaviate/weaviate/cmd/weaviate-server@v1.35.2 >&2
fi

mkdir -p "$dir"
chmod 755 "$dir"

# Redis: no persistence, loopback only.
if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
fi

# PostgreSQL: a throwaway cluster owned by the postgres user (it refuses
# to run as root), trust authentication on loopback.
if ! "$pgbin/pg_isready" -h 127.0.0.1 -p "$pg_port" >/dev/null 2>&1; then
  if [ ! -f "$dir/pg/PG_VERSION" ]; then
    rm -rf "$dir/pg"; mkdir -p "$dir/pg"; chown postgres "$dir/pg"
    runuser -u postgres -- "$pgbin/initdb" -D "$dir/pg" -A trust -U postgres >"$dir/initdb.log" 2>&1
  fi
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
  runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'CREATE DATABASE footnote_test' >&2 2>/dev/null || true
fi

# Weaviate: one node, no vectorizer, anonymous access, loopback only.
if ! curl -fsS "http://127.0.0.1:$wv_port/v1/.well-known/ready" >/dev/null 2>&1; then
  mkdir -p "$dir/weaviate"
  (cd "$dir"; exec env -i PATH="$PATH" HOME="$dir" \
    PERSISTENCE_DATA_PATH="$dir/weaviate" AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none DISABLE_TELEMETRY=true QUERY_DEFAULTS_LIMIT=25 \
    CLUSTER_HOSTNAME=node1 CLUSTER_IN_LOCALHOST=true CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_ADVERTISE_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT=17946 CLUSTER_DATA_BIND_PORT=17947 \
    RAFT_PORT=18300 RAFT_INTERNAL_RPC_PORT=18301 RAFT_JOIN=node1:18300 RAFT_BOOTSTRAP_EXPECT=1 \
    GRPC_PORT=15051 PROMETHEUS_MONITORING_ENABLED=false \
    "$weaviate" --host 127.0.0.1 --port "$wv_port" --scheme http >"$dir/weaviate.log" 2>&1 </dev/null) &
  echo $! >"$dir/weaviate.pid"
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$wv_port/v1/.well-known/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$wv_port/v1/.well-known/ready" >/dev/null 2>&1 \
    || { log "weaviate did not become ready:"; tail -20 "$dir/weaviate.log" >&2; exit 1; }
fi

echo "export FOOTNOTE_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
echo "export FOOTNOTE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/footnote_test?sslmode=disable"
echo "export FOOTNOTE_TEST_WEAVIATE_URL=http://127.0.0.1:$wv_port"
