#!/usr/bin/env bash
# Cut a release (developer-run):  scripts/release.sh vX.Y.Z [--push]
#
# Refuses a non-semver version, a dirty tree, a version without a CHANGELOG.md entry, or a tag
# that already exists. Runs the tests (RELEASE_SKIP_TESTS=1 skips them: for this script's own
# tests only). Sets facilitator:imageTag to the version in Pulumi.staging.yaml (and in
# Pulumi.prod.yaml, so production runs the same digest once its reviewers approve, and main keeps
# saying what runs), commits, and creates the annotated tag "release(vX.Y.Z): <summary>" on that
# commit. Pushes main and the tag together only with --push (from main only): the push to main
# changes both stack files, so deploy-on-merge.yml dispatches release.yml at main, whose staging
# job builds the image from HEAD at the tag. Deploys always apply main's tree; the tag names the
# source of the image only.
set -euo pipefail

usage() { echo "usage: scripts/release.sh vX.Y.Z [--push]" >&2; }
die() { printf 'release: %s\n' "$*" >&2; exit 1; }

version=""
push=false
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    -h | --help) usage; exit 0 ;;
    -*) usage; die "unknown option '$arg'" ;;
    *) [[ -z "$version" ]] || { usage; die "give one version, got '$version' and '$arg'"; }
       version="$arg" ;;
  esac
done
[[ -n "$version" ]] || { usage; exit 2; }

if [[ ! "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  die "'$version' is not a release version: use vMAJOR.MINOR.PATCH, e.g. v1.2.3"
fi
number="${version#v}"

root="$(git rev-parse --show-toplevel 2>/dev/null)" || die "not inside a git repository"
cd "$root"
branch="$(git symbolic-ref --quiet --short HEAD)" || die "HEAD is detached: switch to the branch to release from (git switch main)"

if [[ -n "$(git status --porcelain)" ]]; then
  die "the working tree has uncommitted changes; commit or stash them first:
$(git status --short)"
fi

[[ -f CHANGELOG.md ]] || die "CHANGELOG.md not found at the repository root"
# The section of this version, "## [1.2.3] - 2026-11-29" or "## [v1.2.3]", and its first bullet.
summary="$(awk -v want="$number" '
  /^## \[/ { heading = $0; sub(/^## \[v?/, "", heading); sub(/\].*$/, "", heading); inside = (heading == want); if (inside) found = 1; next }
  inside && /^[[:space:]]*[-*][[:space:]]+/ { sub(/^[[:space:]]*[-*][[:space:]]+/, ""); print; exit }
  END { if (!found) exit 3 }
' CHANGELOG.md)" || die "CHANGELOG.md has no entry for $version: add a '## [$number] - $(date -u +%Y-%m-%d)' section with what changed"
[[ -n "$summary" ]] || die "the CHANGELOG.md entry for $version has no bullet to use as the release summary; add one"

if existing="$(git rev-parse -q --verify "refs/tags/$version")"; then
  die "tag $version already exists (${existing:0:12}); releases are immutable: choose the next version"
fi
if $push; then
  [[ "$branch" == main ]] || die "--push releases from main only (deploys apply main's tree; a tag elsewhere would not be deployed): git switch main"
  git remote get-url origin > /dev/null 2>&1 || die "--push needs a remote named origin"
  remote_tags="$(git ls-remote --tags origin "refs/tags/$version")" || die "cannot reach origin to check for tag $version"
  [[ -z "$remote_tags" ]] || die "tag $version already exists on origin; releases are immutable: choose the next version"
  # Release what origin has plus our commits, never an older base: the push must fast-forward.
  git fetch --quiet origin "refs/heads/$branch" 2> /dev/null || die "cannot fetch $branch from origin"
  git merge-base --is-ancestor FETCH_HEAD HEAD || die "$branch is behind origin/$branch; pull (and re-test) before releasing"
fi

stack_files=(Pulumi.staging.yaml)
[[ -f Pulumi.prod.yaml ]] && stack_files+=(Pulumi.prod.yaml)
for file in "${stack_files[@]}"; do
  [[ -f "$file" ]] || die "$file not found: run from the facilitator-deploy repository"
  count="$(grep -cE '^[[:space:]]+facilitator:imageTag:' "$file" || true)"
  [[ "$count" == 1 ]] || die "$file must set facilitator:imageTag exactly once under config: (found $count)"
done

if [[ "${RELEASE_SKIP_TESTS:-}" == 1 ]]; then
  echo "release: RELEASE_SKIP_TESTS=1: not running the tests (meant for this script's own tests)" >&2
else
  echo "release: running npm test" >&2
  npm test || die "npm test failed; fix it before releasing $version"
  [[ -z "$(git status --porcelain)" ]] || die "npm test left changes in the working tree; commit or clean them first:
$(git status --short)"
fi

for file in "${stack_files[@]}"; do
  sed -E -i "s/^([[:space:]]+facilitator:imageTag:[[:space:]]*).*$/\1$version/" "$file"
done
if git diff --quiet -- "${stack_files[@]}"; then
  echo "release: ${stack_files[*]} already run $version; tagging HEAD" >&2
else
  git commit --quiet -m "release($version): run $version in ${stack_files[*]}" -- "${stack_files[@]}"
fi
git tag -a "$version" -m "release($version): $summary"
echo "release: tagged $version at $(git rev-parse --short HEAD): $summary"

if $push; then
  git push --atomic origin "refs/heads/$branch" "refs/tags/$version" \
    || die "push failed; the commit and tag $version are local only. Fix the cause, then: git push --atomic origin $branch $version"
  echo "release: pushed $branch and $version; deploy-on-merge runs release.yml at main: staging builds and deploys $version, then production waits for its reviewers"
else
  echo "release: not pushed. To publish: git push --atomic origin $branch $version"
fi
