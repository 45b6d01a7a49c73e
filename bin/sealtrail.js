#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the "prepare" script, or `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('sealtrail: dist/ is missing; build it with "npm run build" (npm ci does this for you)');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
