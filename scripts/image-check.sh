#!/usr/bin/env bash
# Checks the Dockerfile on a machine with no container registry access:
# 1. runs the build stage's exact commands here (go mod download; the
#    CGO_ENABLED=0 go build with -ldflags; footnote version);
# 2. checks the binary is static (the runtime stage is scratch: no libc),
#    answers from a mounted articles folder, refuses `serve` without a token,
#    and that the HEALTHCHECK command (`footnote health`) works;
# 3. if buildah is installed, assembles the runtime stage as the Dockerfile
#    does (FROM scratch, the same COPYs, ENV, USER, ENTRYPOINT), commits the
#    image and runs its binary inside it as the non-root user.
# `buildah bud` of the Dockerfile itself fails here only because the golang
# base image cannot be pulled; the script says so when it tries.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

VERSION=ci COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
go mod download
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
  -o "$out/footnote" .
"$out/footnote" version | tee "$out/version.txt"
grep -q "footnote ci (commit ${COMMIT}" "$out/version.txt" || { echo "version not stamped"; exit 1; }

# Static: the ELF has no interpreter (no dynamic loader, no libc).
# (Outputs are captured before grep -q reads them: under pipefail, grep
# exiting at its first match can kill the writer with SIGPIPE and fail a
# check that passed.)
headers=$(readelf -l "$out/footnote")
if grep -q "Requesting program interpreter" <<<"$headers"; then
  echo "binary is dynamically linked; distroless/static would not run it"; exit 1
fi
echo "static binary: ok"

# The image's default environment with an articles volume and no token.
chmod 755 "$out"
mkdir -p "$out/articles"
printf '# Widgets\n\nWidgets click into place.\n' > "$out/articles/w.md"
answer=$(FOOTNOTE_CORPUS="$out/articles" "$out/footnote" ask "How do widgets click?")
grep -q "click into place" <<<"$answer" \
  || { echo "answer from the mounted articles failed"; exit 1; }
if FOOTNOTE_CORPUS="$out/articles" "$out/footnote" serve 2>"$out/serve.err"; then
  echo "serve without a token should fail"; exit 1
fi
grep -q DISCORD_TOKEN "$out/serve.err" || { echo "serve error does not name DISCORD_TOKEN"; exit 1; }

# The HEALTHCHECK command: fails when nothing listens, passes on a 200.
if "$out/footnote" health --url http://127.0.0.1:1/healthz 2>/dev/null; then
  echo "health should fail when nothing listens"; exit 1
