// The version this build reports: our package version, and the ZooKeeper
// protocol level it speaks (clients such as kazoo read the leading x.y.z of
// the server version to decide which operations they may use).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROTOCOL_LEVEL = '3.9.5';

let cached: string | null = null;

/** The version in package.json. */
export function packageVersion(): string {
  if (cached !== null) return cached;
  try {
    const pkg = fileURLToPath(new URL('../../../package.json', import.meta.url));
    cached = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    cached = 'unknown';
  }
  return cached;
}

/** As `srvr` prints it after "Zookeeper version: ". */
export function serverVersion(): string {
  return `${PROTOCOL_LEVEL}-verikeeper-${packageVersion()}, built on ${BUILD_DATE}`;
}

const BUILD_DATE = '2026-11-23 00:00 UTC';
