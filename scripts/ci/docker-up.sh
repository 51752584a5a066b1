#!/usr/bin/env bash
# Prepare this machine for the image tests, idempotently:
#   a Docker engine (Debian's docker.io when none is reachable), a local registry on
#   127.0.0.1:5000, and the two base images (pulled by digest, or local stand-ins pushed
#   to the local registry when they cannot be pulled).
# Usage: eval "$(bash scripts/ci/docker-up.sh)"
# stdout carries only `export …` lines; progress goes to stderr.
set -euo pipefail
exec 3>&1 1>&2

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKERFILE="$REPO_ROOT/demo/facilitator-amoy.Dockerfile"
STATE=${FACILITATOR_CI_STATE:-/tmp/facilitator-ci}       # engine data, registry data, logs
CACHE=${FACILITATOR_CI_CACHE:-/var/cache/facilitator-ci} # base-image rootfs tarballs (survive /tmp cleanup)
SOCK=unix://$STATE/dockerd.sock
REGISTRY=127.0.0.1:5000
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-} # the CLI; chosen in pick_cli

log() { printf '[docker-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; } # stderr even inside $(…)
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$STATE"
mkdir -p "$CACHE" 2>/dev/null || CACHE=$STATE/cache && mkdir -p "$CACHE" # not root: keep it with the state
exec 9>"$STATE/docker-up.lock"
flock 9   # several shells may call this at once: one prepares, the others wait and reuse
# Daemons started below get `3>&- 9>&-`: holding the lock or the caller's stdout would block
# the next run and `eval "$(…)"` forever.

apt_install() { # apt_install <package…>: Debian packages, as root
  [ "$(id -u)" -eq 0 ] || die "$* missing: run this as root, or install them (apt-get install $*)"
  log "installing $* from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q=2
  apt-get install -y -q=2 --no-install-recommends "$@" >"$STATE/apt.log" 2>&1 \
    || { tail -20 "$STATE/apt.log" >&2; die "apt-get install $* failed (log: $STATE/apt.log)"; }
}

# A CLI that builds with BuildKit: $DOCKER, else Debian's 20.10 CLI (BuildKit built in), else a
# `docker` with buildx. A newer CLI without buildx cannot (docs/troubleshooting.md, the buildx row).
pick_cli() {
  [ -z "$DOCKER" ] || return 0
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker
  elif command -v docker >/dev/null && docker buildx version >/dev/null 2>&1; then DOCKER=docker
  else apt_install docker.io; DOCKER=/usr/bin/docker
  fi
}

engine_ok() { DOCKER_HOST=$1 timeout 10 "$DOCKER" info >/dev/null 2>&1; }

start_engine() {
  local candidate
  for candidate in ${DOCKER_HOST:-} unix:///var/run/docker.sock "$SOCK"; do
    if engine_ok "$candidate"; then DOCKER_HOST=$candidate; log "engine reachable at $DOCKER_HOST"; return; fi
  done
  [ "$(id -u)" -eq 0 ] || die "no Docker engine reachable and not root: start one, or set DOCKER_HOST"
  [ -x /usr/sbin/dockerd ] || apt_install docker.io
  log "starting dockerd (vfs, no bridge) at $SOCK"
  # vfs and --bridge=none: no overlayfs and no iptables in this kind of sandbox.
  setsid /usr/sbin/dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
    --host="$SOCK" --data-root="$STATE/docker-data" --exec-root="$STATE/docker-exec" \
    --pidfile="$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 </dev/null 3>&- 9>&- &
  for _ in $(seq 120); do engine_ok "$SOCK" && break; sleep 0.5; done
  engine_ok "$SOCK" || { tail -20 "$STATE/dockerd.log" >&2; die "dockerd did not come up (log: $STATE/dockerd.log)"; }
  DOCKER_HOST=$SOCK
}

# vfs stores every layer and build step as a full copy (tens of GB after a few dozen builds):
# on our own engine, drop the build cache and dangling images when the disk runs low.
housekeeping() {
  [ "$DOCKER_HOST" = "$SOCK" ] || return 0
  local free_gb min_gb=${FACILITATOR_CI_MIN_FREE_GB:-20}
  free_gb=$(df -P -BG "$STATE" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
  [ "$free_gb" -lt "$min_gb" ] || return 0
  log "only ${free_gb} GB free (< $min_gb): pruning the build cache and dangling images"
  "$DOCKER" builder prune -f >/dev/null || true
  "$DOCKER" image prune -f >/dev/null || true
}

# Tools other suites use (compose tests, registry inspection): installed when root, else noted.
extra_tools() {
  local missing=()
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v skopeo >/dev/null || missing+=(skopeo)
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -eq 0 ]; then apt_install "${missing[@]}"; else log "note: ${missing[*]} not installed (not root)"; fi
}

start_registry() {
  if curl -sf "http://$REGISTRY/v2/" >/dev/null; then log "registry already on $REGISTRY"; return; fi
  command -v docker-registry >/dev/null || apt_install docker-registry
  log "starting docker-registry on $REGISTRY"
  mkdir -p "$STATE/registry/data"
  cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log: { level: warn, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: $STATE/registry/data }
  delete: { enabled: true }
http: { addr: $REGISTRY }
EOF
  setsid docker-registry serve "$STATE/registry/config.yml" >"$STATE/registry/registry.log" 2>&1 </dev/null 3>&- 9>&- &
  echo $! >"$STATE/registry/registry.pid"
  for _ in $(seq 100); do curl -sf "http://$REGISTRY/v2/" >/dev/null && return; sleep 0.1; done
  die "registry did not answer on $REGISTRY (log: $STATE/registry/registry.log)"
}

# Default of `ARG <name>=<ref>` in the Dockerfile: the upstream digest pin is defined once, there.
dockerfile_default() { sed -n "s/^ARG $1=\(.*\)$/\1/p" "$DOCKERFILE" | head -1; }

# Digest ref in the local registry of a stand-in, if it is there and present in the engine.
local_ref() {
  local repo=$1 tag=$2 digest
  digest=$(curl -sf -o /dev/null -w '%header{docker-content-digest}' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$repo/manifests/$tag") || return 1
  [ -n "$digest" ] || return 1
  "$DOCKER" image inspect "$REGISTRY/$repo@$digest" >/dev/null 2>&1 || return 1
  echo "$REGISTRY/$repo@$digest"
}

# Make, import (from the rootfs cache when present), push, and print the digest ref.
# Cache and tag carry a hash of the recipe, so a changed recipe never reuses an old stand-in.
standin() {
  local kind=$1 repo=$2 tag ref recipe="$REPO_ROOT/scripts/ci/make-base-rootfs.sh"
  local key; key=$(sha256sum "$recipe" | cut -c1-12)
  local tarball="$CACHE/$kind-rootfs-$key.tar"
  tag=$3-standin-$key
  if ref=$(local_ref "$repo" "$tag"); then log "stand-in $ref already present"; echo "$ref"; return; fi
  if [ ! -s "$tarball" ]; then
    log "building $kind rootfs (cached at $tarball for later runs)"
    [ "$kind" != build ] || command -v debootstrap >/dev/null || apt_install debootstrap
    rm -f "$CACHE/$kind"-rootfs-*.tar
    DEBIAN_MIRROR=$DEBIAN_MIRROR bash "$recipe" "$kind" "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
  fi
  log "importing $kind stand-in as $REGISTRY/$repo:$tag"
  local -a conf args=()
  mapfile -t conf < <(bash "$recipe" "$kind" --config)
  for c in "${conf[@]}"; do args+=(-c "$c"); done
  "$DOCKER" import "${args[@]}" -m "local stand-in ($kind), see scripts/ci/make-base-rootfs.sh" \
    "$tarball" "$REGISTRY/$repo:$tag" >/dev/null
  "$DOCKER" push -q "$REGISTRY/$repo:$tag" >/dev/null
  local_ref "$repo" "$tag" || die "pushed $REGISTRY/$repo:$tag but cannot resolve its digest"
}

# Upstream pin when it can be pulled (a normal machine), else a local stand-in.
base_image() {
  local arg=$1 kind=$2 repo=$3 tag=$4 upstream
  upstream=$(dockerfile_default "$arg")
  [ -n "$upstream" ] || die "no default for ARG $arg in $DOCKERFILE"
  if "$DOCKER" image inspect "$upstream" >/dev/null 2>&1 || timeout 120 "$DOCKER" pull -q "$upstream" >/dev/null 2>&1; then
    log "$arg: using upstream $upstream"; echo "$upstream"; return
  fi
  log "$arg: $upstream cannot be pulled here; using a local stand-in"
  standin "$kind" "$repo" "$tag"
}

t0=$SECONDS
pick_cli
start_engine
housekeeping
extra_tools
export DOCKER_HOST
start_registry
BUILD_IMAGE=$(base_image NODE_BUILD_IMAGE build library/node 22-bookworm-slim)
RUNTIME_IMAGE=$(base_image NODE_RUNTIME_IMAGE runtime distroless/nodejs22-debian12 nonroot)
log "ready in $((SECONDS - t0)) s"

{
  printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
  printf 'export DOCKER=%q\n' "$DOCKER"
  printf 'export DOCKER_BUILDKIT=1\n'
  printf 'export LOCAL_REGISTRY=%q\n' "$REGISTRY"
  printf 'export NODE_BUILD_IMAGE=%q\n' "$BUILD_IMAGE"
  printf 'export NODE_RUNTIME_IMAGE=%q\n' "$RUNTIME_IMAGE"
  # our engine has no bridge: RUN steps need the host network
  [ "$DOCKER_HOST" != "$SOCK" ] || printf 'export DOCKER_BUILD_NETWORK=host\n'
  # npm traffic is TLS-intercepted where the host trusts an extra CA: hand it to builds (secret npm_ca)
  [ ! -s "${NODE_EXTRA_CA_CERTS:-}" ] || printf 'export NPM_CA_FILE=%q\n' "$NODE_EXTRA_CA_CERTS"
} >&3
