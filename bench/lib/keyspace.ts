// The znodes a benchmark works on, and their creation with pipelined multi
// requests (many creates per transaction, many transactions in flight).

import { ZkClient, Op } from '../../src/client/client.js';
import type { Request } from '../../src/wire/protocol.js';

export const KEY_PARENT = '/bench';

/** Paths of the `n` keys of the load benchmark. */
export function keyPaths(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${KEY_PARENT}/key-${String(i).padStart(7, '0')}`);
  return out;
}

/**
 * Creates `paths` (persistent, open ACL, each holding `data`; parents first
 * in the list) in multi requests of `perMulti` creates, keeping `inflight`
 * multis in flight on one session.
 */
export async function createAll(
  client: ZkClient,
  paths: readonly string[],
  data: Uint8Array,
  perMulti: number,
  inflight: number,
): Promise<void> {
  const batches: Request[][] = [];
  for (let i = 0; i < paths.length; i += perMulti) {
    batches.push(paths.slice(i, i + perMulti).map((p) => Op.create(p, data)));
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches.length) await client.multi(batches[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, inflight) }, lane));
}

/** Creates the key space of the load benchmark: the parent and `n` keys of `valueSize` bytes. */
export async function populateKeys(host: string, port: number, n: number, valueSize: number): Promise<void> {
  const client = await ZkClient.connect({ connectString: `${host}:${port}`, sessionTimeout: 30000, reconnect: false });
  try {
    await client.create(KEY_PARENT, new Uint8Array(0));
    await createAll(client, keyPaths(n), benchValue(valueSize), Math.max(1, Math.floor(512 * 1024 / (valueSize + 64))), 8);
  } finally {
    await client.close();
  }
}

/** The bytes a benchmark writes: `size` printable bytes. */
export function benchValue(size: number): Uint8Array {
  const v = Buffer.alloc(size);
  for (let i = 0; i < size; i++) v[i] = 0x61 + (i % 26);
  return v;
}
