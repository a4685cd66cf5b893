// Command-line options of the TLC runner.

import { parseArgs } from 'node:util';

export type ClassSelection = 'ci' | 'full' | 'all';

export interface Options {
  readonly classes: ClassSelection;
  /** Run only these models (by name); empty means every model of the selected class. */
  readonly only: readonly string[];
  /** Where to write the JSON results, relative to the working directory. */
  readonly json?: string;
  /** The manifest, relative to the repository root. */
  readonly manifest: string;
  readonly help: boolean;
}

export const USAGE = `usage: node dist/src/tlc/main.js [--class ci|full|all] [--only NAME]... [--json FILE] [--manifest FILE]
  --class     which models of spec/models.json to run (default ci)
  --only      run just this model; repeatable; overrides --class
  --json      also write the results to FILE (they always go to spec/results/results.json)
  --manifest  the manifest to read (default spec/models.json)
Environment: TLA2TOOLS_JAR (the TLC jar), JAVA (the java binary), TLC_JAVA_OPTS (extra JVM options).`;

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      class: { type: 'string', default: 'ci' },
      only: { type: 'string', multiple: true, default: [] },
      json: { type: 'string' },
      manifest: { type: 'string', default: 'spec/models.json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const cls = values.class;
  if (cls !== 'ci' && cls !== 'full' && cls !== 'all') {
    throw new Error(`--class must be ci, full or all, got ${cls}`);
  }
  return {
    classes: cls,
    only: values.only,
    ...(values.json !== undefined ? { json: values.json } : {}),
    manifest: values.manifest,
    help: values.help,
  };
}
