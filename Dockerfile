# Disparo API and workers: one image, the command picks the process (`api`, `worker`, `start`).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY consumers ./consumers
COPY publishers ./publishers
# The build compiles to dist/ and copies the static files (the progress page) beside the code.
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
ENTRYPOINT ["node", "dist/src/cli/disparo.js"]
CMD ["start"]
