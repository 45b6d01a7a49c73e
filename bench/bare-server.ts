/**
 * The baseline for the HTTP benchmarks: a bare Hono app on @hono/node-server that does the HTTP part
 * of each benchmarked route and nothing else. Prints its URL on stdout once listening.
 *
 * - POST add-entry / add-entries: parses the same JSON body, answers a small JSON.
 * - GET get-proof-by-hash / get-sth-consistency (the P3 ceiling): reads the same query parameters and
 *   answers a canned proof of the same shape and size as a real one on a 1,000,000-entry log
 *   (20 base64 hashes), so that both sides put the same bytes on the wire.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const PROOF_HASHES = 20;
const cannedPath = Array.from({ length: PROOF_HASHES }, (_, i) => Buffer.alloc(32, i).toString('base64'));

const app = new Hono();
app.post('/ct/v1/add-entry', async (c) => {
  const record = (await c.req.json()) as Record<string, unknown>;
  return c.json({ ok: true, fields: Object.keys(record).length });
});
app.post('/ct/v1/add-entries', async (c) => {
  const records = (await c.req.json()) as unknown[];
  return c.json({ ok: true, records: records.length });
});
app.get('/ct/v1/get-proof-by-hash', (c) => {
  const hash = c.req.query('hash') ?? '';
  const treeSize = Number(c.req.query('tree_size'));
  return c.json({ leaf_index: (hash.length * 7919) % Math.max(1, treeSize), audit_path: cannedPath });
});
app.get('/ct/v1/get-sth-consistency', (c) => {
  const first = Number(c.req.query('first'));
  const second = Number(c.req.query('second'));
  return c.json({ consistency: first < second ? cannedPath : [] });
});
app.get('/ct/v1/get-sth', (c) => c.json({ tree_size: 0 }));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`serving bare hono on http://127.0.0.1:${info.port}`);
});
