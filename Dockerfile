# One image for every Telltale service: `docker run telltale <service>` (gateway, decoder, store, diagnostics,
# notifier, api, archive, features) or any other `telltale` command (migrate, rules apply, keys create, ...).
#
#   docker build -t telltale .
#
# Stage 1 compiles the TypeScript to JavaScript (`npm run build` → dist/, tsc); stage 2 holds only dist/ and the
# production dependencies, runs as the unprivileged `node` user, and has no TypeScript loader. Health: the ops
# endpoint (OPS_PORT, /healthz) — set OPS_HOST=0.0.0.0 where something outside the container scrapes it.
# CI has no Docker engine: test/start/dist-smoke.sh runs the same build and the compiled command instead.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    OPS_PORT=9100 \
    ARCHIVE_DIR=/var/lib/telltale/archive \
    CONSOLE_DIR=/app/services/console/dist
WORKDIR /app
COPY --from=build /src/dist/ ./
# dist/ carries the root package.json and lockfile and every workspace package (compiled): npm links the workspaces
# and installs only the production dependencies.
RUN rm -rf node_modules \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /var/lib/telltale/archive \
 && chown -R node:node /var/lib/telltale
USER node
EXPOSE 8080 9100
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.OPS_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/services/cli/bin/telltale.js"]
CMD ["--help"]
