# One image per service, from one Dockerfile:
#   docker build --build-arg SERVICE=patient-api -t patient-mesh/patient-api:<tag> .
#   docker build --build-arg SERVICE=patient-rpc -t patient-mesh/patient-rpc:<tag> .
# Runtime image: node:24-bookworm-slim, production dependencies and compiled output only,
# numeric non-root user, exec-form entrypoint (SIGTERM reaches node as PID 1), no shell
# or package manager needed at run time.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG SERVICE=patient-api

# ---------------------------------------------------------------- build
# Every workspace compiled: proto code generation, then tsc -b.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
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
    mkdir -p "/out/services/runtime" "/out/services/${SERVICE}"; \
    cp -R services/runtime/package.json services/runtime/dist /out/services/runtime/; \
    cp -R "services/${SERVICE}/package.json" "services/${SERVICE}/dist" "/out/services/${SERVICE}/"; \
    if [ -d "services/${SERVICE}/migrations" ]; then cp -R "services/${SERVICE}/migrations" "/out/services/${SERVICE}/"; fi; \
    cp -R proto /out/proto; \
    find /out -name '*.test.js' -o -name '*.test.js.map' -o -name '*.test.d.ts' -o -name '*.tsbuildinfo' | xargs -r rm -f

# ---------------------------------------------------------------- production dependencies
# Only the service's (and the runtime library's) dependencies; no install scripts.
FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/runtime/package.json services/runtime/
COPY services/patient-api/package.json services/patient-api/
COPY services/patient-rpc/package.json services/patient-rpc/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace "services/${SERVICE}" --include-workspace-root=false \
    && npm cache clean --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="patient-mesh ${SERVICE}" \
      org.opencontainers.image.licenses="Apache-2.0"
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
