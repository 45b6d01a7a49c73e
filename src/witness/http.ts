/**
 * @module
 * Push mode over HTTP (C2SP tlog-witness v1.0.0, PROTOCOL §7):
 *
 *   POST /add-checkpoint            the cosignature line(s), or a refusal with the spec's status
 *   GET  /<hex SHA-256 of origin>/checkpoint   the latest cosigned checkpoint (monitoring prefix)
 *   GET  /healthz
 *
 * Handlers are thin; WitnessError codes become statuses in one table. Error bodies are one line of
 * text/plain, except 409, whose body and type tlog-witness fixes.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { readBody } from '../api/params.js';
import { LogError } from '../util/errors.js';
import { WitnessError } from './errors.js';
import type { WitnessErrorCode } from './errors.js';
import { parseAddCheckpoint } from './request.js';
import { cosignedNote } from './store.js';
import type { Witness } from './witness.js';

/**
 * A checkpoint is a few hundred bytes and 63 proof lines about 2.8 KiB; 64 KiB leaves room for
 * many signature lines (a note has at most 100) while keeping a flood of large bodies cheap.
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const STATUS: Record<WitnessErrorCode, ContentfulStatusCode> = {
  malformed: 400,
  forbidden: 403,
  unknownOrigin: 404,
  conflict: 409,
  inconsistent: 422,
  refused: 422,
  tooLarge: 413,
};

const TEXT = 'text/plain; charset=utf-8';
/** tlog-witness: the 409 body is the latest size in decimal and a newline, of this type. */
const SIZE_TYPE = 'text/x.tlog.size';

export interface WitnessHttpOptions {
  readonly maxBodyBytes?: number;
  /** Where unexpected errors go (a bug: never something a client can cause). */
  readonly report?: (error: Error) => void;
}

export function createWitnessApp(witness: Witness, options: WitnessHttpOptions = {}): Hono {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const report = options.report ?? ((e: Error) => console.error('sealtrail witness: internal error:', e));
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof WitnessError) return refusal(c, error);
    report(error);
    return c.body('internal error: the witness failed to handle this request; it has been reported\n', 500, { 'Content-Type': TEXT });
  });
  app.notFound((c) => c.body(`no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}\n`, 404, { 'Content-Type': TEXT }));

  app.post('/add-checkpoint', async (c) => {
    let body: Uint8Array;
    try {
      body = await readBody(c, maxBodyBytes, 'the add-checkpoint body');
    } catch (e) {
      if (e instanceof LogError) throw new WitnessError(e.code === 'tooLarge' ? 'tooLarge' : 'malformed', e.message);
      throw e;
    }
    const { cosignature } = await witness.addCheckpoint(parseAddCheckpoint(body), 'push');
    return c.body(cosignature, 200, { 'Content-Type': TEXT });
  });
  app.all('/add-checkpoint', (c) => c.body('add-checkpoint takes POST\n', 405, { 'Content-Type': TEXT, Allow: 'POST' }));

  app.get('/healthz', (c) => c.body('ok\n', 200, { 'Content-Type': TEXT }));

  app.get('/:originHash/checkpoint', async (c) => {
    const hash = c.req.param('originHash');
    const origin = /^[0-9a-f]{64}$/.test(hash) ? witness.originOfHash(hash) : undefined;
    if (origin === undefined) {
      return c.body('no configured log has this origin hash (the lowercase hex SHA-256 of the origin)\n', 404, { 'Content-Type': TEXT });
    }
    const state = await witness.latest(origin);
    if (state === undefined) return c.body(`this witness has not cosigned a checkpoint of ${origin} yet\n`, 404, { 'Content-Type': TEXT });
    c.header('Cache-Control', 'no-store');
    return c.body(cosignedNote(state), 200, { 'Content-Type': TEXT });
  });

  return app;
}

function refusal(c: Context, error: WitnessError): Response {
  if (error.code === 'conflict') return c.body(`${error.latestSize}\n`, 409, { 'Content-Type': SIZE_TYPE });
  return c.body(`${error.message}\n`, STATUS[error.code], { 'Content-Type': TEXT });
}
