// The client port delivers what a core says to clients. A reply that no
// client input caused — an ensemble member answers a write when the
// leader's COMMIT (or, at the leader, a follower's ACK) arrives on a peer
// link — leaves in the same turn of the event loop, without waiting for
// the server's timer tick.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frontend } from '../../src/core/frontend.js';
import { ClientPort } from '../../src/server/client-port.js';
import { parseConfig } from '../../src/server/config.js';
import { memoryLogger } from '../../src/server/log.js';
import { FrameDecoder } from '../../src/wire/frame.js';
import { OpCode } from '../../src/wire/protocol.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function portWithOneConnection(): Promise<{ port: ClientPort; client: net.Socket; conn: number }> {
  const { config } = parseConfig('dataDir=/var/zk\nclientPort=0\nclientPortAddress=127.0.0.1\n', '/cfg/zoo.cfg', { fs: { readText: () => undefined } });
  const opened: number[] = [];
  const frontend = { open: (conn: number) => opened.push(conn), closed: () => undefined } as unknown as Frontend;
  const port = new ClientPort(config, memoryLogger(), {
    frontend: () => frontend,
    now: () => 0,
    afterInput: () => undefined,
    fourLetterWord: () => null,
  });
  await port.listen();
  cleanup.push(() => port.close());
  const client = net.connect(port.address());
  cleanup.push(() => void client.destroy());
  await new Promise<void>((resolve) => client.once('connect', resolve));
  for (let i = 0; i < 100 && opened.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(opened).toHaveLength(1);
  return { port, client, conn: opened[0]! };
}

describe('client port output', () => {
  it('sends a reply delivered outside client input without anyone flushing it', async () => {
    const { port, client, conn } = await portWithOneConnection();
    const decoder = new FrameDecoder();
    const frames: Uint8Array[] = [];
    const arrived = new Promise<void>((resolve) =>
      client.on('data', (chunk: Buffer) => {
        frames.push(...decoder.push(chunk));
        if (frames.length > 0) resolve();
      }),
    );
    // as a member's driver delivers a reply when a COMMIT arrives: no flushOutput() follows
    port.deliver({ kind: 'reply', conn, xid: 7, zxid: 0x100000001, err: 0, type: OpCode.setData, response: undefined });
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 1000));
    expect(await Promise.race([arrived.then(() => 'arrived'), timeout])).toBe('arrived');
    expect(new DataView(frames[0]!.buffer, frames[0]!.byteOffset).getInt32(0)).toBe(7);
  });
});
