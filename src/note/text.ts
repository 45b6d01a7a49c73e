/**
 * @module
 * Character rules shared by notes, checkpoints and key names (C2SP signed-note v1.0.0 §Format).
 * Internal to src/note.
 */

// A JS string can hold what UTF-8 cannot: an unpaired surrogate (\p{Cs} matches only unpaired
// ones in a /u regex). Such a string would be sent as U+FFFD and sign other bytes than it shows.
const FORBIDDEN_IN_TEXT = /[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u;

function describe(char: string, index: number): string {
  const code = char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  const kind = char.length === 1 && char < ' ' ? 'a control character' : 'an unpaired surrogate';
  return `${kind} U+${code} at index ${index}`;
}

/**
 * signed-note: "MUST be valid UTF-8 and MUST NOT contain any ASCII control characters (those
 * below U+0020) other than newline". Returns what is wrong with `text`, or undefined.
 */
export function textProblem(text: string): string | undefined {
  const match = FORBIDDEN_IN_TEXT.exec(text);
  return match ? describe(match[0], match.index) : undefined;
}

// Go's unicode.IsSpace is exactly the Unicode White_Space property.
const FORBIDDEN_IN_NAME = /[\p{White_Space}+\u0000-\u001f]|\p{Cs}/u;

/**
 * signed-note: key names "MUST be non-empty and MUST NOT contain any Unicode spaces or plus
 * (U+002B) characters". Control characters are refused too: such a name could never appear in a
 * note. Returns what is wrong with `name`, or undefined.
 */
export function keyNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the key name is empty';
  const match = FORBIDDEN_IN_NAME.exec(name);
  if (!match) return undefined;
  const char = match[0];
  if (char === '+') return `the key name contains "+" at index ${match.index}`;
  if (/\p{White_Space}/u.test(char)) {
    const code = char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `the key name contains the space U+${code} at index ${match.index}`;
  }
  return `the key name contains ${describe(char, match.index)}`;
}

/** The rule in words, for error messages. */
export const KEY_NAME_RULE = 'a key name must be non-empty and contain no spaces, no "+" and no control characters';
