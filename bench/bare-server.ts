/**
 * The baseline for the HTTP benchmarks: a bare Hono handler on @hono/node-server that parses the
 * same JSON body and answers a small JSON. Prints its URL on stdout once listening.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/ct/v1/add-entry', async (c) => {
  const record = (await c.req.json()) as Record<string, unknown>;
  return c.json({ ok: true, fields: Object.keys(record).length });
});
app.get('/ct/v1/get-sth', (c) => c.json({ tree_size: 0 }));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`serving bare hono on http://127.0.0.1:${info.port}`);
});
