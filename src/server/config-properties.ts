// Java `.properties` syntax, as `java.util.Properties.load` reads it, with the
// line number where each entry starts kept for error messages.
//
// - Lines end at \n, \r or \r\n. Leading blanks (space, tab, form feed) are
//   skipped; a line that is then empty is ignored.
// - A line whose first non-blank character is `#` or `!` is a comment. Only a
//   whole line can be a comment: `tickTime=2000 # two seconds` has the value
//   `2000 # two seconds`.
// - A line ending in an odd number of backslashes continues on the next line,
//   whose leading blanks are dropped (a comment line never continues).
// - The key ends at the first unescaped `=`, `:` or blank; blanks around the
//   separator are skipped; the rest of the line is the value (a second `=` is
//   part of the value). A line with only a key has the empty value.
// - Escapes in keys and values: \t \n \r \f, \uXXXX, and `\c` for any other
//   character c (so `C:\data` reads as `C:data`, as in ZooKeeper). A
//   malformed \uXXXX is an error.
//
// ZooKeeper then trims keys and values (Java's String.trim: every character
// up to U+0020), and so does `readProperties`.

export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line where the (logical) line of this entry starts. */
  readonly line: number;
}

export class PropertiesSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly key: string | null,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'PropertiesSyntaxError';
  }
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

/** Java's String.trim: strips every character whose code is at most U+0020. */
export function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

function physicalLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function trailingBackslashes(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n;
}

function skipLeadingBlanks(s: string): string {
  let i = 0;
  while (i < s.length && isBlank(s[i]!)) i++;
  return s.slice(i);
}

function logicalLines(text: string): LogicalLine[] {
  const lines = physicalLines(text);
  const out: LogicalLine[] = [];
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let current = skipLeadingBlanks(lines[i]!);
    i++;
    if (current.length === 0) continue;
    if (current[0] === '#' || current[0] === '!') continue;
    while (trailingBackslashes(current) % 2 === 1) {
      current = current.slice(0, -1);
      if (i >= lines.length) break;
      current += skipLeadingBlanks(lines[i]!);
      i++;
    }
    out.push({ text: current, line: start + 1 });
  }
  return out;
}

function unescape(raw: string, line: number, key: string | null): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= raw.length) break;
    const e = raw[i]!;
    if (e === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new PropertiesSyntaxError(line, key, 'malformed \\uxxxx escape');
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else if (e === 't') out += '\t';
    else if (e === 'n') out += '\n';
    else if (e === 'r') out += '\r';
    else if (e === 'f') out += '\f';
    else out += e;
  }
  return out;
}

function splitKeyValue(text: string): { rawKey: string; rawValue: string } {
  let keyEnd = 0;
  let valueStart = text.length;
  let hasSeparator = false;
  let escaped = false;
  for (; keyEnd < text.length; keyEnd++) {
    const c = text[keyEnd]!;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') {
      escaped = true;
      continue;
    }
    if (c === '=' || c === ':') {
      hasSeparator = true;
      valueStart = keyEnd + 1;
      break;
    }
    if (isBlank(c)) {
      valueStart = keyEnd + 1;
      break;
    }
  }
  while (valueStart < text.length) {
    const c = text[valueStart]!;
    if (!isBlank(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return { rawKey: text.slice(0, keyEnd), rawValue: text.slice(valueStart) };
}

/**
 * Every entry of a properties text in file order, keys and values unescaped
 * and trimmed. Repeated keys are all returned (Java keeps the last one; the
 * caller decides). Throws PropertiesSyntaxError on a malformed \u escape.
 */
export function readProperties(text: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  for (const { text: logical, line } of logicalLines(text)) {
    const { rawKey, rawValue } = splitKeyValue(logical);
    const key = javaTrim(unescape(rawKey, line, null));
    const value = javaTrim(unescape(rawValue, line, key));
    entries.push({ key, value, line });
  }
  return entries;
}
