/**
 * test/vectors/merkle is a copy of the shared RFC 6962 vectors, so a clone is self-contained. Where
 * the shared folder sits beside the repository (as in this workplace and its CI), the copy must be
 * identical to it, file for file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const copy = fileURLToPath(new URL('./vectors/merkle', import.meta.url));
const shared = fileURLToPath(new URL('../../shared/vectors/merkle', import.meta.url));

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

describe.runIf(existsSync(shared))('the vendored merkle vectors', () => {
  it('are identical to ../shared/vectors/merkle', () => {
    const names = files(shared);
    expect(files(copy)).toEqual(names);
    for (const name of names) expect(readFileSync(join(copy, name)).equals(readFileSync(join(shared, name))), name).toBe(true);
  });
});
