# Countersign app image. Built by `docker compose up` (see docker-compose.yml); the TypeScript
# sources run through tsx, so there is no build stage.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATA_DIR=/data
# onnxruntime-node (models/): the CPU build ships in the package; download no CUDA
# libraries at install. Read by its install script (.npmrc sets the same for a plain npm install).
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    ONNXRUNTIME_NODE_INSTALL_CUDA=skip

COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
RUN mkdir -p /data && chown node:node /data
USER node

EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/countersign.js", "serve"]
