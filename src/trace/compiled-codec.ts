// io-ts codecs compiled into JavaScript that checks a value against the
// codec and writes it as JSON bytes in the same walk. A member writing its
// trace checks every line it writes (src/server/member-trace.ts); with
// io-ts's decode and JSON.stringify that cost several microseconds a line,
// and a leader writes a few lines for every client write. The compiled form
// writes into a buffer that the trace file takes as it is: no strings are
// built, none are joined, and there is nothing for the collector to copy.
// It is still the codec: it is built from the codec's own description, and
// test/trace/compiled-codec.test.ts holds it to the codec on random values.
//
// Stricter than io-ts in one way: a number must be finite, since NaN and
// Infinity have no JSON and would not read back. Object types write only
// the keys they declare, as t.exact's decode keeps only those.

import * as t from 'io-ts';

/** Where compiled codecs write: bytes [0, pos) of buf, which grows as needed. */
export class JsonOut {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for n more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** Writes the value as JSON at out.pos and says true, or says false when it is not what the codec describes (out.pos is then anywhere past where it was). */
export type CompiledWriter = (value: unknown, out: JsonOut) => boolean;

/** The value as JSON, or undefined when it is not what the codec describes. */
export type CompiledCodec = (value: unknown) => string | undefined;

type Any = t.Mixed & { _tag?: string };

/** Compiles the codec into a writer (one function per part of the codec, object fields read by name). */
export function compileWriter(codec: t.Mixed): CompiledWriter {
  const c = new Compiler();
  const root = c.fn(codec as Any);
  const make = new Function('R', 'K', 'W', `'use strict';\n${c.source.join('\n')}\nreturn ${root};`) as (
    refinements: unknown[],
    constants: Uint8Array[],
    write: typeof W,
  ) => CompiledWriter;
  const write = make(c.refinements, c.constants, W);
  return (value, out) => {
    const start = out.pos;
    if (write(value, out)) return true;
    out.pos = start;
    return false;
  };
}

/** The codec compiled, writing a string (for what is not written to a trace file). */
export function compileCodec(codec: t.Mixed): CompiledCodec {
  const write = compileWriter(codec);
  const out = new JsonOut(256);
  return (value) => {
    out.pos = 0;
    return write(value, out) ? out.buf.toString('utf8', 0, out.pos) : undefined;
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What the compiled code calls to write bytes. */
const W = {
  /** a constant, such as `"key":` */
  raw(out: JsonOut, bytes: Uint8Array): void {
    const n = bytes.length;
    out.room(n);
    const buf = out.buf;
    let p = out.pos;
    for (let i = 0; i < n; i++) buf[p++] = bytes[i]!;
    out.pos = p;
  },

  byte(out: JsonOut, b: number): void {
    out.room(1);
    out.buf[out.pos++] = b;
  },

  /** a finite number */
  num(out: JsonOut, v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER)) {
      const text = String(v);
      out.room(text.length);
      out.pos += out.buf.write(text, out.pos, 'latin1');
      return;
    }
    out.room(16);
    const buf = out.buf;
    if (v < 10) {
      buf[out.pos++] = 0x30 + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = out.pos + digits;
    out.pos = p;
    let x = v;
    if (x <= 0x7fffffff) {
      // small enough for integer division
      do {
        const q = (x / 10) | 0;
        buf[--p] = 0x30 + (x - q * 10);
        x = q;
      } while (x > 0);
      return;
    }
    do {
      const q = Math.floor(x / 10);
      buf[--p] = 0x30 + (x - q * 10);
      x = q;
    } while (x > 0);
  },

  /** a string, escaped as JSON needs */
  str(out: JsonOut, s: string): void {
    const n = s.length;
    let plain = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        plain = false;
        break;
      }
    }
    if (plain) {
      out.room(n + 2);
      const buf = out.buf;
      let p = out.pos;
      buf[p++] = QUOTE;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      buf[p++] = QUOTE;
      out.pos = p;
      return;
    }
    const json = JSON.stringify(s);
    out.room(3 * json.length);
    out.pos += out.buf.write(json, out.pos, 'utf8');
  },
};

/** A property access for key k of v: v.k, or v["k"] when k is not a plain name. */
function access(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `v.${k}` : `v[${JSON.stringify(k)}]`;
}

interface Field {
  key: string;
  required: boolean;
  fn: string;
}

class Compiler {
  readonly source: string[] = [];
  /** refinements' predicates, which the compiled code calls as R[i] */
  readonly refinements: unknown[] = [];
  /** constant bytes (keys, literals), K[i] */
  readonly constants: Uint8Array[] = [];
  private n = 0;

  private define(body: string): string {
    const name = `f${this.n++}`;
    this.source.push(`function ${name}(v, o) {\n${body}\n}`);
    return name;
  }

  /** K[i] holding the text's bytes */
  private constant(text: string): string {
    return `K[${this.constants.push(Buffer.from(text, 'utf8')) - 1}]`;
  }

