# One image for coordinators and workers: `docker run idlegrid coordinator ...` / `... worker ...`.
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
# npm ci runs the prepare script, which compiles TypeScript to dist/; dev tools are dropped afterwards.
RUN npm ci && npm prune --omit=dev
ENTRYPOINT ["node", "bin/idlegrid.js"]
CMD ["--help"]
