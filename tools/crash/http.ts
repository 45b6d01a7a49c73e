/**
 * @module
 * HTTP for the crash tool: every request ends in an answer (any status) or a failure (no answer:
 * refused, reset, timed out), never an exception, so that load clients can classify what happened
 * around a kill.
 */

export type Outcome =
  | { readonly kind: 'answer'; readonly status: number; readonly text: string; readonly headers: Headers }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

/** Long enough for any pass under load; a request still unanswered by then is hung. */
export const REQUEST_TIMEOUT_MS = 30_000;

export async function request(url: string, init: RequestInit = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Outcome> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    // The body too: a connection cut while it arrives is no answer either.
    const text = await res.text();
    return { kind: 'answer', status: res.status, text, headers: res.headers };
  } catch (e) {
    return { kind: 'failed', code: failureCode(e), message: (e as Error).message };
  }
}

/** ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, timeout…: fetch wraps the cause, sometimes twice. */
export function failureCode(error: unknown): string {
  let e = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.name === 'TimeoutError') return 'timeout';
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return 'unknown';
}

/** GETs JSON that must be there (a read of a running server during checks); throws saying what came back. */
export async function getJson(url: string): Promise<any> {
  const outcome = await request(url);
  if (outcome.kind === 'failed') throw new Error(`GET ${url} failed: ${outcome.code} (${outcome.message})`);
  if (outcome.status !== 200) throw new Error(`GET ${url} answered ${outcome.status}: ${outcome.text.slice(0, 300)}`);
  try {
    return JSON.parse(outcome.text);
  } catch {
    throw new Error(`GET ${url} answered 200 with a body that is not JSON: ${outcome.text.slice(0, 300)}`);
  }
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const outcome = await request(url);
  if (outcome.kind === 'failed') throw new Error(`GET ${url} failed: ${outcome.code} (${outcome.message})`);
  return { status: outcome.status, text: outcome.text };
}

/**
 * The pinned error body (PROTOCOL §5): exactly `{"error_code", "error_message"}`, both non-empty
 * strings. Returns the code, or undefined if the body is anything else.
 */
export function pinnedErrorCode(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  if (Object.keys(body).sort().join(',') !== 'error_code,error_message') return undefined;
  if (typeof body['error_code'] !== 'string' || typeof body['error_message'] !== 'string' || body['error_message'] === '') return undefined;
  return body['error_code'];
}

/** Runs `task` over `items`, at most `concurrency` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, run));
}
