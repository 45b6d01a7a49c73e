/**
 * @module
 * The recursive-descent reader behind parseRecord and parseRecordBatch (json.ts). It reads the
 * decoded text once, checks the I-JSON rules of PROTOCOL §2 as it goes, and returns for every
 * value its RFC 8785 canonical text. Messages name the problem, the JSON path and the byte offset.
 */
import { LogError } from '../util/errors.js';
import { isUnsafeIntegerText, quoteString } from './jcs.js';
import type { RecordField, RecordLimits } from './json.js';
import { describeCodeUnit, fieldNameProblem, MAX_SAFE_INTEGER, quoteForMessage } from './text.js';

/** Objects with more members than this are sorted with Array.prototype.sort. */
const INSERTION_SORT_MAX = 32;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ESCAPED: Record<number, string> = {
  0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t',
};

/** Recursive descent over the decoded text; every method that reads a value returns its JCS text. */
export class Parser {
  pos = 0;
  /** Prepended to every message; parseRecordBatch sets it to `record <i>: `. */
  prefix = '';
  /** The unescaped value of the string that string() read last. */
  private lastString = '';
  private depth = 0;
  /** Member names and element indexes leading to the current value, for messages. */
  private readonly path: (string | number)[] = [];

  constructor(
    private readonly text: string,
    private readonly limits: RecordLimits,
  ) {}

