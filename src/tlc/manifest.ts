// spec/models.json: the models TLC checks, what each must conclude, and how
// large it is. Decoded with io-ts so that a typo fails loudly.

import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';

const PositiveInt = t.refinement(t.Int, (n) => n > 0, 'PositiveInt');

export const Expectation = t.union([t.literal('pass'), t.strict({ violates: t.string })], 'Expectation');
export type Expectation = t.TypeOf<typeof Expectation>;

export const ModelClass = t.keyof({ ci: null, full: null }, 'ModelClass');
export type ModelClass = t.TypeOf<typeof ModelClass>;

export const Mode = t.strict({
  simulate: t.strict({ depth: PositiveInt, seconds: PositiveInt }),
});
export type Mode = t.TypeOf<typeof Mode>;

export const ModelEntry = t.intersection(
  [
    t.strict({
      name: t.string,
      spec: t.string,
      cfg: t.string,
      expect: Expectation,
      class: ModelClass,
    }),
    t.exact(
      t.partial({
        mode: Mode,
        checkDeadlock: t.boolean,
        timeoutSeconds: PositiveInt,
        coverage: t.boolean,
      }),
    ),
  ],
  'ModelEntry',
);
export type ModelEntry = t.TypeOf<typeof ModelEntry>;

export const Manifest = t.strict({ models: t.array(ModelEntry) }, 'Manifest');
export type Manifest = t.TypeOf<typeof Manifest>;

/** Decodes the manifest's JSON text and checks what a codec cannot: unique names, plain relative paths. */
export function decodeManifest(text: string): E.Either<string[], Manifest> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left([`not JSON: ${(e as Error).message}`]);
  }
  const decoded = Manifest.decode(json);
  if (E.isLeft(decoded)) return E.left(PathReporter.report(decoded));
  // io-ts's exact types drop unknown fields silently; a misspelt optional
  // field (say `checkDeadlok`) would then quietly take its default.
  const problems = unknownFields(json);
  const seen = new Set<string>();
  for (const m of decoded.right.models) {
    if (m.name.trim() === '' || !/^[A-Za-z0-9_.-]+$/.test(m.name)) {
      problems.push(`model name ${JSON.stringify(m.name)}: use letters, digits, '_', '.', '-'`);
    }
    if (seen.has(m.name)) problems.push(`model name ${m.name} appears twice`);
    seen.add(m.name);
    for (const [field, path] of [
      ['spec', m.spec],
      ['cfg', m.cfg],
    ] as const) {
      if (path.startsWith('/') || path.split('/').includes('..')) {
        problems.push(`${m.name}: ${field} must be a path inside spec/, got ${path}`);
      }
    }
    if (!m.spec.endsWith('.tla')) problems.push(`${m.name}: spec must name a .tla file, got ${m.spec}`);
    if (!m.cfg.endsWith('.cfg')) problems.push(`${m.name}: cfg must name a .cfg file, got ${m.cfg}`);
  }
  return problems.length > 0 ? E.left(problems) : E.right(decoded.right);
}

const MODEL_FIELDS = new Set(['name', 'spec', 'cfg', 'expect', 'class', 'mode', 'checkDeadlock', 'timeoutSeconds', 'coverage']);

function unknownFields(json: unknown): string[] {
  const models = (json as { models: unknown[] }).models;
  const problems = Object.keys(json as object)
    .filter((k) => k !== 'models')
    .map((k) => `unknown top-level field ${k}`);
  models.forEach((m, i) => {
    for (const k of Object.keys(m as object)) {
      if (!MODEL_FIELDS.has(k)) problems.push(`models[${i}]: unknown field ${k}`);
    }
  });
  return problems;
}

export const checksDeadlock = (m: ModelEntry): boolean => m.checkDeadlock ?? true;
export const countsForCoverage = (m: ModelEntry): boolean => m.coverage ?? true;

export function describeExpectation(e: Expectation): string {
  return e === 'pass' ? 'pass' : `violates ${e.violates}`;
}
