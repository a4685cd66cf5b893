// A reader for the values TLC prints in its traces, just enough to tell which
// parts of a variable an action changed: sets, sequences/tuples, records,
// functions written `(k1 :> v1 @@ k2 :> v2)`, and atoms (numbers, strings,
// booleans, model values). Anything else is kept as text.

export type TlaValue =
  | { readonly t: 'atom'; readonly text: string }
  | { readonly t: 'set'; readonly elems: readonly TlaValue[] }
  | { readonly t: 'seq'; readonly elems: readonly TlaValue[] }
  | { readonly t: 'record'; readonly fields: readonly (readonly [string, TlaValue])[] }
  | { readonly t: 'fn'; readonly entries: readonly (readonly [TlaValue, TlaValue])[] };

class Reader {
  private at = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    this.skip();
    return this.at >= this.s.length;
  }

  private skip(): void {
    while (this.at < this.s.length && /\s/.test(this.s[this.at] as string)) this.at++;
  }

  private peek(token: string): boolean {
    this.skip();
    return this.s.startsWith(token, this.at);
  }

  private eat(token: string): boolean {
    if (!this.peek(token)) return false;
    this.at += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) throw new Error(`expected ${token} at ${this.at}`);
  }

  private list<T>(close: string, sep: string, item: () => T): T[] {
    const out: T[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(item());
      if (this.eat(close)) return out;
      this.expect(sep);
    }
  }

  value(): TlaValue {
    if (this.eat('<<')) return { t: 'seq', elems: this.list('>>', ',', () => this.value()) };
    if (this.eat('{')) return { t: 'set', elems: this.list('}', ',', () => this.value()) };
    if (this.eat('[')) {
      const fields = this.list(']', ',', () => {
        const name = this.atom();
        this.expect('|->');
        return [name.text, this.value()] as const;
      });
      return { t: 'record', fields };
    }
    if (this.eat('(')) {
      const entries = this.list(')', '@@', () => {
        const key = this.value();
        this.expect(':>');
        return [key, this.value()] as const;
      });
      return { t: 'fn', entries };
    }
    return this.atom();
  }

  private atom(): { t: 'atom'; text: string } {
    this.skip();
    const rest = this.s.slice(this.at);
    const m = /^("(?:[^"\\]|\\.)*"|-?\d+|[A-Za-z0-9_]+)/.exec(rest);
    if (!m) throw new Error(`unexpected text at ${this.at}`);
    this.at += m[0].length;
    return { t: 'atom', text: m[0] };
  }
}

/** Parses a printed TLC value, or returns undefined when it is not one we read. */
export function parseTlaValue(text: string): TlaValue | undefined {
  try {
    const r = new Reader(text);
    const v = r.value();
    return r.done() ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Prints a value on one line in TLC's notation. */
export function showTlaValue(v: TlaValue): string {
  switch (v.t) {
    case 'atom':
      return v.text;
    case 'set':
      return `{${v.elems.map(showTlaValue).join(', ')}}`;
    case 'seq':
      return `<<${v.elems.map(showTlaValue).join(', ')}>>`;
    case 'record':
      return `[${v.fields.map(([f, x]) => `${f} |-> ${showTlaValue(x)}`).join(', ')}]`;
    case 'fn':
      return `(${v.entries.map(([k, x]) => `${showTlaValue(k)} :> ${showTlaValue(x)}`).join(' @@ ')})`;
  }
}

/** One change of a variable between two states. */
export interface Change {
  /** The variable and the part of it that changed: `x`, `f[k]`, `r.field`. */
  readonly path: string;
  /** `=` new value, `+=` elements added (set) or appended (sequence), `-=` elements removed (set). */
  readonly op: '=' | '+=' | '-=';
  readonly value: string;
}

export function showChange(c: Change): string {
  return `${c.path} ${c.op} ${c.value}`;
}

/** Collapses the line breaks and indentation TLC puts into long values. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The changes that turn `before` into `after` for the variable `name`, as
 * narrow as the two values allow: single function entries, a single record
 * field, the elements added to or removed from a set, the elements appended
 * to a sequence; otherwise the whole new value.
 */
export function diffValues(name: string, before: string, after: string): Change[] {
  const a = parseTlaValue(before);
  const b = parseTlaValue(after);
  if (a === undefined || b === undefined) {
    return oneLine(before) === oneLine(after) ? [] : [{ path: name, op: '=', value: oneLine(after) }];
  }
  return diff(name, a, b);
}

function diff(path: string, a: TlaValue, b: TlaValue): Change[] {
  const sa = showTlaValue(a);
  const sb = showTlaValue(b);
  if (sa === sb) return [];
  const whole: Change[] = [{ path, op: '=', value: sb }];
  if (a.t === 'fn' && b.t === 'fn' && sameKeys(a.entries.map((e) => e[0]), b.entries.map((e) => e[0]))) {
    const before = new Map(a.entries.map(([k, v]) => [showTlaValue(k), v]));
    return b.entries.flatMap(([k, v]) => {
      const key = showTlaValue(k);
      return diff(`${path}[${key}]`, before.get(key) as TlaValue, v);
    });
  }
  if (a.t === 'record' && b.t === 'record' && sameKeys(a.fields.map((f) => f[0]), b.fields.map((f) => f[0]))) {
    const before = new Map(a.fields);
    const changed = b.fields.filter(([f, v]) => showTlaValue(before.get(f) as TlaValue) !== showTlaValue(v));
    // One field changed reads best as that field; several as the new record.
    if (changed.length !== 1) return whole;
    const [field, v] = changed[0] as readonly [string, TlaValue];
    return diff(`${path}.${field}`, before.get(field) as TlaValue, v);
  }
  if (a.t === 'set' && b.t === 'set') {
    const inA = new Set(a.elems.map(showTlaValue));
    const inB = new Set(b.elems.map(showTlaValue));
    const added = b.elems.map(showTlaValue).filter((e) => !inA.has(e));
    const removed = a.elems.map(showTlaValue).filter((e) => !inB.has(e));
    // Emptying a set reads best as `= {}`.
    if (b.elems.length === 0 || added.length + removed.length === 0) return whole;
    const out: Change[] = [];
    if (added.length > 0) out.push({ path, op: '+=', value: `{${added.join(', ')}}` });
    if (removed.length > 0) out.push({ path, op: '-=', value: `{${removed.join(', ')}}` });
    return out;
  }
  if (a.t === 'seq' && b.t === 'seq') {
    if (a.elems.length === b.elems.length) {
      return b.elems.flatMap((v, i) => diff(`${path}[${i + 1}]`, a.elems[i] as TlaValue, v));
    }
    const isPrefix =
      a.elems.length > 0 &&
      a.elems.length < b.elems.length &&
      a.elems.every((v, i) => showTlaValue(v) === showTlaValue(b.elems[i] as TlaValue));
    if (isPrefix) {
      return [{ path, op: '+=', value: `<<${b.elems.slice(a.elems.length).map(showTlaValue).join(', ')}>>` }];
    }
  }
  return whole;
}

function sameKeys(xs: readonly (TlaValue | string)[], ys: readonly (TlaValue | string)[]): boolean {
  const show = (x: TlaValue | string): string => (typeof x === 'string' ? x : showTlaValue(x));
  const a = new Set(xs.map(show));
  return xs.length === ys.length && ys.every((y) => a.has(show(y)));
}