  skipWhitespace(): void {
    // RFC 8259 §2: space, horizontal tab, line feed, carriage return; nothing else.
    const text = this.text;
    let pos = this.pos;
    let c = text.charCodeAt(pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
    this.pos = pos;
  }

  /** The top-level object of a record: fields in submission order, names checked. */
  record(): RecordField[] {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== 0x7b) {
      this.fail(`a record must be a JSON object; got ${this.describeValueAt()}`, true);
    }
    this.depth = 1;
    this.pos++;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === 0x7d) {
      this.fail(`a record needs 1 to ${this.limits.maxFields} fields; got an empty object`, false);
    }
    const fields: RecordField[] = [];
    const names = new Set<string>();
    for (;;) {
      if (text.charCodeAt(this.pos) !== 0x22) this.unexpected('a field name in double quotes');
      const nameAt = this.pos;
      this.string();
      const name = this.lastString;
      const problem = fieldNameProblem(name);
      if (problem !== undefined) this.failAt(nameAt, `field name ${quoteForMessage(name)} ${problem}`);
      if (names.has(name)) {
        this.failAt(nameAt, `duplicate field name ${quoteForMessage(name)}; each name may appear only once`);
      }
      if (fields.length === this.limits.maxFields) {
        this.failAt(nameAt, `a record has at most ${this.limits.maxFields} top-level fields`);
      }
      names.add(name);
      this.colon();
      this.path.push(name);
      const jcs = this.value();
      this.path.pop();
      fields.push({ name, jcs });
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === 0x7d) break;
      if (c !== 0x2c) this.unexpected("',' or '}'");
      this.pos++;
      this.skipWhitespace();
    }
    this.pos++;
    this.depth = 0;
    return fields;
  }

  /** Fails unless only whitespace follows. */
  end(where: string): void {
    this.skipWhitespace();
    if (this.pos < this.text.length) {
      this.fail(`unexpected ${this.describeCharAt(this.pos)} ${where}; nothing may follow the JSON value`, true);
    }
  }

  private value(): string {
    const text = this.text;
    const c = text.charCodeAt(this.pos);
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x74 && text.startsWith('true', this.pos)) return this.literal('true');
    if (c === 0x66 && text.startsWith('false', this.pos)) return this.literal('false');
    if (c === 0x6e && text.startsWith('null', this.pos)) return this.literal('null');
    return this.badValue();
  }

  private literal(word: string): string {
    this.pos += word.length;
    return word;
  }

  private object(): string {
    this.enter();
    const text = this.text;
    this.pos++;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      this.depth--;
      return '{}';
    }
    const names: string[] = [];
    const members: string[] = [];
    let inOrder = true;
    for (;;) {
      if (text.charCodeAt(this.pos) !== 0x22) this.unexpected('a member name in double quotes');
      const nameAt = this.pos;
      const nameJcs = this.string();
      const name = this.lastString;
      if (names.length > 0 && inOrder) {
        const previous = names[names.length - 1]!;
        if (name === previous) this.failAt(nameAt, duplicateMessage(name));
        if (name < previous) inOrder = false;
      }
      this.colon();
      this.path.push(name);
      const valueJcs = this.value();
      this.path.pop();
      names.push(name);
      members.push(nameJcs + ':' + valueJcs);
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === 0x7d) break;
      if (c !== 0x2c) this.unexpected("',' or '}'");
      this.pos++;
      this.skipWhitespace();
    }
    this.pos++;
    this.depth--;
    if (inOrder) return '{' + members.join(',') + '}';
    // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names, which is what
    // JavaScript's < compares. Equal names end up adjacent.
    if (names.length > INSERTION_SORT_MAX) return this.sortedMembers(names, members);
    // Insertion sort of the parallel arrays: most objects are small, and no closure is needed.
    for (let i = 1; i < names.length; i++) {
      const name = names[i]!;
      const member = members[i]!;
      let j = i - 1;
      while (j >= 0 && names[j]! > name) {
        names[j + 1] = names[j]!;
        members[j + 1] = members[j]!;
        j--;
      }
      if (j >= 0 && names[j] === name) this.fail(duplicateMessage(name), false);
      names[j + 1] = name;
      members[j + 1] = member;
    }
    return '{' + members.join(',') + '}';
  }

  /** The general case for large objects: O(n log n), as insertion sort is not. */
  private sortedMembers(names: string[], members: string[]): string {
    const order = names.map((_, i) => i);
    order.sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    let out = '{';
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      if (k > 0) {
        if (names[i] === names[order[k - 1]!]) this.fail(duplicateMessage(names[i]!), false);
        out += ',';
      }
      out += members[i]!;
    }
    return out + '}';
  }

  private array(): string {
    this.enter();
    const text = this.text;
    this.pos++;
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      this.depth--;
      return '[]';
    }
    const path = this.path;
    const slot = path.length;
    path.push(0);
    let out = '[';
    for (let i = 0; ; i++) {
      path[slot] = i;
      out += this.value();
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === 0x5d) break;
      if (c !== 0x2c) this.unexpected("',' or ']'");
      out += ',';
      this.pos++;
      this.skipWhitespace();
    }
    path.pop();
    this.pos++;
    this.depth--;
    return out + ']';
  }

  private enter(): void {
    if (++this.depth > this.limits.maxDepth) {
      this.fail(`objects and arrays are nested more than ${this.limits.maxDepth} deep; at most ${this.limits.maxDepth} levels are accepted`, true);
    }
  }

  private colon(): void {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== 0x3a) this.unexpected("':' after the member name");
    this.pos++;
    this.skipWhitespace();
  }

  /**
   * Reads the string at `pos` (its opening quote). Returns its canonical text and leaves the
   * unescaped value in lastString. Input is well-formed UTF-16 (it came from strict UTF-8), so
   * only escapes can introduce lone surrogates.
   */
  private string(): string {
    const text = this.text;
    const start = this.pos;
    let pos = start + 1;
    let c = text.charCodeAt(pos);
    // Skip characters that stand for themselves: not '"', not '\\', not a control (NaN at the end).
    while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = text.charCodeAt(++pos);
    if (c === 0x22) {
      // No escapes: characters stand for themselves, and that is already the canonical text.
      this.pos = pos + 1;
      this.lastString = text.slice(start + 1, pos);
      return text.slice(start, pos + 1);
    }
    let value = text.slice(start + 1, pos);
    while (c !== 0x22) {
      if (c === 0x5c) {
        const decoded = this.escape(pos);
        value += decoded;
        // \n is 2 characters, \u0041 is 6, and a surrogate pair \ud83d\ude00 is 12.
        pos += text.charCodeAt(pos + 1) !== 0x75 ? 2 : decoded.length === 2 ? 12 : 6;
      } else if (Number.isNaN(c)) {
        this.failAt(start, 'the string is not closed before the end of the body');
      } else {
        this.failAt(pos, `the control character ${describeCodeUnit(c)} must be escaped in a string`);
      }
      const run = pos;
      c = text.charCodeAt(pos);
      while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = text.charCodeAt(++pos);
      value += text.slice(run, pos);
    }
    this.pos = pos + 1;
    this.lastString = value;
    return quoteString(value);
  }

  /** The characters an escape at `at` (its backslash) stands for; a surrogate pair takes two escapes. */
  private escape(at: number): string {
    const text = this.text;
    const c = text.charCodeAt(at + 1);
    if (c !== 0x75) {
      const simple = ESCAPED[c];
      if (simple === undefined) {
        this.failAt(at, `${this.describeCharAt(at + 1)} cannot follow a backslash; accepted escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`);
      }
      return simple;
    }
    const unit = this.hex4(at);
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      this.failAt(at, `\\u${text.slice(at + 2, at + 6)} is a lone low surrogate; I-JSON strings must be valid Unicode`);
    }
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    if (text.charCodeAt(at + 6) !== 0x5c || text.charCodeAt(at + 7) !== 0x75) {
      this.failAt(at, `\\u${text.slice(at + 2, at + 6)} is a lone high surrogate; it must be followed by an escaped low surrogate \\udc00-\\udfff`);
    }
    const low = this.hex4(at + 6);
    if (low < 0xdc00 || low > 0xdfff) {
      this.failAt(at, `\\u${text.slice(at + 2, at + 6)} is a lone high surrogate; it must be followed by an escaped low surrogate \\udc00-\\udfff`);
    }
    return String.fromCharCode(unit, low);
  }

  /** The code unit of the \uXXXX escape at `at`. */
  private hex4(at: number): number {
    let unit = 0;
    for (let i = at + 2; i < at + 6; i++) {
      const c = this.text.charCodeAt(i);
      let digit: number;
      if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
      else return this.failAt(at, '\\u must be followed by 4 hexadecimal digits');
      unit = unit * 16 + digit;
    }
    return unit;
  }

  /**
   * RFC 8259 §6 grammar, then RFC 7493 §2.2 and RFC 8785 §3.2.2.3. An integer literal is written
   * canonically already, so it is returned as is (but -0 becomes 0).
   */
  private number(): string {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    let c = text.charCodeAt(pos);
    if (c === 0x2d) c = text.charCodeAt(++pos);
    const intStart = pos;
    if (c === 0x30) {
      c = text.charCodeAt(++pos);
      if (c >= 0x30 && c <= 0x39) this.failAt(start, 'a number may not have leading zeros');
    } else if (c >= 0x31 && c <= 0x39) {
      do c = text.charCodeAt(++pos);
      while (c >= 0x30 && c <= 0x39);
    } else {
      this.failAt(start, "'-' must be followed by a digit; JSON has no -Infinity");
    }
    const intDigits = pos - intStart;
    let integer = true;
    if (c === 0x2e) {
      integer = false;
      c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) this.failAt(start, 'a digit must follow the decimal point');
      do c = text.charCodeAt(++pos);
      while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      integer = false;
      c = text.charCodeAt(++pos);
      if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) this.failAt(start, 'a digit must follow the exponent marker');
      do c = text.charCodeAt(++pos);
      while (c >= 0x30 && c <= 0x39);
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    if (integer) {
      // 15 digits stay below 2^53 − 1 = 9007199254740991 (16 digits).
      if (intDigits < 16) return literal === '-0' ? '0' : literal;
      const magnitude = Math.abs(Number(literal));
      if (magnitude > MAX_SAFE_INTEGER) {
        this.failAt(start, `the integer ${shorten(literal)} is beyond ±(2^53−1) = ±${MAX_SAFE_INTEGER}; send larger integers as strings`);
      }
      return literal;
    }
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      this.failAt(start, `the number ${shorten(literal)} is beyond the IEEE 754 double range (±1.7976931348623157e+308)`);
    }
    if (value === 0) {
      if (/[1-9]/.test(literal.slice(0, literal.search(/[eE]|$/)))) {
        this.failAt(start, `the number ${shorten(literal)} is too small for an IEEE 754 double and would become 0`);
      }
      return '0';
    }
    if (isUnsafeIntegerText(value)) {
      this.failAt(start, `the number ${shorten(literal)} is the integer ${String(value)}, beyond ±(2^53−1) = ±${MAX_SAFE_INTEGER}; send larger integers as strings`);
    }
    return String(value); // ECMAScript Number::toString, as RFC 8785 §3.2.2.3 requires
  }

  /** Called when no value starts at pos: say what was found, and what JSON has instead. */
  private badValue(): never {
    const text = this.text;
    const pos = this.pos;
    const c = text.charCodeAt(pos);
    if (text.startsWith('NaN', pos) || text.startsWith('Infinity', pos)) {
      this.failAt(pos, 'NaN and Infinity are not JSON numbers');
    }
    if (c === 0x2b) this.failAt(pos, "a number may not start with '+'");
    if (c === 0x2e) this.failAt(pos, 'a number needs a digit before the decimal point');
    if (c === 0x27) this.failAt(pos, 'strings are written in double quotes');
    return this.unexpected('a value (object, array, string, number, true, false or null)');
  }

  unexpected(expected: string): never {
    return this.fail(`unexpected ${this.describeCharAt(this.pos)}; expected ${expected}`, true);
  }

  private describeValueAt(): string {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x5b) return 'an array';
    if (c === 0x22) return 'a string';
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'a number';
    if (c === 0x74 || c === 0x66) return 'a boolean';
    if (c === 0x6e) return 'null';
    return this.describeCharAt(this.pos);
  }

  private describeCharAt(pos: number): string {
    if (pos >= this.text.length) return 'end of the body';
    const c = this.text.codePointAt(pos)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `character ${describeCodeUnit(c)}`;
    return `character ${JSON.stringify(String.fromCodePoint(c))}`;
  }

  private failAt(pos: number, message: string): never {
    this.pos = pos;
    return this.fail(message, true);
  }

  /** Throws 'malformed' with the prefix, the message, the JSON path and (if asked) the byte offset. */
  fail(message: string, withOffset: boolean, code: 'malformed' | 'tooLarge' = 'malformed'): never {
    const where: string[] = [];
    if (this.depth > 0 || this.path.length > 0) where.push(formatPath(this.path));
    if (withOffset) where.push(`byte ${Buffer.byteLength(this.text.slice(0, this.pos), 'utf8')}`);
    const location = where.length > 0 ? ` (at ${where.join(', ')})` : '';
    throw new LogError(code, `${this.prefix}${message}${location}`);
  }
}

function duplicateMessage(name: string): string {
  return `duplicate member name ${quoteForMessage(name)}; each name may appear only once in an object`;
}

function shorten(literal: string): string {
  return literal.length > 40 ? `${literal.slice(0, 40)}…` : literal;
}

/**
 * `$.meta.tags[3]`, with names that are not identifiers quoted: `$["a b"]`. A name longer than
 * quoteForMessage's 64 characters is quoted and shortened even when it is an identifier, so that a
 * path of long names cannot make a message as large as the body (spec/formats.md §3.4).
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (segment.length <= 64 && IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${quoteForMessage(segment)}]`;
  }
  return out;
}
