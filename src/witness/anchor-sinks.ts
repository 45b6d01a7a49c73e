/**
 * @module
 * One delivery attempt to one sink. Each function either returns (delivered) or throws a
 * DeliveryError whose message says what went wrong; retrying is the caller's job. No message ever
 * holds a token: errors name statuses, codes and the log's own error text, never request headers.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { verifyReceipt } from '../client/receipt.js';
import { addEntryUrl, type AnchorSinkConfig } from './anchor-record.js';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly code: 'unreachable' | 'timeout' | 'status' | 'receipt' | 'io',
    message: string,
  ) {
    super(message);
  }
}

export interface HttpContext {
  readonly fetch: typeof fetch;
  /** Bound on one attempt, in milliseconds (AbortSignal.timeout). */
  readonly timeoutMs: number;
  /** Aborted when the anchorer closes. */
  readonly signal: AbortSignal;
}

const oneLine = (text: string, max = 300): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** A fetch failure in words: refused, reset, timed out. */
function transportError(error: unknown, timeoutMs: number): DeliveryError {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return new DeliveryError('timeout', `no answer within ${timeoutMs} ms`);
  if (e.name === 'AbortError') return new DeliveryError('timeout', 'the attempt was abandoned: the anchorer is closing');
  const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  return new DeliveryError('unreachable', `could not reach the sink (${cause})`);
}

async function post(url: string, body: string, headers: Record<string, string>, ctx: HttpContext): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      // A redirected POST may become a GET whose 200 would look like a delivery: refuse redirects.
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(ctx.timeoutMs), ctx.signal]),
    });
  } catch (error) {
    throw transportError(error, ctx.timeoutMs);
  }
  try {
    return { status: response.status, text: await readCapped(response) };
  } catch (error) {
    throw error instanceof DeliveryError ? error : transportError(error, ctx.timeoutMs);
  }
}

/** Largest answer read from a sink: a receipt is a few kilobytes; anything near this is not one. */
const MAX_ANSWER_BYTES = 1 << 20;

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    length += chunk.length;
    if (length > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new DeliveryError('status', `the sink answered HTTP ${response.status} with more than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Submits the anchor record to another sealtrail log (PROTOCOL §5 add-entry) and verifies the receipt
 * it returns (PROTOCOL §4) against the exact record bytes and the log's verifier key. Returns the
 * receipt's JSON text. An unverifiable receipt is a failed delivery: the next attempt, with the same
 * Idempotency-Key and record, gets the original entry back rather than a second one.
 */
export async function deliverToLog(
  sink: { readonly url: string; readonly token: string; readonly verifier_key: string },
  record: string,
  idempotencyKey: string,
  ctx: HttpContext,
): Promise<string> {
  const { status, text } = await post(addEntryUrl(sink.url), record, { authorization: `Bearer ${sink.token}`, 'idempotency-key': idempotencyKey }, ctx);
  if (status !== 200) {
    let detail = oneLine(text);
    try {
      const body = JSON.parse(text) as { error_code?: unknown; error_message?: unknown };
      if (typeof body.error_code === 'string') detail = `${body.error_code}: ${oneLine(String(body.error_message ?? ''))}`;
    } catch {
      // Not the log's error shape (a proxy's page, say): keep the text as it is.
    }
    throw new DeliveryError('status', `the log answered HTTP ${status}${detail ? ` (${detail})` : ''}`);
  }
  let receipt: unknown;
  try {
    receipt = JSON.parse(text);
  } catch {
    throw new DeliveryError('receipt', 'the log answered 200 with a body that is not JSON, so there is no receipt to keep');
  }
  try {
    verifyReceipt(receipt, new TextEncoder().encode(record), sink.verifier_key);
  } catch (error) {
    throw new DeliveryError('receipt', `the log's receipt does not verify: ${(error as Error).message}`);
  }
  return text;
}

/** POSTs a JSON body; any 2xx is delivered. */
export async function deliverToWebhook(url: string, body: string, ctx: HttpContext): Promise<void> {
  const { status, text } = await post(url, body, {}, ctx);
  if (status < 200 || status > 299) {
    const detail = oneLine(text, 200);
    throw new DeliveryError('status', `the webhook answered HTTP ${status}${detail ? ` (${detail})` : ''}`);
  }
}

