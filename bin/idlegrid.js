#!/usr/bin/env node
// The CLI is TypeScript compiled to dist/ by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('idlegrid is not built yet: run `npm install` (or `npm run build`) in the repository root.\n');
  process.exit(1);
}
await import(entry.href);
