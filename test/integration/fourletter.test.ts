// Four-letter words on the client port of a real server, with a session
// holding an ephemeral node and watches so that every answer has something
// to show; and 4lw.commands.whitelist.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMode, Nzk } from './nzk.js';
import { TestServer } from './server.js';

let server: TestServer;
let holder: Nzk;
let sid: string;

beforeAll(async () => {
  server = await TestServer.start();
  holder = await Nzk.connect(server.connectString);
  await holder.create('/fl', 'x');
  await holder.create('/fl/eph', 'x', CreateMode.EPHEMERAL);
  await holder.getData('/fl', () => undefined);
  await holder.getChildren('/fl', () => undefined);
  sid = '0x' + BigInt.asUintN(64, holder.sessionId).toString(16);
});

afterAll(async () => {
  await holder?.close();
  await server?.destroy();
});

/** `key<sep>value` lines as a map. */
function fields(text: string, sep: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i > 0) m.set(line.slice(0, i), line.slice(i + sep.length));
  }
  return m;
}

const SERVER_STATS =
  /Latency min\/avg\/max: \d+\/[\d.]+\/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: 0\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n/;

describe('four-letter words', () => {
  it('ruok: imok', async () => {
    expect(await server.fourLetter('ruok')).toBe('imok');
  });

  it('srvr: version, latencies, counters, zxid, mode, node count', async () => {
    const out = await server.fourLetter('srvr');
    expect(out).toMatch(/^Zookeeper version: 3\.9\.\d+-.*, built on .*\n/);
    expect(out).toMatch(SERVER_STATS);
    // /, /zookeeper, /zookeeper/quota, /zookeeper/config, /fl, /fl/eph, and
    // the root once more: ZooKeeper's node table holds it under '' and '/'
    expect(fields(out, ': ').get('Node count')).toBe('7');
  });

  it('stat: srvr with the client connections', async () => {
    const out = await server.fourLetter('stat');
    expect(out).toMatch(/^Zookeeper version: .*\nClients:\n( \/127\.0\.0\.1:\d+\[\d\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+\n/);
    expect(out).toMatch(SERVER_STATS);
  });

  it('mntr: tab-separated zk_ metrics that agree with the tree', async () => {
    const out = await server.fourLetter('mntr');
    for (const line of out.trimEnd().split('\n')) expect(line).toMatch(/^zk_[a-z0-9_]+\t\S.*$/);
    const m = fields(out, '\t');
    expect(m.get('zk_version')).toMatch(/^3\.9\.\d+-/);
    expect(m.get('zk_server_state')).toBe('standalone');
    expect(m.get('zk_znode_count')).toBe('7');
    expect(m.get('zk_ephemerals_count')).toBe('1');
    expect(m.get('zk_watch_count')).toBe('2');
    expect(Number(m.get('zk_num_alive_connections'))).toBeGreaterThanOrEqual(1);
    expect(m.get('zk_outstanding_requests')).toBe('0');
    for (const k of ['zk_avg_latency', 'zk_max_latency', 'zk_min_latency', 'zk_packets_received', 'zk_packets_sent', 'zk_approximate_data_size']) {
      expect(Number.isFinite(Number(m.get(k))), k).toBe(true);
    }
  });

  it('conf: the configuration in effect', async () => {
    const m = fields(await server.fourLetter('conf'), '=');
    expect(m.get('clientPort')).toBe(String(server.port));
    expect(m.get('dataDir')).toMatch(new RegExp(`^${server.dataDir}(/version-2)?$`));
    expect(m.get('tickTime')).toBe('500');
    expect(m.get('minSessionTimeout')).toBe('1000');
    expect(m.get('maxSessionTimeout')).toBe('10000');
    expect(m.get('maxClientCnxns')).toBe('60');
    expect(m.get('serverId')).toBe('0');
  });

  it('cons: one line per connection, the session one with its details', async () => {
    const out = await server.fourLetter('cons');
    const line = out.split('\n').find((l) => l.includes(`sid=${sid},`));
    expect(line).toMatch(
      /^ \/127\.0\.0\.1:\d+\[\d\]\(queued=0,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=10000,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$/,
    );
  });

  it('envi: the environment, with the version kazoo reads', async () => {
    const out = await server.fourLetter('envi');
    expect(out).toMatch(/^Environment:\n/);
    const m = fields(out, '=');
    expect(m.get('zookeeper.version')).toMatch(/^3\.9\.\d+-/);
    for (const k of ['host.name', 'java.version', 'os.name', 'user.dir', 'java.io.tmpdir']) expect(m.has(k), k).toBe(true);
  });

  it('wchs, wchc, wchp: the watches by count, by session and by path', async () => {
    expect(await server.fourLetter('wchs')).toBe('1 connections watching 1 paths\nTotal watches:1\n');
    expect(await server.fourLetter('wchc')).toBe(`${sid}\n\t/fl\n\n`);
    expect(await server.fourLetter('wchp')).toBe(`/fl\n\t${sid}\n\n`);
  });

  it('dump: sessions with their expiry and ephemeral nodes', async () => {
    const out = await server.fourLetter('dump');
    expect(out).toMatch(/^SessionTracker dump:\nSession Sets \(\d+\)\/\(\d+\):\n/);
    expect(out).toMatch(/\d+ expire at .*:\n\t0x[0-9a-f]+\n/);
    expect(out).toContain(`ephemeral nodes dump:\nSessions with Ephemerals (1):\n${sid}:\n\t/fl/eph\n`);
    expect(out).toContain(`Connections dump:\n`);
    expect(out).toMatch(new RegExp(`ip: /127\\.0\\.0\\.1:\\d+ sessionId: ${sid}\\n`));
  });

  it('dirs: the sizes of the snapshot and log directories', async () => {
    const out = await server.fourLetter('dirs');
    const m = /^datadir_size: (\d+)\nlogdir_size: (\d+)\n$/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
  });

  it('isro: rw', async () => {
    expect(await server.fourLetter('isro')).toBe('rw');
  });

  it('bytes that are no word are taken as a frame length: closed without an answer', async () => {
    expect(await server.fourLetter('abcd')).toBe('');
    expect(await server.fourLetter('ruok')).toBe('imok');
  });
});

describe('4lw.commands.whitelist', () => {
  it('answers only the listed words', async () => {
    const s = await TestServer.start({ settings: { '4lw.commands.whitelist': 'ruok, srvr' } });
    try {
      expect(await s.fourLetter('ruok')).toBe('imok');
      expect(await s.fourLetter('srvr')).toMatch(/^Zookeeper version: /);
      for (const w of ['stat', 'mntr', 'conf', 'cons', 'envi', 'wchs', 'dump', 'isro']) {
        expect(await s.fourLetter(w)).toBe(`${w} is not executed because it is not in the whitelist.\n`);
      }
    } finally {
      await s.destroy();
    }
  });

  it('without the key: srvr only', async () => {
    const s = await TestServer.start({ settings: { '4lw.commands.whitelist': null } });
    try {
      expect(await s.fourLetter('srvr')).toMatch(SERVER_STATS);
      expect(await s.fourLetter('ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
      expect(await s.fourLetter('mntr')).toBe('mntr is not executed because it is not in the whitelist.\n');
    } finally {
      await s.destroy();
    }
  });
});
