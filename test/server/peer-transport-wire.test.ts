// The ids a member trace gives the messages between members: the sender's
// and the receiver's lines name each message alike, on the election
// connection and on a quorum connection, with nothing added to the wire.

import { afterEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/core/zab/messages.js';
import type { QuorumServer } from '../../src/server/config.js';
import { memoryLogger } from '../../src/server/log.js';
import { peerCheck } from '../../src/server/peer-codec.js';
import { PeerTransport, type PeerHandler } from '../../src/server/peer-transport.js';
import { freePort } from '../integration/server.js';

const vote: Notification = { leader: 2, zxid: 0, peerEpoch: 0, electionEpoch: 1, state: 'LOOKING' };

describe('message ids in member traces', () => {
  const open: PeerTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('are the same at both ends of election and quorum connections', { timeout: 15000 }, async () => {
    const servers: QuorumServer[] = [];
    for (const id of [1, 2]) {
      servers.push({ id, host: '127.0.0.1', quorumPort: await freePort(), electionPort: await freePort(), type: 'participant', clientAddress: null, clientPort: null });
    }
    const members = servers.map((s) => ({ id: s.id, observer: false }));
    const wires = new Map<number, string[]>([[1, []], [2, []]]);
    const events: string[] = [];
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const make = (myid: number): PeerTransport => {
      const handler: PeerHandler = {
        onVote: (from) => {
          events.push(`${myid} vote from ${from}`);
          if (myid === 2) t2.connect(1);
        },
        onQuorumConnected: (conn, peer) => {
          events.push(`${myid} connected ${peer}`);
          if (myid === 2) t2.send(conn, { type: 'FOLLOWERINFO', acceptedEpoch: 0 });
        },
        onQuorumFailed: () => undefined,
        onQuorumClosed: () => undefined,
        onPacket: (_conn, p) => {
          events.push(`${myid} packet ${p.type}`);
          resolveDone();
        },
      };
      const t = new PeerTransport({
        myid,
        servers,
        check: peerCheck(myid, members),
        logger: memoryLogger(),
        handler,
        connectTimeoutMs: 5000,
        maxPacketBytes: 1 << 20,
        wire: (dir, channel, n) => wires.get(myid)!.push(`${dir} ${channel}#${n}`),
      });
      open.push(t);
      return t;
    };
    const t1 = make(1);
    const t2 = make(2);
    await t1.listen();
    await t2.listen();
    t1.sendVote(2, vote);
    await done;
    expect(events).toEqual(['2 vote from 1', '2 connected 1', '1 connected 2', '1 packet FOLLOWERINFO']);
    const sent = (id: number) => wires.get(id)!.filter((l) => l.startsWith('send ')).map((l) => l.slice(5));
    const received = (id: number) => wires.get(id)!.filter((l) => l.startsWith('recv ')).map((l) => l.slice(5));
    expect(sent(1)).toHaveLength(1);
    expect(received(2)).toEqual(sent(1));
    expect(sent(1)[0]).toMatch(/^e:127\.0\.0\.1:\d+>127\.0\.0\.1:\d+#1$/);
    expect(sent(2)).toHaveLength(1);
    expect(received(1)).toEqual(sent(2));
    expect(sent(2)[0]).toMatch(new RegExp(`^q:127\\.0\\.0\\.1:\\d+>127\\.0\\.0\\.1:${servers[0]!.quorumPort}#1$`));
  });
});
