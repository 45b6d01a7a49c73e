/**
 * @module
 * A client of a serving log's token API (`/v1/tokens`, spec/formats.md §21), for `sealtrail token
 * … --url`. Errors carry the log's own error message (PROTOCOL §5), which says what was wrong.
 */
import type { Role } from '../storage/types.js';

export interface RemoteToken {
  readonly name: string;
  readonly role: Role;
  readonly tenants: readonly string[] | null;
  readonly created_at: string;
  readonly fingerprint: string;
}

export class TokenApiError extends Error {
  override readonly name = 'TokenApiError';
}

export class TokenApi {
  private readonly base: string;

  constructor(url: string, private readonly adminToken: string) {
    this.base = url.replace(/\/+$/, '');
  }

  async list(): Promise<RemoteToken[]> {
    return (await this.call<{ tokens: RemoteToken[] }>('GET', '/v1/tokens')).tokens;
  }

  create(request: { name: string; role: Role; tenants?: readonly string[] }): Promise<RemoteToken & { token: string }> {
    return this.call('POST', '/v1/tokens', request);
  }

  async revoke(by: { name: string } | { fingerprint: string }): Promise<RemoteToken[]> {
    const path = 'name' in by ? `/v1/tokens?name=${encodeURIComponent(by.name)}` : `/v1/tokens/${encodeURIComponent(by.fingerprint)}`;
    return (await this.call<{ revoked: RemoteToken[] }>('DELETE', path)).revoked;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new TokenApiError(`cannot reach ${this.base}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TokenApiError(`${method} ${url} answered HTTP ${res.status} without JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const message = (json as { error_message?: unknown }).error_message;
      throw new TokenApiError(`the log refused (HTTP ${res.status}): ${typeof message === 'string' ? message : text.slice(0, 200)}`);
    }
    return json as T;
  }
}
