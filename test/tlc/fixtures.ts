import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A file of test/tlc/fixtures/ (TLC outputs captured by fixtures/capture.sh, and their specs). */
export function fixture(name: string): string {
  return readFileSync(join(here, 'fixtures', name), 'utf8');
}
