// io-ts codecs compiled into one function that checks a value against the
// codec and writes it as JSON in the same walk. A member writing its trace
// checks every line it writes (src/server/member-trace.ts); with io-ts's
// decode and JSON.stringify that cost several microseconds a line, too much
// for a leader that logs a dozen lines per write. The compiled form does it
// in about a tenth of a microsecond, and is still the codec: it is built
// from the codec's own description, and test/trace/compiled-codec.test.ts
// holds it to the codec on random values.
//
// Stricter than io-ts in one way: a number must be finite, since NaN and
// Infinity have no JSON and would not read back. Object types write only
// the keys they declare, as t.exact's decode keeps only those.

import * as t from 'io-ts';

/** The value as JSON, or undefined when it is not what the codec describes. */
export type CompiledCodec = (value: unknown) => string | undefined;

type Any = t.Mixed & { _tag?: string };

/**
 * Compiles the codec into JavaScript (one function per part of it, object
 * fields read by name), which V8 runs far faster than a walk over the
 * codec's description with keys looked up at run time.
 */
export function compileCodec(codec: t.Mixed): CompiledCodec {
  const out = new Compiler();
  const root = out.fn(codec as Any);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built here, from the codec alone
  const make = new Function('R', `'use strict';\n${out.source.join('\n')}\nreturn ${root};`) as (refinements: unknown[]) => CompiledCodec;
  return make(out.refinements);
}

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
  private n = 0;

  private define(body: string): string {
    const name = `f${this.n++}`;
    this.source.push(`function ${name}(v) {\n${body}\n}`);
    return name;
  }

  /** The name of a compiled function for the codec. */
  fn(c: Any): string {
    switch (c._tag) {
      case 'NumberType':
        return this.define(`return typeof v === 'number' && Number.isFinite(v) ? '' + v : undefined;`);
      case 'StringType':
        return this.define(`return typeof v === 'string' ? JSON.stringify(v) : undefined;`);
      case 'BooleanType':
        return this.define(`return v === true ? 'true' : v === false ? 'false' : undefined;`);
      case 'LiteralType': {
        const value = (c as unknown as t.LiteralType<string | number | boolean>).value;
        const json = JSON.stringify(value);
        return this.define(`return v === ${json} ? ${JSON.stringify(json)} : undefined;`);
      }
      case 'KeyofType': {
        const keys = Object.keys((c as unknown as t.KeyofType<Record<string, unknown>>).keys);
        const cases = keys.map((k) => `case ${JSON.stringify(k)}: return ${JSON.stringify(JSON.stringify(k))};`);
        return this.define(`switch (v) {\n${cases.join('\n')}\n}\nreturn undefined;`);
      }
      case 'RefinementType': {
        const r = c as unknown as t.RefinementType<t.Mixed>;
        const base = this.fn(r.type as Any);
        const i = this.refinements.push(r.predicate) - 1;
        return this.define(`const j = ${base}(v);\nreturn j !== undefined && R[${i}](v) ? j : undefined;`);
      }
      case 'TupleType': {
        const items = (c as unknown as t.TupleType<t.Mixed[]>).types.map((x) => this.fn(x as Any));
        const parts = items.map((f, i) => `const j${i} = ${f}(v[${i}]);\nif (j${i} === undefined) return undefined;`);
        const joined = items.map((_, i) => `j${i}`).join(" + ',' + ");
        return this.define(
          `if (!Array.isArray(v) || v.length !== ${items.length}) return undefined;\n${parts.join('\n')}\nreturn '[' + ${joined || "''"} + ']';`,
        );
      }
      case 'ArrayType': {
        const item = this.fn((c as unknown as t.ArrayType<t.Mixed>).type as Any);
        return this.define(
          `if (!Array.isArray(v)) return undefined;\nlet o = '[';\nfor (let i = 0; i < v.length; i++) {\nconst j = ${item}(v[i]);\nif (j === undefined) return undefined;\no += i === 0 ? j : ',' + j;\n}\nreturn o + ']';`,
        );
      }
      case 'UnionType': {
        const members = (c as unknown as t.UnionType<t.Mixed[]>).types.map((x) => this.fn(x as Any));
        return this.define(`let j;\n${members.map((m) => `if ((j = ${m}(v)) !== undefined) return j;`).join('\n')}\nreturn undefined;`);
      }
      case 'ExactType':
      case 'InterfaceType':
      case 'PartialType':
      case 'IntersectionType': {
        // an object: the fields of all its parts, written in one function
        const fields: Field[] = [];
        this.fields(c, fields);
        const body = fields.map(({ key, required, fn }) => {
          const name = JSON.stringify(JSON.stringify(key) + ':');
          return [
            `x = ${access(key)};`,
            `if (x === undefined) { ${required ? 'return undefined;' : ''} } else {`,
            `j = ${fn}(x);`,
            `if (j === undefined) return undefined;`,
            `o += o === '' ? ${name} + j : ',' + ${name} + j;`,
            `}`,
          ].join('\n');
        });
        return this.define(
          `if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;\nlet o = '', x, j;\n${body.join('\n')}\nreturn '{' + o + '}';`,
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