fi
mkdir -p "$out/www" && echo ok > "$out/www/healthz"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
(cd "$out/www" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
srv=$!
for _ in $(seq 50); do "$out/footnote" health --url "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$out/footnote" health --url "http://127.0.0.1:$port/healthz" || { kill $srv; echo "health failed on a 200"; exit 1; }
kill $srv
echo "build stage commands: ok"

if command -v buildah >/dev/null 2>&1; then
  B="buildah --storage-driver vfs"
  if $B bud --quiet -t localhost/footnote:check . >"$out/bud.log" 2>&1; then
    echo "buildah bud of the Dockerfile: ok"
  else
    echo "buildah bud of the Dockerfile could not run here: $(tail -1 "$out/bud.log")"
    echo "assembling the runtime stage from the build stage's output instead"
  fi
  c=$($B from --format docker scratch)
  trap '$B rm "$c" >/dev/null 2>&1; rm -rf "$out"' EXIT
  # The runtime stage, step for step: the build stage's /out/data becomes
  # /data, owned by the container user.
  mkdir -p "$out/stage/data"
  $B copy "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
  $B copy "$c" "$out/footnote" /usr/local/bin/footnote >/dev/null
  $B copy --chown 65532:65532 "$c" "$out/stage/data" /data >/dev/null
  $B config --volume /articles --volume /data --env FOOTNOTE_CORPUS=/articles --env FOOTNOTE_HTTP_ADDR=:9090 \
    --env FOOTNOTE_DATA_DIR=/data --env FOOTNOTE_LOG_FORMAT=json --port 9090 --user 65532:65532 \
    --healthcheck 'CMD ["/usr/local/bin/footnote", "health", "--url", "http://127.0.0.1:9090/healthz"]' \
    --entrypoint '["/usr/local/bin/footnote"]' --cmd serve "$c"
  $B commit --quiet --format docker "$c" localhost/footnote:runtime >/dev/null
  $B run --isolation chroot "$c" -- /usr/local/bin/footnote version
  # buildah run shadows a declared VOLUME with an anonymous one, so the
  # articles go to another path here; the image's FOOTNOTE_CORPUS is checked
  # with inspect.
  config=$($B inspect --format '{{.OCIv1.Config.Env}} {{.OCIv1.Config.User}} {{.OCIv1.Config.Volumes}}' localhost/footnote:runtime)
  grep -q "FOOTNOTE_CORPUS=/articles.*FOOTNOTE_DATA_DIR=/data.* 65532:65532 .*/data" <<<"$config" \
    || { echo "image config lacks FOOTNOTE_CORPUS=/articles, FOOTNOTE_DATA_DIR=/data, the /data volume or the non-root user: $config"; exit 1; }
  $B run --isolation chroot -v "$out/articles:/mnt/articles:ro" "$c" -- /usr/local/bin/footnote ask --corpus /mnt/articles "How do widgets click?" \
    >"$out/image-ask.txt" 2>&1 || true
  grep -q "click into place" "$out/image-ask.txt" || { cat "$out/image-ask.txt"; echo "image did not answer from /articles"; exit 1; }
  echo "runtime image: config has FOOTNOTE_CORPUS=/articles, the /data volume and user 65532; its binary answers from a mounted folder: ok"

  # serve, as the image starts it (user 65532, the /data volume fresh),
  # against the in-process Discord running here as its own process (the
  # root package's TestFakeDiscordProcess), answering an /ask.
  go test -c -o "$out/fake.test" .
  mkfifo "$out/fake.in"
  FOOTNOTE_FAKE_DISCORD=1 "$out/fake.test" -test.run '^TestFakeDiscordProcess$' -test.v <"$out/fake.in" >"$out/fake.out" 2>&1 &
  fake=$!
  exec 3>"$out/fake.in" # the fake runs until this closes
  for _ in $(seq 100); do grep -q '^control ' "$out/fake.out" && break; sleep 0.1; done
  api=$(sed -n 's/^api //p' "$out/fake.out")
  control=$(sed -n 's/^control //p' "$out/fake.out")
  [ -n "$api" ] && [ -n "$control" ] || { cat "$out/fake.out"; echo "the in-process Discord did not start"; exit 1; }
  hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  $B run --isolation chroot -e DISCORD_TOKEN=test-bot-token -e FOOTNOTE_DISCORD_API_URL="$api" \
    -e FOOTNOTE_HTTP_ADDR="127.0.0.1:$hport" -e FOOTNOTE_CORPUS=/mnt/articles -e FOOTNOTE_WATCH=false \
    -v "$out/articles:/mnt/articles:ro" "$c" -- /usr/local/bin/footnote serve >"$out/serve.log" 2>&1 &
  serve=$!
  stop_all() { kill "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true; exec 3>&-; wait "$fake" 2>/dev/null || true; }
  ready=""
  for _ in $(seq 200); do
    if "$out/footnote" health --url "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then stop_all; cat "$out/serve.log"; echo "serve in the image never became ready"; exit 1; fi
  reply=$(curl -sS -X POST "$control/ask" -d '{"Shard":0,"Guild":"1200000000000000001","User":"1500000000000000001","ID":"1300000000000000077","Question":"How do widgets click?"}' || true)
  stop_all
  if ! grep -q "click into place" <<<"$reply"; then
    cat "$out/serve.log"; echo "reply: $reply"; echo "serve in the image did not answer the /ask"; exit 1
  fi
  if grep -qi "permission denied" "$out/serve.log"; then cat "$out/serve.log"; echo "serve in the image hit a permission error"; exit 1; fi
  grep -q '"msg":"connected to Discord"' "$out/serve.log" || { cat "$out/serve.log"; echo "serve's log lacks its start"; exit 1; }
  echo "runtime image: serve as user 65532 with a fresh /data volume answered an /ask through the in-process Discord: ok"
else
  echo "buildah not installed: runtime image not assembled"
fi
