#!/usr/bin/env bash
# Image budget: size (uncompressed, compressed as pushed), size added over the runtime base,
# build time (cold, cached, after a source change), and `docker start` -> /healthz 200.
# usage: npm run bench:image [-- RUNS]   (RUNS start measurements, default 5)
# Prints a markdown table on stdout; progress on stderr. Prepares Docker with docker-up.sh.
set -euo pipefail
exec 3>&1 1>&2
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-5}
eval "$(bash scripts/ci/docker-up.sh)"
SERVICE=demo/a2a/facilitator-amoy
IMAGE=x402/facilitator-amoy:bench
WORK=$(mktemp -d /tmp/bench-image.XXXXXX)
ANVIL_PID="" CID=""
cleanup() {
  [ -z "$CID" ] || "$DOCKER" rm -f "$CID" >/dev/null 2>&1 || true
  [ -z "$ANVIL_PID" ] || kill "$ANVIL_PID" 2>/dev/null || true
  [ ! -s "$WORK/host.pid" ] || kill "$(cat "$WORK/host.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FLAGS=(-f demo/facilitator-amoy.Dockerfile --network "${DOCKER_BUILD_NETWORK:-host}")
[ -z "${NODE_BUILD_IMAGE:-}" ] || FLAGS+=(--build-arg "NODE_BUILD_IMAGE=$NODE_BUILD_IMAGE")
[ -z "${NODE_RUNTIME_IMAGE:-}" ] || FLAGS+=(--build-arg "NODE_RUNTIME_IMAGE=$NODE_RUNTIME_IMAGE")
[ -z "${NPM_CA_FILE:-}" ] || FLAGS+=(--secret "id=npm_ca,src=$NPM_CA_FILE")
now_ms() { date +%s%3N; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
build() { # build <context> <extra flags…>; prints the wall time in ms
  local context=$1 t0; shift
  t0=$(now_ms)
  DOCKER_BUILDKIT=1 "$DOCKER" build -q "${FLAGS[@]}" "$@" -t "$IMAGE" "$context" >/dev/null
  echo $(($(now_ms) - t0))
}

# Builds run on a snapshot of the build context (what .dockerignore lets in), so concurrent
# edits in the tree cannot turn the "cached" build into a rebuild.
mkdir -p "$WORK/ctx/$SERVICE" "$WORK/ctx/demo"
cp demo/facilitator-amoy.Dockerfile "$WORK/ctx/demo/"
cp .dockerignore "$WORK/ctx/"
cp -r "$SERVICE/package.json" "$SERVICE/package-lock.json" "$SERVICE/scripts" "$SERVICE/src" "$WORK/ctx/$SERVICE/"
FLAGS[1]=$WORK/ctx/demo/facilitator-amoy.Dockerfile
echo "bench: cold build (--no-cache: npm ci, bundle, image)"
COLD=$(build "$WORK/ctx" --no-cache)
echo "bench: cached build (nothing changed)"
CACHED=$(build "$WORK/ctx")
# a source change: one line added to src/main.ts of the snapshot (npm ci stays cached)
echo "// bench-image: source change $(date +%s%N)" >>"$WORK/ctx/$SERVICE/src/main.ts"
echo "bench: build after a source change"
CHANGED=$(build "$WORK/ctx")

# --- sizes --------------------------------------------------------------------------------
BASE=${NODE_RUNTIME_IMAGE:-$(sed -n 's/^ARG NODE_RUNTIME_IMAGE=//p' demo/facilitator-amoy.Dockerfile)}
SIZE=$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")
BASE_SIZE=$("$DOCKER" image inspect --format '{{.Size}}' "$BASE")
BASE_LAYERS=$("$DOCKER" image inspect --format '{{len .RootFS.Layers}}' "$BASE")
PUSHED=$LOCAL_REGISTRY/bench/facilitator-amoy:$(date +%s)
"$DOCKER" tag "$IMAGE" "$PUSHED" && "$DOCKER" push -q "$PUSHED" >/dev/null && "$DOCKER" rmi "$PUSHED" >/dev/null
read -r COMPRESSED COMPRESSED_ADDED < <("$DOCKER" manifest inspect --insecure -v "$PUSHED" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8")).SchemaV2Manifest;
  const sizes = m.layers.map((l) => l.size);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  console.log(sum(sizes) + m.config.size, sum(sizes.slice(Number(process.argv[1]))));' "$BASE_LAYERS")

# --- docker start -> /healthz 200 -----------------------------------------------------------
ANVIL=$(cd "$SERVICE" && node -p 'require("path").join(require("path").dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json")), "bin/anvil")')
"$ANVIL" --host 127.0.0.1 --port 0 --chain-id 80002 >"$WORK/anvil.log" 2>&1 &
ANVIL_PID=$!
for _ in $(seq 100); do grep -q 'Listening on' "$WORK/anvil.log" && break; sleep 0.1; done
RPC=http://$(sed -n 's/^Listening on //p' "$WORK/anvil.log")
# anvil dev key #1 (anvil's public test mnemonic), derived here, never a real key
KEY=$(cd "$SERVICE" && node --input-type=module -e '
  import { mnemonicToAccount } from "viem/accounts"; import { toHex } from "viem";
  console.log(toHex(mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: 1 }).getHdKey().privateKey));')
PORT=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
run_until_healthy() { # run_until_healthy <port> <command…>: ms from the command to /healthz 200
  local port=$1 t0; shift
  t0=$(now_ms)
  "$@" >/dev/null
  # Polls every 20 ms: a tight curl loop would keep one of the two cores busy and slow the start it measures.
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
    [ $(($(now_ms) - t0)) -lt 30000 ] || { echo "bench: no /healthz in 30 s"; exit 1; }
    sleep 0.02
  done
  echo $(($(now_ms) - t0))
}
ENV=(PORT="$PORT" FACILITATOR_PRIVATE_KEY="$KEY" AMOY_RPC_URL="$RPC"
  AMOY_USDC_ADDRESS=0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582 REAL_SETTLE=false)
# CPU time (user + sys) a process has used: a start-up figure that the machine's load does not inflate
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
START_MS=() HOST_MS=() CPU_MS=()
for i in $(seq "$RUNS"); do
  CID=$("$DOCKER" create --read-only --network host "${ENV[@]/#/--env=}" "$IMAGE")
  START_MS+=("$(run_until_healthy "$PORT" "$DOCKER" start "$CID")")
  CPU_MS+=("$(cpu_ms "$("$DOCKER" inspect --format '{{.State.Pid}}' "$CID")")")
  [ "$i" -gt 1 ] || "$DOCKER" cp "$CID:/app/dist" "$WORK/dist"
  "$DOCKER" rm -f "$CID" >/dev/null; CID=""
  # reference: the same bundle straight on the host's node, to tell the container's share
  # from this machine's load
  HOST_MS+=("$(run_until_healthy "$PORT" env "${ENV[@]}" bash -c 'node "$1/main.js" >/dev/null 2>&1 & echo $! >"$2"' _ "$WORK/dist" "$WORK/host.pid")")
  kill "$(cat "$WORK/host.pid")"; while kill -0 "$(cat "$WORK/host.pid")" 2>/dev/null; do sleep 0.05; done
  echo "bench: run $i: docker start -> /healthz ${START_MS[-1]} ms (node CPU ${CPU_MS[-1]} ms); host node -> /healthz ${HOST_MS[-1]} ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maximum() { printf '%s\n' "$@" | sort -n | tail -1; }

{
  echo "| measure ($(nproc) cores, $("$DOCKER" info --format '{{.Driver}}') storage, $(date -u +%F)) | value | target |"
  echo "|---|---|---|"
  echo "| image size, uncompressed | $(mb "$SIZE") | |"
  echo "| image size, compressed (as pushed) | $(mb "$COMPRESSED") | |"
  echo "| added over the runtime base, uncompressed | $(mb $((SIZE - BASE_SIZE))) | < 20 MB |"
  echo "| added over the runtime base, compressed | $(mb "$COMPRESSED_ADDED") | |"
  echo "| build, cold (--no-cache) | $(seconds "$COLD") | |"
  echo "| build, cached (no change) | $(seconds "$CACHED") | |"
  echo "| build, after a source change | $(seconds "$CHANGED") | |"
  echo "| docker start -> /healthz 200, median of $RUNS | $(median "${START_MS[@]}") ms | < 1000 ms |"
  echo "| docker start -> /healthz 200, max of $RUNS | $(maximum "${START_MS[@]}") ms | |"
  echo "| CPU time (user+sys) of node in the container until /healthz, median | $(median "${CPU_MS[@]}") ms | |"
  echo "| reference: same bundle on the host's node -> /healthz 200, median | $(median "${HOST_MS[@]}") ms | |"
  echo "| machine load (1-min load average) at the end | $(cut -d' ' -f1 /proc/loadavg) | |"
} >&3
