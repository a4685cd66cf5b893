// Values of a trace, written as TLA+ literals for the module TLC reads (the
// TLC the registries serve reads no JSON). Integers must fit TLC's 32-bit
// integers; records need identifier field names; a set is written as
// `{ "$set": [...] }`. Anything else is refused with the path to it.

export type TlaJson = null | boolean | number | string | TlaJson[] | { [k: string]: TlaJson };

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;

export class TlaLiteralError extends Error {}

/** `v` as a TLA+ expression. */
export function tlaLiteral(v: TlaJson, at = 'value'): string {
  if (v === null) throw new TlaLiteralError(`${at} is null, which TLA+ has no literal for`);
  switch (typeof v) {
    case 'boolean':
      return v ? 'TRUE' : 'FALSE';
    case 'number':
      if (!Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw new TlaLiteralError(`${at} is ${v}, not an integer TLC can hold`);
      return String(v);
    case 'string':
      return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  }
  if (Array.isArray(v)) return `<<${v.map((x, i) => tlaLiteral(x, `${at}[${i + 1}]`)).join(', ')}>>`;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === '$set') {
    const items = v.$set;
    if (!Array.isArray(items)) throw new TlaLiteralError(`${at}.$set is not a list`);
    return `{${items.map((x, i) => tlaLiteral(x, `${at} element ${i + 1}`)).join(', ')}}`;
  }
  if (keys.length === 0) throw new TlaLiteralError(`${at} is an empty record, which TLA+ has no literal for`);
  return `[${keys
    .map((k) => {
      if (!FIELD.test(k)) throw new TlaLiteralError(`${at} has the field '${k}', not a TLA+ identifier`);
      return `${k} |-> ${tlaLiteral(v[k]!, `${at}.${k}`)}`;
    })
    .join(', ')}]`;
}
