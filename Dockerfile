# syntax=docker/dockerfile:1
# One image for both Cloud Run services; SERVICE=drchrono-sync|coda-push selects the entry point.
#   docker build -t platform . && docker run -e SERVICE=coda-push -e ... -p 8080:8080 platform
# The Node major must equal .nvmrc (what the workflows test on); test/infra/contract.test.ts checks it.
ARG NODE_IMAGE=node:24-bookworm-slim

# ── build: compile TypeScript to dist/ (dev dependencies needed, install scripts not) ─────────────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json

# ── deps: production dependencies only ──────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# cdktf, the provider bindings, embedded-postgres and tsx are dev dependencies: the CLI loads the commands that
# need them (`local`, `infra diff`) only when run.
COPY patches ./patches
# patches/ carries the upstream guard for postgres.js 3.4.9's crash on a lost connection (porsager/postgres#1208);
# install scripts stay off, so apply it explicitly.
# NODE_ENV=production: patches of dev-only packages (patches/*.dev.patch) are skipped, as those are not installed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && NODE_ENV=production npx --yes patch-package@8.0.1 && npm cache clean --force

# ── runtime: non-root, no build tools, no sources ───────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
# A 4 MiB young generation: the sync streams pages through short-lived objects, and V8's default semi-space lets
# ~100 MB of garbage sit in RSS (npm run bench -- sync: peak RSS 241 → 221 MB at 100k patients, same speed).
ENV NODE_ENV=production \
    PORT=8080 \
    NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/drizzle ./dist/drizzle
# The image's built-in unprivileged user (uid 1000); application files stay root-owned and read-only to it.
USER node
EXPOSE 8080
# exec keeps node as PID 1 so SIGTERM from Cloud Run reaches it.
ENTRYPOINT ["/bin/sh", "-c", "test -n \"$SERVICE\" || { echo 'SERVICE must be drchrono-sync or coda-push' >&2; exit 64; }; exec node dist/cli/main.js serve \"$SERVICE\""]