export interface FileAppend {
  /** True when `line` already ended the file (a crash after the append, before "delivered" was recorded). */
  readonly alreadyThere: boolean;
  /** Which of `inDoubt` ended the file before this append; that one is delivered too. */
  readonly found?: string;
}

/**
 * Appends `line` (one JSON text, no newline) and a newline to the JSON Lines file at `path`, then
 * fsyncs it; creates the file (mode 0644) and its directory if needed, and fsyncs the directory of a
 * new file so that the file's name is durable too.
 *
 * Exactly once: the caller serialises the appends to one file and records each as delivered before
 * the next, so at most one line can have been appended without being recorded — and if so it is
 * the last line of the file. Before appending, the file's end is compared with `line` and with the
 * other undelivered lines (`inDoubt`): a match means that line is already there. The witness must
 * be the file's only writer.
 */
export async function appendJsonLine(path: string, line: string, inDoubt: readonly string[]): Promise<FileAppend> {
  const wanted = Buffer.from(`${line}\n`);
  const candidates = [wanted, ...inDoubt.map((l) => Buffer.from(`${l}\n`))];
  try {
    const created = !(await stat(path).then(
      () => true,
      () => false,
    ));
    if (created) await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    // 'a+': every write goes to the end whatever the position; reads see the whole file.
    const fh = await open(path, 'a+', 0o644);
    let result: FileAppend;
    try {
      const size = (await fh.stat()).size;
      const tailLength = Math.min(size, Math.max(...candidates.map((c) => c.length)) + 1);
      const tail = Buffer.alloc(tailLength);
      if (tailLength > 0) await fh.read(tail, 0, tailLength, size - tailLength);
      const ends = (c: Buffer): boolean =>
        tail.length >= c.length && tail.subarray(tail.length - c.length).equals(c) && (size === c.length || tail[tail.length - c.length - 1] === 0x0a);
      if (ends(wanted)) return { alreadyThere: true };
      const found = inDoubt.find((_, i) => ends(candidates[i + 1]!));
      // A torn earlier write leaves no newline at the end: start a line of our own rather than join it.
      const torn = size > 0 && tail[tail.length - 1] !== 0x0a;
      await fh.write(torn ? Buffer.concat([Buffer.from('\n'), wanted]) : wanted);
      await fh.sync();
      result = found === undefined ? { alreadyThere: false } : { alreadyThere: false, found };
    } finally {
      await fh.close();
    }
    if (created) await syncDirectory(dirname(path));
    return result;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const code = e.code && !e.message.includes(e.code) ? `${e.code} ` : '';
    throw new DeliveryError('io', `could not append to ${path}: ${code}${e.message}`);
  }
}

/** fsyncs a directory so that a file just created in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface AnchorDelivered {
  /** Log sinks: the verified receipt's JSON text. */
  readonly receipt?: string;
  /** File sinks: another undelivered record found already at the end of the file. */
  readonly found?: string;
}

/** One attempt to deliver an anchor record to one sink; throws DeliveryError when it fails. */
export async function deliverAnchor(
  sink: AnchorSinkConfig,
  anchor: { readonly record: string; readonly idempotencyKey: string },
  inDoubt: readonly string[],
  http: HttpContext,
): Promise<AnchorDelivered> {
  switch (sink.type) {
    case 'log':
      return { receipt: await deliverToLog(sink, anchor.record, anchor.idempotencyKey, http) };
    case 'webhook':
      await deliverToWebhook(sink.url, anchor.record, http);
      return {};
    case 'file': {
      const { found } = await appendJsonLine(sink.path, anchor.record, inDoubt);
      return found === undefined ? {} : { found };
    }
  }
}

/**
 * POSTs a fork alert to one webhook, trying up to `attempts` times with `delayMs(n)` between tries,
 * and reports each try. Never throws. Not queued across restarts: the evidence file is the durable
 * record of a fork, and the witness refuses the log until an operator clears it.
 */
export async function sendForkAlert(
  url: string,
  body: string,
  http: HttpContext,
  attempts: number,
  delayMs: (attempt: number) => number,
  report: (attempt: number, error?: string) => void,
): Promise<void> {
  for (let attempt = 1; attempt <= attempts && !http.signal.aborted; attempt++) {
    try {
      await deliverToWebhook(url, body, http);
      report(attempt);
      return;
    } catch (error) {
      report(attempt, (error as Error).message);
      if (attempt < attempts) await abortableSleep(delayMs(attempt), http.signal);
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
