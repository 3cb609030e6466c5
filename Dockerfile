# Keyward: ext_authz Check on :9191, KeyAdmin API with /healthz, /readyz and /metrics on :8181.
#
#   docker build -t keyward .
#   docker run -p 9191:9191 -p 8181:8181 -v keyward-data:/var/lib/keyward keyward
#   docker exec <container> node bin/keyward.js keygen --company acme --admin
#
# Without KEYWARD_DATABASE_URL keys live in embedded PGlite under /var/lib/keyward (mount a volume there);
# with it, set KEYWARD_PEPPER or KEYWARD_PEPPER_FILE too.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY buf.yaml buf.gen.yaml buf.gen.envoy.yaml tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
# The web console: built by vite into dist/console/, served by the admin listener.
COPY console ./console
COPY scripts/build.js scripts/build-pglite-template.js ./scripts/
# `prepare` generates src/gen from the protos, compiles dist/ and makes dist/pglite-template/ (the initialised,
# migrated data dir a new embedded store starts from, so a first start runs no initdb).
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin

# A numeric, non-root user, so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 keyward \
  && useradd --system --uid 10001 --gid keyward --home-dir /var/lib/keyward --shell /usr/sbin/nologin keyward \
  && mkdir -p /var/lib/keyward \
  && chown keyward:keyward /var/lib/keyward \
  && chmod 700 /var/lib/keyward
USER 10001:10001

ENV KEYWARD_AUTHZ_LISTEN=0.0.0.0:9191 KEYWARD_ADMIN_LISTEN=0.0.0.0:8181 KEYWARD_DATA_DIR=/var/lib/keyward
EXPOSE 9191 8181

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.KEYWARD_ADMIN_LISTEN || '').split(':').pop() || '8181'; fetch('http://127.0.0.1:' + port + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/keyward.js"]
CMD ["serve"]
