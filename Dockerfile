# One image per service, from one Dockerfile (`make images`; names from scripts/tools/image-ref.sh):
#   docker build --build-arg SERVICE=patient-api -t ghcr.io/patient-mesh/patient-api:<tag> .
#   docker build --build-arg SERVICE=patient-rpc -t ghcr.io/patient-mesh/patient-rpc:<tag> .
# Runtime image: node:24-bookworm-slim without npm, corepack and yarn, the service's
# production dependencies (without TypeScript sources, type declarations, source maps and
# markdown) and compiled output only, numeric non-root user, exec-form entrypoint (SIGTERM
# reaches node as PID 1), no shell or package manager needed at run time.
# scripts/test-containers.sh builds both, runs them hardened and holds each to a size budget.
ARG SERVICE=patient-api

# ---------------------------------------------------------------- base
# Named in a FROM line of its own (not through an ARG) so Dependabot sees it and can update it.
FROM node:24-bookworm-slim AS node-base

# ---------------------------------------------------------------- build
# Every workspace compiled: proto code generation, then tsc -b.
FROM node-base AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY services/contract/package.json services/contract/
COPY services/runtime/package.json services/runtime/
COPY services/patient-api/package.json services/patient-api/
COPY services/patient-rpc/package.json services/patient-rpc/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# The files one service runs from, staged under /out (migrations only where they exist).
ARG SERVICE
RUN set -eu; \
    test -f "services/${SERVICE}/dist/main.js" || { echo "unknown SERVICE=${SERVICE}" >&2; exit 1; }; \
    mkdir -p "/out/services/contract" "/out/services/runtime" "/out/services/${SERVICE}"; \
    cp -R services/contract/package.json services/contract/dist /out/services/contract/; \
    cp -R services/runtime/package.json services/runtime/dist /out/services/runtime/; \
    cp -R "services/${SERVICE}/package.json" "services/${SERVICE}/dist" "/out/services/${SERVICE}/"; \
    if [ -d "services/${SERVICE}/migrations" ]; then cp -R "services/${SERVICE}/migrations" "/out/services/${SERVICE}/"; fi; \
    cp -R proto /out/proto; \
    find /out -name '*.test.js' -o -name '*.test.js.map' -o -name '*.test.d.ts' -o -name '*.tsbuildinfo' | xargs -r rm -f

# ---------------------------------------------------------------- production dependencies
# Only the service's (and the contract and runtime libraries') dependencies; no install scripts.
FROM node-base AS prod-deps
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/contract/package.json services/contract/
COPY services/runtime/package.json services/runtime/
COPY services/patient-api/package.json services/patient-api/
COPY services/patient-rpc/package.json services/patient-rpc/
# What no production process reads goes: TypeScript sources and declarations (Node does not
# strip types under node_modules, so a .ts there can never run), the dependencies' source
# maps (stack traces of the services' own code keep theirs), markdown, and the native addons
# of the Bare runtime (*.bare, in the bare-* packages tar-stream depends on; Node cannot load them).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace "services/${SERVICE}" --include-workspace-root=false \
    && npm cache clean --force \
    && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \
      -o -name '*.bare' \) -delete

# ---------------------------------------------------------------- node runtime
# node:24-bookworm-slim without what the images never run: npm/npx, corepack and yarn (the
# entrypoint is `node`), the C headers for native addons, node's docs and its symbol table.
# Files deleted in a later layer would still be in the base layer, so the trimmed tree is
# copied into a layer of its own; the configuration the runtime needs (PATH) is set again.
# node's static symbol table and debug sections serve debuggers and profilers of node's own
# C++ code (gdb, perf, `node --prof-process`), not the services: stripped, as Debian strips
# the binaries it packages (126.6 MB -> 108.5 MB for node 24.21 on amd64). binutils stays in
# this stage.
FROM node-base AS node-stripped
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && strip -o /node /usr/local/bin/node && /node --version

FROM node-base AS node-trimmed
COPY --from=node-stripped /node /usr/local/bin/node
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v* /usr/local/include/node \
      /usr/local/share/doc/node /usr/local/share/man/man1/node.1 /usr/local/share/systemtap /tmp/* \
    && node --version

FROM scratch AS node-runtime
COPY --from=node-trimmed / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------- runtime
FROM node-runtime AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="patient-mesh ${SERVICE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
ENV NODE_ENV=production
WORKDIR /app
# Root-owned and read-only for the service user.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
USER 10001:10001

FROM runtime AS service-patient-api
EXPOSE 8080 9090
ENTRYPOINT ["node", "--enable-source-maps", "--import", "/app/services/runtime/dist/telemetry.js", "/app/services/patient-api/dist/main.js"]

FROM runtime AS service-patient-rpc
EXPOSE 50051 9091
ENTRYPOINT ["node", "--enable-source-maps", "--import", "/app/services/runtime/dist/telemetry.js", "/app/services/patient-rpc/dist/main.js"]

# The image of the service named by --build-arg SERVICE.
FROM service-${SERVICE}
