#!/usr/bin/env bash
# Three Weaviate nodes on loopback, a collection with replication factor 2
# over three shards, one node stopped: questions still answered. Runs
# TestWeaviateCluster against the nodes and prints its output (the issue
# note quotes it). Needs weaviate-server (scripts/services.sh builds it).
#
#   bash scripts/weaviate-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/footnote-wv-cluster.XXXX)
weaviate=${WEAVIATE_SERVER:-$(go env GOPATH)/bin/weaviate-server}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
for port in 27100 28080; do # a previous run's nodes may still be exiting
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || break; sleep 0.2; done
done
for i in 0 1 2; do
  mkdir -p "$dir/node$i"
  (cd "$dir"; exec env -i PATH="$PATH" HOME="$dir" \
    PERSISTENCE_DATA_PATH="$dir/node$i" AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none DISABLE_TELEMETRY=true \
    CLUSTER_HOSTNAME="weaviate-$i" CLUSTER_IN_LOCALHOST=true CLUSTER_BIND_ADDR=127.0.0.1 \
    CLUSTER_ADVERTISE_ADDR=127.0.0.1 CLUSTER_ADVERTISE_PORT=$((27100 + 5*i)) \
    CLUSTER_GOSSIP_BIND_PORT=$((27100 + 5*i)) CLUSTER_DATA_BIND_PORT=$((27101 + 5*i)) CLUSTER_JOIN=localhost:27100 \
    RAFT_PORT=$((28300 + 2*i)) RAFT_INTERNAL_RPC_PORT=$((28301 + 2*i)) \
    RAFT_JOIN="weaviate-0:28300,weaviate-1:28302,weaviate-2:28304" RAFT_BOOTSTRAP_EXPECT=3 RAFT_TIMEOUTS_MULTIPLIER=1 \
    GRPC_PORT=$((25051 + i)) GO_PROFILING_PORT=$((26060 + i)) \
    "$weaviate" --host 127.0.0.1 --port $((28080 + i)) --scheme http >"$dir/node$i.log" 2>&1 </dev/null) &
  pids+=($!)
  if [ "$i" = 0 ]; then
    # The others join through node 0's gossip port: wait for it.
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/27100) 2>/dev/null && break; sleep 0.2; done
  fi
done
urls=() 
for i in 0 1 2; do
  url="http://127.0.0.1:$((28080 + i))"
  for _ in $(seq 1 240); do
    curl -fsS "$url/v1/.well-known/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "$url/v1/.well-known/ready" >/dev/null || { echo "node $i not ready:"; tail -20 "$dir/node$i.log"; exit 1; }
  urls+=("$url")
done
echo "three nodes ready: ${urls[*]}"
curl -fsS "${urls[0]}/v1/nodes" | head -c 600; echo
FOOTNOTE_TEST_WEAVIATE_CLUSTER="$(IFS=,; echo "${urls[*]}")" FOOTNOTE_TEST_WEAVIATE_CLUSTER_PIDS="$(IFS=,; echo "${pids[*]}")" \
  go test ./retrieval/weaviate -run '^TestWeaviateCluster$' -count=1 -v
