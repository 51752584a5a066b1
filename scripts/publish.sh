#!/usr/bin/env bash
# Build, push and (when possible) sign the facilitator image from a release checkout.
# For users who publish without Pulumi (the guide's "CI-run publish").
#
# usage: scripts/publish.sh vX.Y.Z REGISTRY/REPOSITORY [COMMIT]
#   e.g. scripts/publish.sh v1.2.3 europe-west1-docker.pkg.dev/my-project/x402/facilitator-amoy
# Run it from the checkout to publish: HEAD must be exactly at the tag and the tree clean.
# Pushes REPOSITORY:vX.Y.Z and REPOSITORY:sha-<7 hex>, checks through the registry API that
# both resolve to one digest, prints REPOSITORY@sha256:… on stdout (everything else on stderr).
#
# environment (all optional):
#   DOCKER                  docker CLI to use (default: docker); it must have BuildKit
#   DOCKERFILE              default: demo/facilitator-amoy.Dockerfile (relative to the checkout)
#   NPM_CA_FILE             CA bundle for a TLS-intercepting proxy, given to the build as secret npm_ca
#   NODE_BUILD_IMAGE, NODE_RUNTIME_IMAGE   base image overrides (mirrors), by digest
#   DOCKER_BUILD_NETWORK    network for RUN steps (e.g. host on an engine without a bridge)
#   COSIGN_KEY              cosign key (file or KMS URI) to sign with; without it, cosign signs
#                           keylessly only when an OIDC identity is present (GitHub Actions
#                           id-token, or SIGSTORE_ID_TOKEN)
set -euo pipefail
exec 3>&1 1>&2

fail() { echo "publish: $*"; exit 1; }
DOCKER=${DOCKER:-docker}

