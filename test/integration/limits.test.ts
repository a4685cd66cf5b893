// jute.maxbuffer against a real server: a request frame over the limit
// closes that client's connection (with a log line), changes nothing, and
// leaves every other session alone; frames under the limit go through.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/wire/protocol.js';
import { CreateMode, Nzk, plain } from './nzk.js';
import { TestServer, reference, sleep } from './server.js';

const MAX = 8192;
let server: TestServer;
let a: Nzk;
let b: Nzk;

beforeAll(async () => {
  server = await TestServer.start({ settings: { 'jute.maxbuffer': MAX } });
  a = await Nzk.connect(server.connectString);
  b = await Nzk.connect(server.connectString);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.destroy();
});

async function serverZxid(): Promise<string> {
  const m = /Zxid: (0x[0-9a-f]+)/.exec(await server.fourLetter('srvr'));
  if (!m) throw new Error('no Zxid in srvr');
  return m[1]!;
}

describe(`jute.maxbuffer=${MAX}`, () => {
  it('lets a request just under the limit through', async () => {
    await a.create('/under', Buffer.alloc(MAX - 200, 0x61));
    expect(plain((await b.exists('/under'))!).dataLength).toBe(MAX - 200);
  });

  it.each([
    ['setData', (z: Nzk) => z.setData('/big', Buffer.alloc(4 * MAX, 0x62))],
    ['create', (z: Nzk) => z.create('/big/kid', Buffer.alloc(4 * MAX, 0x62))],
    [
      'a multi',
      (z: Nzk) => z.multi((t) => t.create('/big/m1').setData('/big', Buffer.alloc(2 * MAX, 0x62))).then((r) => {
        if (r.error) throw r.error;
        return r;
      }),
    ],
  ])('closes the connection of a too large %s; nothing changes; other sessions go on', async (_what, tooLarge) => {
    if ((await a.exists('/big')) === null) await a.create('/big', 'small', CreateMode.PERSISTENT);
    const before = plain((await b.exists('/big'))!);
    const zxid = await serverZxid();
    const mark = server.logMark();
    const aStates = a.states.length;
    const bStates = b.states.length;
    const sessionA = a.sessionId;

    await expect(tooLarge(a)).rejects.toMatchObject({ code: ErrorCode.ConnectionLoss });
    if (!reference) await server.waitForLog(/closing connection .*jute\.maxbuffer is 8192/, 5000, mark);

    // the client comes back to its session, which the server kept
    await a.waitForState('SYNC_CONNECTED', 15000, aStates);
    expect(a.states.slice(aStates)).toContain('DISCONNECTED');
    expect(a.sessionId).toBe(sessionA);

    expect(await b.get('/big')).toBe('small');
    expect(plain((await b.exists('/big'))!)).toEqual(before);
    expect(await b.ls('/big')).toEqual([]);
    expect(await serverZxid()).toBe(zxid);
    await b.setData('/big', 'small');
    await sleep(100);
    expect(b.states.slice(bStates)).toEqual([]);
    await a.setData('/big', 'small');
  });
});
