# Mirrors config/setup/setup.sh. Build: docker build -t veil .
# Run: docker run -p 8080:8080 -p 40000-40001:40000-40001/udp -p 40000-40001:40000-40001/tcp \
#   -e VEIL_TLS_CERT_FILE=... -e VEIL_TLS_KEY_FILE=... -e VEIL_RTC_ANNOUNCED_IP=<public ip> veil

FROM node:20-bookworm AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends \
      g++ make python3 meson ninja-build pkg-config \
      libssl-dev libuv1-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev curl \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN VEIL_CACHE_DIR=/tmp/veil-cache bash config/setup/mediasoup-worker.sh \
    && cp --remove-destination "$(readlink -f node_modules/mediasoup/worker/out/Release/mediasoup-worker)" \
         node_modules/mediasoup/worker/out/Release/mediasoup-worker \
    && npm run build \
    && VEIL_ONNX_MODEL_DIR=/app/onnx-models node dist/src/tools/convert-models-cli.js \
    && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      redis-server ffmpeg libssl3 libuv1 libusrsctp2 libabsl20220623 curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/onnx-models ./onnx-models
COPY --from=build /app/config/defaults.json ./config/defaults.json
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV VEIL_HTTP_HOST=0.0.0.0 VEIL_RTC_LISTEN_IP=0.0.0.0 VEIL_DATA_DIR=/app/data VEIL_ONNX_MODEL_DIR=/app/onnx-models
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# SIGTERM drains (docs/operations.md): give `docker stop -t` more than VEIL_DRAIN_DEADLINE_MS.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/index.js"]