[ $# -ge 2 ] && [ $# -le 3 ] || { sed -n '5,6p' "$0"; exit 2; }
TAG=$1 REPO=$2 COMMIT=${3:-}

# --- refusals: what is asked --------------------------------------------------------------
[ "$TAG" != latest ] || fail "refusing tag 'latest': images get immutable version tags only. Give a version tag such as v1.2.3."
SEMVER='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
[[ $TAG =~ $SEMVER ]] || fail "tag '$TAG' is not a semver version tag: expected vMAJOR.MINOR.PATCH[-PRERELEASE] such as v1.2.3 or v1.3.0-rc.1 (no build metadata: '+' is not allowed in image tags)."
[[ $REPO =~ ^([a-z0-9-]+\.[a-z0-9.-]+|localhost)(:[0-9]+)?/[a-z0-9._/-]+$ ]] && [[ $REPO != */ ]] \
  || fail "'$REPO' is not REGISTRY/REPOSITORY (lower case, no tag or digest), e.g. europe-west1-docker.pkg.dev/my-project/x402/facilitator-amoy."

# --- refusals: the checkout ---------------------------------------------------------------
ROOT=$(git rev-parse --show-toplevel 2>/dev/null) || fail "not inside a git checkout: run this from the repository to publish."
cd "$ROOT"
DIRTY=$(git status --porcelain --untracked-files=normal)
[ -z "$DIRTY" ] || fail "the working tree is not clean, so the image would not match $TAG. Commit or remove these first:
$(echo "$DIRTY" | head -10)"
HEAD=$(git rev-parse HEAD)
TAG_COMMIT=$(git rev-parse -q --verify "refs/tags/$TAG^{commit}") \
  || fail "tag $TAG does not exist in this checkout: create it on the release commit (git tag -a $TAG -m $TAG) or fetch it (git fetch --tags)."
[ "$TAG_COMMIT" = "$HEAD" ] || fail "HEAD ($(git rev-parse --short HEAD)) is not at $TAG ($(git rev-parse --short "$TAG_COMMIT")): run git checkout $TAG first."
if [ -n "$COMMIT" ]; then
  GIVEN=$(git rev-parse -q --verify "$COMMIT^{commit}") || fail "commit '$COMMIT' is not known in this checkout."
  [ "$GIVEN" = "$HEAD" ] || fail "commit $COMMIT is not HEAD ($(git rev-parse --short HEAD)) and not $TAG: check out the commit you mean to publish."
fi
SHA_TAG=sha-$(git rev-parse --short=7 HEAD) # the same short form the Pulumi program uses
DOCKERFILE=${DOCKERFILE:-demo/facilitator-amoy.Dockerfile}
[ -f "$DOCKERFILE" ] || fail "no Dockerfile at $ROOT/$DOCKERFILE (set DOCKERFILE)."

# --- registry -----------------------------------------------------------------------------
REGISTRY=${REPO%%/*}
INSECURE=() COSIGN_INSECURE=()
case $REGISTRY in # a plain-HTTP local registry
  localhost | localhost:* | 127.*) INSECURE=(--insecure) COSIGN_INSECURE=(--allow-insecure-registry) ;;
esac

# Manifest digest of REPO:tag through the registry API; empty when the tag does not exist.
remote_digest() {
  local out
  if ! out=$("$DOCKER" manifest inspect "${INSECURE[@]}" -v "$REPO:$1" 2>&1); then
    case $out in *"no such manifest"* | *"manifest unknown"* | *"not found"*) return 0 ;; esac
    fail "cannot ask the registry about $REPO:$1 (log in with docker login / gcloud auth configure-docker?): $out"
  fi
  [[ $out == "["* ]] && fail "$REPO:$1 is a multi-platform index; this script publishes single-platform images."
  sed -n '/"Descriptor"/,/}/s/.*"digest": *"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' <<<"$out" | head -1
}

for t in "$TAG" "$SHA_TAG"; do
  existing=$(remote_digest "$t")
  [ -z "$existing" ] || fail "$REPO:$t already exists ($existing). Tags are immutable: publish a new version instead of overwriting."
done

# The origin as a browsable https URL, without credentials (https://user:token@… or git@host:…).
source_url() {
  git remote get-url origin 2>/dev/null | sed -E 's#^git@([^:]+):#https://\1/#; s#^ssh://git@#https://#; s#//[^/@]*@#//#; s#\.git$##' || true
}

# --- build and push -----------------------------------------------------------------------
BUILD=(build -f "$DOCKERFILE" -t "$REPO:$TAG" -t "$REPO:$SHA_TAG"
  --build-arg "VERSION=$TAG" --build-arg "REVISION=$HEAD"
  --build-arg "CREATED=$(git log -1 --format=%cI HEAD)" # commit time, not wall clock: reproducible
  --build-arg "SOURCE=$(source_url)")
[ -z "${NPM_CA_FILE:-}" ] || BUILD+=(--secret "id=npm_ca,src=$NPM_CA_FILE")
[ -z "${NODE_BUILD_IMAGE:-}" ] || BUILD+=(--build-arg "NODE_BUILD_IMAGE=$NODE_BUILD_IMAGE")
[ -z "${NODE_RUNTIME_IMAGE:-}" ] || BUILD+=(--build-arg "NODE_RUNTIME_IMAGE=$NODE_RUNTIME_IMAGE")
[ -z "${DOCKER_BUILD_NETWORK:-}" ] || BUILD+=(--network "$DOCKER_BUILD_NETWORK")
echo "publish: building $REPO:$TAG ($SHA_TAG) from $(git rev-parse --short HEAD)"
DOCKER_BUILDKIT=1 "$DOCKER" "${BUILD[@]}" .
for t in "$TAG" "$SHA_TAG"; do
  echo "publish: pushing $REPO:$t"
  "$DOCKER" push "$REPO:$t"
done

# --- verify: both tags, one digest, read back from the registry ---------------------------
DIGEST=$(remote_digest "$TAG")
SHA_DIGEST=$(remote_digest "$SHA_TAG")
[ -n "$DIGEST" ] || fail "pushed $REPO:$TAG but the registry does not return it."
[ "$DIGEST" = "$SHA_DIGEST" ] || fail "$REPO:$TAG ($DIGEST) and $REPO:$SHA_TAG (${SHA_DIGEST:-missing}) resolve to different digests."
echo "publish: $REPO:$TAG and $REPO:$SHA_TAG -> $DIGEST"

# --- sign the digest when we can, and say so when we cannot ------------------------------
REF=$REPO@$DIGEST
if ! command -v cosign >/dev/null; then
  echo "publish: NOT SIGNED: cosign is not installed. Sign later with: cosign sign --key <key> $REF"
elif [ -n "${COSIGN_KEY:-}" ]; then
  cosign sign --yes "${COSIGN_INSECURE[@]}" --key "$COSIGN_KEY" "$REF" && echo "publish: signed $REF with $COSIGN_KEY"
elif [ -n "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] || [ -n "${SIGSTORE_ID_TOKEN:-}" ]; then
  cosign sign --yes "${COSIGN_INSECURE[@]}" "$REF" && echo "publish: signed $REF keylessly (OIDC identity)"
else
  echo "publish: NOT SIGNED: cosign is installed but there is no COSIGN_KEY and no OIDC identity (GitHub Actions id-token: write, or SIGSTORE_ID_TOKEN)."
fi

echo "$REF" >&3