  /** The name of a compiled function for the codec. */
  fn(c: Any): string {
    switch (c._tag) {
      case 'NumberType':
        return this.define(`if (typeof v !== 'number' || !Number.isFinite(v)) return false;\nW.num(o, v);\nreturn true;`);
      case 'StringType':
        return this.define(`if (typeof v !== 'string') return false;\nW.str(o, v);\nreturn true;`);
      case 'BooleanType':
        return this.define(`if (v !== true && v !== false) return false;\nW.raw(o, v ? ${this.constant('true')} : ${this.constant('false')});\nreturn true;`);
      case 'LiteralType': {
        const value = (c as unknown as t.LiteralType<string | number | boolean>).value;
        const json = JSON.stringify(value);
        return this.define(`if (v !== ${json}) return false;\nW.raw(o, ${this.constant(json)});\nreturn true;`);
      }
      case 'KeyofType': {
        const keys = Object.keys((c as unknown as t.KeyofType<Record<string, unknown>>).keys);
        const cases = keys.map((k) => `case ${JSON.stringify(k)}: W.raw(o, ${this.constant(JSON.stringify(k))}); return true;`);
        return this.define(`switch (v) {\n${cases.join('\n')}\n}\nreturn false;`);
      }
      case 'RefinementType': {
        const r = c as unknown as t.RefinementType<t.Mixed>;
        const base = this.fn(r.type as Any);
        const i = this.refinements.push(r.predicate) - 1;
        // the base first: a predicate may assume its type
        return this.define(`return ${base}(v, o) && R[${i}](v);`);
      }
      case 'TupleType': {
        const items = (c as unknown as t.TupleType<t.Mixed[]>).types.map((x) => this.fn(x as Any));
        const parts = items.map((f, i) => `${i > 0 ? 'W.byte(o, 44);\n' : ''}if (!${f}(v[${i}], o)) return false;`);
        return this.define(`if (!Array.isArray(v) || v.length !== ${items.length}) return false;\nW.byte(o, 91);\n${parts.join('\n')}\nW.byte(o, 93);\nreturn true;`);
      }
      case 'ArrayType': {
        const item = this.fn((c as unknown as t.ArrayType<t.Mixed>).type as Any);
        return this.define(
          `if (!Array.isArray(v)) return false;\nW.byte(o, 91);\nfor (let i = 0; i < v.length; i++) {\nif (i > 0) W.byte(o, 44);\nif (!${item}(v[i], o)) return false;\n}\nW.byte(o, 93);\nreturn true;`,
        );
      }
      case 'UnionType': {
        const members = (c as unknown as t.UnionType<t.Mixed[]>).types.map((x) => this.fn(x as Any));
        const tries = members.map((m) => `if (${m}(v, o)) return true;\no.pos = start;`);
        return this.define(`const start = o.pos;\n${tries.join('\n')}\nreturn false;`);
      }
      case 'ExactType':
      case 'InterfaceType':
      case 'PartialType':
      case 'IntersectionType': {
        // an object: the fields of all its parts, written in one function
        const fields: Field[] = [];
        this.fields(c, fields);
        const body = fields.map(({ key, required, fn }) => {
          const name = JSON.stringify(key) + ':';
          return [
            `x = ${access(key)};`,
            `if (x === undefined) { ${required ? 'return false;' : ''} } else {`,
            `W.raw(o, first ? ${this.constant(name)} : ${this.constant(',' + name)});`,
            `first = false;`,
            `if (!${fn}(x, o)) return false;`,
            `}`,
          ].join('\n');
        });
        return this.define(
          `if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;\nlet first = true, x;\nW.byte(o, 123);\n${body.join('\n')}\nW.byte(o, 125);\nreturn true;`,
        );
      }
      default:
        throw new Error(`compileCodec: no compiled form for ${c.name} (${c._tag ?? 'untagged'})`);
    }
  }

  /** Collects an object type's fields; a key declared twice, which JSON would write twice, is refused. */
  private fields(c: Any, into: Field[]): void {
    switch (c._tag) {
      case 'ExactType':
        return this.fields((c as unknown as t.ExactType<t.Mixed>).type as Any, into);
      case 'IntersectionType':
        for (const x of (c as unknown as t.IntersectionType<t.Mixed[]>).types) this.fields(x as Any, into);
        return;
      case 'InterfaceType':
      case 'PartialType': {
        const props = (c as unknown as t.InterfaceType<t.Props>).props;
        for (const [key, codec] of Object.entries(props)) {
          if (into.some((f) => f.key === key)) throw new Error(`compileCodec: ${key} is declared twice in ${c.name}`);
          into.push({ key, required: c._tag === 'InterfaceType', fn: this.fn(codec as Any) });
        }
        return;
      }
      default:
        throw new Error(`compileCodec: ${c.name} is not an object type`);
    }
  }
}
