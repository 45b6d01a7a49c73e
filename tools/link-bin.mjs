#!/usr/bin/env node
// Runs from "prepare" (so on every npm ci / npm install): links this package's own `sealtrail` bin
// into node_modules/.bin, where npx looks. npm links the bins of dependencies, never the root
// package's own, so without this `npx sealtrail` would go looking in the registry.
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const binDir = `${root}node_modules/.bin`;
mkdirSync(binDir, { recursive: true });
rmSync(`${binDir}/sealtrail`, { force: true });
symlinkSync('../../bin/sealtrail.js', `${binDir}/sealtrail`);
chmodSync(`${root}bin/sealtrail.js`, 0o755);
