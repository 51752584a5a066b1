# The x402 facilitator for Polygon Amoy (demo/a2a/facilitator-amoy).
# Build from the repository root:
#   DOCKER_BUILDKIT=1 docker build -f demo/facilitator-amoy.Dockerfile -t x402/facilitator-amoy:<sha> .
# The image holds only the self-contained bundles (dist/) on distroless Node 22, runs as
# uid 65532, needs no shell and no writable root filesystem.

# Base images, pinned by digest (multi-arch index). Override to use a mirror or a local copy:
#   --build-arg NODE_BUILD_IMAGE=<ref@sha256:…> --build-arg NODE_RUNTIME_IMAGE=<ref@sha256:…>
# Refresh with `docker buildx imagetools inspect <repo:tag>` (or let Renovate/Dependabot do it).
ARG NODE_BUILD_IMAGE=node:22-bookworm-slim@sha256:53ada149d435c38b14476cb57e4a7da73c15595aba79bd6971b547ceb6d018bf
ARG NODE_RUNTIME_IMAGE=gcr.io/distroless/nodejs22-debian12:nonroot@sha256:13593b7570658e8477de39e2f4a1dd25db2f836d68a0ba771251572d23bb4f8e

FROM ${NODE_BUILD_IMAGE} AS build
WORKDIR /src
# Dependencies first, from the service's own lockfile, so source edits reuse this layer.
COPY demo/a2a/facilitator-amoy/package.json demo/a2a/facilitator-amoy/package-lock.json ./
# npm_ca (optional BuildKit secret): a CA bundle for a TLS-intercepting proxy. It is mounted
# for this step only and never written to a layer. --ignore-scripts: no install scripts run.
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=warn
COPY demo/a2a/facilitator-amoy/scripts/ scripts/
COPY demo/a2a/facilitator-amoy/src/ src/
# The bundler step of `npm run build` (type-checking runs in CI, where the tests are; the
# context holds only the sources the bundle is made from). The check fails the build early.
RUN node scripts/build.mjs && node -e 'for (const f of ["dist/main.js", "dist/healthcheck.js"]) require("fs").accessSync(f)'

FROM ${NODE_RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=""
ARG SOURCE=""
LABEL org.opencontainers.image.title="facilitator-amoy" \
      org.opencontainers.image.description="x402 payment facilitator for Polygon Amoy (EIP-3009 USDC)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
# Owned by root and not writable by the app user: the code cannot be changed at run time.
COPY --from=build --chown=0:0 /src/dist/ /app/dist/
USER 65532:65532
ENV NODE_ENV=production PORT=5401
EXPOSE 5401
# Exec form, no shell: node itself asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/nodejs/bin/node", "/app/dist/healthcheck.js"]
# node is PID 1 and receives SIGTERM directly (the service shuts down gracefully on it).
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["/app/dist/main.js"]
