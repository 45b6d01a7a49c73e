/**
 * @module
 * `POST /v1/retention/run` (spec/formats.md §16.5): one run of the retention job on demand, on a
 * serving log, for an admin of every tenant (a run erases records of every tenant). It waits for a
 * scheduled run in progress and is bounded by the same per-run limits; `complete: false` says there
 * is more, and the caller runs again (`sealtrail retention run --url` does).
 */
import type { Hono } from 'hono';
import type { Authenticator } from '../auth/tokens.js';
import type { RetentionErasure, RetentionJob } from '../log/retention.js';
import { parseRecord } from '../record/index.js';
import { LogError } from '../util/errors.js';
import { notePrincipal } from './observability.js';
import { readBody } from './params.js';

const MAX_BODY_BYTES = 1024;

const erasureJson = (e: RetentionErasure): Record<string, unknown> => ({
  target_index: e.targetIndex,
  fields: e.fields,
  period_days: e.periodDays,
  time: e.time,
  ...(e.erasureIndex === undefined ? {} : { erasure_index: e.erasureIndex }),
});

export function registerRetentionRoute(app: Hono, options: { readonly auth: Authenticator; readonly retention: RetentionJob | undefined }): void {
  const { auth, retention } = options;
  app.post('/v1/retention/run', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), ['admin']));
    if (principal.tenants !== undefined) {
      throw new LogError('forbidden', 'a retention run erases records of every tenant: it needs an admin token for every tenant; this one is scoped to tenants');
    }
    const dryRun = parseRunRequest(await readBody(c, MAX_BODY_BYTES, 'the retention request'));
    if (!retention) {
      throw new LogError('conflict', 'this log has no retention policy: start it with serve --config FILE whose "retention" key holds one (spec/formats.md §16.5)');
    }
    const report = await retention.runNow({ dryRun });
    c.header('Cache-Control', 'no-store');
    return c.json({
      dry_run: report.dryRun,
      erasures: report.erasures.map(erasureJson),
      examined: report.examined,
      complete: report.complete,
      cursors: report.cursors,
    });
  });
}

/** An empty body, `{}`, or `{"dry_run": true|false}`. */
function parseRunRequest(body: Uint8Array): boolean {
  // parseRecord refuses an object without members (a record has at least one field).
  if (/^\s*(\{\s*\})?\s*$/.test(Buffer.from(body).toString('latin1'))) return false;
  const accepted = 'a retention run request is empty, {} or {"dry_run": true|false}';
  let dryRun = false;
  for (const f of parseRecord(body)) {
    if (f.name !== 'dry_run' || (f.jcs !== 'true' && f.jcs !== 'false')) {
      throw new LogError('malformed', `unexpected member ${JSON.stringify(f.name)}; ${accepted}`);
    }
    dryRun = f.jcs === 'true';
  }
  return dryRun;
}
