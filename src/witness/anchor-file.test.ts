/**
 * The `file` sink: append-only JSON Lines, fsynced, created with its directory, and exactly one line
 * per anchor even when a crash falls between the append and the record of its delivery.
 */
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '../../test/harness.js';
import { Anchorer, type AnchorerOptions } from './anchor.js';
import { appendJsonLine } from './anchor-sinks.js';
import { cosigning, LIVENESS_MS, waitFor } from './anchor-testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function dir(): Promise<string> {
  const d = await tempDir('sealtrail-anchor-');
  cleanups.push(d.remove);
  return d.path;
}

const keys = cosigning('example.org/log');

async function open(d: string, path: string, more: Partial<AnchorerOptions> = {}): Promise<Anchorer> {
  const a = await Anchorer.open({
    dir: d,
    sinks: [{ type: 'file', path }],
    everyEntries: 1,
    everySeconds: 600,
    witnessVerifierKey: keys.witnessVerifierKey,
    backoff: { initialMs: 20, maxMs: 100 },
    ...more,
  });
  cleanups.push(() => a.close());
  return a;
}

const lines = async (path: string): Promise<string[]> => (await readFile(path, 'utf8')).split('\n');

describe('file sink', () => {
  test('one JSON line per anchor, in order, in a file created (0644) with its directory', async () => {
    const d = await dir();
    const path = join(d, 'deep', 'er', 'anchors.jsonl');
    const a = await open(d, path);
    for (const size of [1, 2, 3]) a.noteCosigned(keys.at(size));
    await a.flush();
    const list = await a.list();
    expect(list.map((x) => x.deliveries[0]!.state)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await lines(path)).toEqual([...list.map((x) => x.record), '']);
    expect((await lines(path)).slice(0, 3).map((l) => (JSON.parse(l) as { tree_size: number }).tree_size)).toEqual([1, 2, 3]);
    // 0644 less the umask: the owner reads and writes; nobody else writes, nobody executes.
    const mode = (await stat(path)).mode & 0o777;
    expect(mode & 0o600).toBe(0o600);
    expect(mode & 0o133).toBe(0);
  });

  test('a crash after the append, before "delivered" was recorded, leaves one line, not two', async () => {
    const d = await dir();
    // The sink's directory is a plain file at first, so the delivery fails and stays pending.
    const blocked = join(d, 'out');
    await writeFile(blocked, 'not a directory');
    const path = join(blocked, 'anchors.jsonl');
    const a = await open(d, path);
    a.noteCosigned(keys.at(1));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return list[0]?.deliveries[0]?.lastError ? list : undefined;
    }, LIVENESS_MS, 'a failed append');
    expect(anchor!.deliveries[0]!.lastError).toMatch(/could not append to .*(EEXIST|ENOTDIR)/);
    await a.close();

    // What a crash right after the append would leave: the line in the file, the delivery pending.
    await rm(blocked);
    await mkdir(blocked);
    await writeFile(path, `${anchor!.record}\n`);

    const b = await open(d, path);
    await b.flush();
    expect((await b.list())[0]!.deliveries[0]).toMatchObject({ state: 'delivered' });
    expect(await lines(path)).toEqual([anchor!.record, '']);
    // And later anchors append after it as usual.
    b.noteCosigned(keys.at(2));
    await b.flush();
    expect(await lines(path)).toEqual([...(await b.list()).map((x) => x.record), '']);
  });

  test('appendJsonLine: a line already at the end is not appended again; another one in doubt is found', async () => {
    const d = await dir();
    const path = join(d, 'a.jsonl');
    expect(await appendJsonLine(path, '{"n":1}', [])).toEqual({ alreadyThere: false });
    expect(await appendJsonLine(path, '{"n":1}', [])).toEqual({ alreadyThere: true });
    // {"n":2} was appended but its delivery not recorded; {"n":3} comes next.
    await appendFile(path, '{"n":2}\n');
    expect(await appendJsonLine(path, '{"n":3}', ['{"n":2}', '{"n":9}'])).toEqual({ alreadyThere: false, found: '{"n":2}' });
    // A suffix of the last line is not the line.
    expect(await appendJsonLine(path, '3}', [])).toEqual({ alreadyThere: false });
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n3}\n');
  });

  test('appendJsonLine: after a torn write the new line starts on a line of its own', async () => {
    const d = await dir();
    const path = join(d, 'a.jsonl');
    await writeFile(path, '{"n":1}\n{"n":');
    await appendJsonLine(path, '{"n":2}', []);
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":\n{"n":2}\n');
  });
});
