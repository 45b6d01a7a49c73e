/**
 * @module
 * A Server-Sent Events reader (WHATWG HTML §9.2.6 "Interpreting an event stream"), for the live tail:
 * turns the bytes of a `text/event-stream` body into events. No dependency, no EventSource: the
 * caller owns the connection (fetch), its headers and its reconnection.
 */

export interface ServerSentEvent {
  /** The `event` field; "message" when the stream gave none. */
  readonly event: string;
  /** The `data` lines joined with "\n". */
  readonly data: string;
  /** The last event id seen so far on the stream (the `id` field persists across events). */
  readonly id: string | undefined;
}

/** What the reader saw besides events: `retry` values and comments (keep-alives). */
export interface SseHooks {
  retry?(ms: number): void;
  comment?(text: string): void;
}

/** Reads events from `body` until it ends. Decodes UTF-8; accepts CRLF, LF and CR line ends. */
export async function* readEvents(body: AsyncIterable<Uint8Array>, hooks: SseHooks = {}): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let first = true;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      // §9.2.6: a leading U+FEFF is ignored.
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      first = false;
    }
    for (;;) {
      const end = /\r\n|\r|\n/.exec(buffer);
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (!end || (end[0] === '\r' && end.index === buffer.length - 1)) break;
      const line = buffer.slice(0, end.index);
      buffer = buffer.slice(end.index + end[0].length);
      if (line === '') {
        // Dispatch: an event with no data lines is dropped.
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) {
        hooks.comment?.(line.slice(1).trimStart());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
      else if (field === 'retry' && /^[0-9]+$/.test(value)) hooks.retry?.(Number(value));
    }
  }
  // §9.2.6: an event not terminated by a blank line when the stream ends is discarded.
}
