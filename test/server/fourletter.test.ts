import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/server/config.js';
import {
  DEFAULT_TRACE_MASK,
  FOUR_LETTER_WORDS,
  TELNET_CLOSE_CODE,
  ZK_NOT_SERVING,
  averageLatency,
  fourLetterArgumentBytes,
  fourLetterCode,
  fourLetterConf,
  fourLetterWordOfCode,
  isFourLetterWord,
  isFourLetterWordEnabled,
  javaDate,
  javaDouble,
  javaHex,
  javaSocketAddress,
  opShortName,
  parseFourLetterWhitelist,
  runFourLetterWord,
} from '../../src/server/fourletter.js';
import type { FourLetterConnection, FourLetterContext } from '../../src/server/fourletter.js';
import { nodeEnvironment } from '../../src/server/fourletter-env.js';
import { OpCode } from '../../src/wire/protocol.js';

const ALL = new Set<string>(FOUR_LETTER_WORDS);
const T0 = 1_700_000_000_000; // Tue Nov 14 22:13:20 UTC 2023

const conn1: FourLetterConnection = {
  remoteAddress: '127.0.0.1',
  remotePort: 50001,
  interestOps: 1,
  outstandingRequests: 0,
  packetsReceived: 10,
  packetsSent: 9,
  sessionId: 0x100000abc0001n,
  lastOperation: 'GETD',
  established: T0,
  sessionTimeout: 30000,
  lastCxid: 5,
  lastZxid: 0x10000002a,
  lastResponseTime: T0 + 5000,
  lastLatency: 1,
  latency: { count: 4, total: 7, min: 0, max: 3 },
};
const conn2: FourLetterConnection = {
  remoteAddress: '::1',
  remotePort: 50002,
  interestOps: 0,
  outstandingRequests: 1,
  packetsReceived: 2,
  packetsSent: 1,
  sessionId: 0n,
  lastOperation: 'NA',
  established: T0,
  sessionTimeout: 0,
  lastCxid: -1,
  lastZxid: -1,
  lastResponseTime: 0,
  lastLatency: 0,
  latency: { count: 0, total: 0, min: 0, max: 0 },
};
const conn3: FourLetterConnection = { ...conn2, remoteAddress: '::ffff:10.1.2.3', remotePort: 50003, interestOps: 5, sessionId: 0xff00000000000001n, lastOperation: 'PING', sessionTimeout: 4000 };

interface Calls {
  resetServer: number;
  resetConnections: number;
  masks: bigint[];
}

function context(overrides: Partial<FourLetterContext> = {}): FourLetterContext & { calls: Calls } {
  const calls: Calls = { resetServer: 0, resetConnections: 0, masks: [] };
  const base: FourLetterContext = {
    version: '3.9.5-verikeeper, built on 2025-01-01 00:00 UTC',
    serving: true,
    mode: 'standalone',
    startTime: T0,
    now: T0 + 123456,
    zxid: 0x10000002a,
    latency: { count: 3, total: 10, min: 1, max: 6 },
    packetsReceived: 42,
    packetsSent: 41,
    numAliveConnections: 2,
    outstandingRequests: 0,
    nodeCount: 7,
    watchCount: 3,
    ephemeralsCount: 2,
    approximateDataSize: 321,
    globalSessions: 2,
    localSessions: 0,
    authFailedCount: 1,
    clientResponseSize: { last: 16, min: -1, max: 96 },
    openFileDescriptorCount: 30,
    maxFileDescriptorCount: 1024,
    traceMask: DEFAULT_TRACE_MASK,
    conf: {
      clientPort: 2181,
      secureClientPort: -1,
      dataDir: '/var/zk/data',
      dataLogDir: '/var/zk/log',
      tickTime: 2000,
      maxClientCnxns: 60,
      minSessionTimeout: 4000,
      maxSessionTimeout: 40000,
      clientPortListenBacklog: -1,
      serverId: 0,
    },
    connections: () => [conn1, conn2],
    watches: () => [
      { sessionId: 0x100000abc0002n, paths: ['/b', '/a'] },
      { sessionId: 0x100000abc0001n, paths: ['/a'] },
      { sessionId: 0x100000abc0003n, paths: [] },
    ],
    ephemerals: () => [
      { sessionId: 0x100000abc0001n, paths: ['/locks/x-0000000002', '/locks/x-0000000001'] },
    ],
    sessionExpiry: () => [
      { expiresAt: T0 + 40000, members: [0x100000abc0002n] },
      { expiresAt: T0 + 30000, members: [0x100000abc0001n] },
    ],
    connectionExpiry: () => [{ expiresAt: T0 + 30000, members: [{ remoteAddress: '127.0.0.1', remotePort: 50001, sessionId: 0x100000abc0001n }] }],
    dirSizes: () => ({ dataDirSize: 4096, logDirSize: 67108880 }),
    environment: () => [
      ['zookeeper.version', '3.9.5-verikeeper'],
      ['host.name', 'zk1'],
    ],
    digestLog: () => [{ zxid: 0x100000001, digest: 1234567890n }],
    resetServerStats: () => {
      calls.resetServer++;
    },
    resetConnectionStats: () => {
      calls.resetConnections++;
    },
    setTraceMask: (m) => {
      calls.masks.push(m);
    },
  };
  return Object.assign({ ...base, ...overrides }, { calls });
}

const run = (word: string, ctx: FourLetterContext = context(), whitelist: ReadonlySet<string> | readonly string[] = ALL): string | null =>
  runFourLetterWord(word, ctx, whitelist);

const SERVER_STATS = [
  'Latency min/avg/max: 1/3.3333/6',
  'Received: 42',
  'Sent: 41',
  'Connections: 2',
  'Outstanding: 0',
  'Zxid: 0x10000002a',
  'Mode: standalone',
  'Node count: 7',
  '',
].join('\n');

describe('four-letter words: output shapes', () => {
  it('ruok answers imok without a newline', () => {
    expect(run('ruok')).toBe('imok');
  });

  it('srvr prints the version and the server statistics', () => {
    expect(run('srvr')).toBe(`Zookeeper version: 3.9.5-verikeeper, built on 2025-01-01 00:00 UTC\n${SERVER_STATS}`);
  });

  it('stat adds the clients in brief form, then a blank line', () => {
    expect(run('stat')).toBe(
      [
        'Zookeeper version: 3.9.5-verikeeper, built on 2025-01-01 00:00 UTC',
        'Clients:',
        ' /127.0.0.1:50001[1](queued=0,recved=10,sent=9)',
        ' /[0:0:0:0:0:0:0:1]:50002[0](queued=1,recved=2,sent=1)',
        '',
        SERVER_STATS,
      ].join('\n'),
    );
  });

  it('srvr shows read-only mode, a leader’s proposal sizes, and zero latencies before any request', () => {
    const ro = run('srvr', context({ mode: 'read-only', latency: { count: 0, total: 0, min: 0, max: 0 } }))!;
    expect(ro.split('\n').slice(0, 3)).toEqual([
      'Zookeeper version: 3.9.5-verikeeper, built on 2025-01-01 00:00 UTC',
      'READ-ONLY mode; serving only read-only clients',
      'Latency min/avg/max: 0/0.0/0',
    ]);
    expect(ro).toContain('Mode: read-only\n');
    const leader = run('srvr', context({ mode: 'leader', proposalSizes: { last: 120, min: 36, max: 1024 } }))!;
    expect(leader.endsWith('Mode: leader\nNode count: 7\nProposal sizes last/min/max: 120/36/1024\n')).toBe(true);
  });

  it('cons prints every connection in full form, then a blank line', () => {
    expect(run('cons', context({ connections: () => [conn1, conn2, conn3] }))).toBe(
      [
        ' /127.0.0.1:50001[1](queued=0,recved=10,sent=9,sid=0x100000abc0001,lop=GETD,est=1700000000000,to=30000,lcxid=0x5,lzxid=0x10000002a,lresp=1700000005000,llat=1,minlat=0,avglat=1,maxlat=3)',
        ' /[0:0:0:0:0:0:0:1]:50002[0](queued=1,recved=2,sent=1)',
        ' /10.1.2.3:50003[5](queued=1,recved=2,sent=1,sid=0xff00000000000001,lop=PING,est=1700000000000,to=4000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)',
        '',
        '',
      ].join('\n'),
    );
  });

  it('mntr prints zk_-prefixed keys and values separated by a tab', () => {
    expect(run('mntr')).toBe(
      [
        'zk_version\t3.9.5-verikeeper, built on 2025-01-01 00:00 UTC',
        'zk_server_state\tstandalone',
        'zk_avg_latency\t3.3333',
        'zk_max_latency\t6',
        'zk_min_latency\t1',
        'zk_packets_received\t42',
        'zk_packets_sent\t41',
        'zk_num_alive_connections\t2',
        'zk_outstanding_requests\t0',
        'zk_uptime\t123456',
        'zk_znode_count\t7',
        'zk_watch_count\t3',
        'zk_ephemerals_count\t2',
        'zk_approximate_data_size\t321',
        'zk_global_sessions\t2',
        'zk_local_sessions\t0',
        'zk_open_file_descriptor_count\t30',
        'zk_max_file_descriptor_count\t1024',
        'zk_connection_drop_probability\t0.0',
        'zk_last_client_response_size\t16',
        'zk_max_client_response_size\t96',
        'zk_min_client_response_size\t-1',
        'zk_outstanding_tls_handshake\t0',
        'zk_auth_failed_count\t1',
        'zk_non_mtls_remote_conn_count\t0',
        'zk_non_mtls_local_conn_count\t0',
        '',
      ].join('\n'),
    );
  });

  it('mntr adds the peer state after the server state, and the extras at the end', () => {
    const out = run('mntr', context({ mode: 'leader', peerState: 'leading - broadcast', monitorExtras: [['learners', 2], ['synced_followers', 2n], ['quorum_size', '3']] }))!;
    const lines = out.split('\n');
    expect(lines.slice(0, 3)).toEqual(['zk_version\t3.9.5-verikeeper, built on 2025-01-01 00:00 UTC', 'zk_server_state\tleader', 'zk_peer_state\tleading - broadcast']);
    expect(lines.slice(-4)).toEqual(['zk_learners\t2', 'zk_synced_followers\t2', 'zk_quorum_size\t3', '']);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^zk_[a-z_]+\t[^\t]*$/);
  });

  it('conf prints the serving configuration of a standalone server', () => {
    expect(run('conf')).toBe(
      [
        'clientPort=2181',
        'secureClientPort=-1',
        'dataDir=/var/zk/data',
        'dataDirSize=4096',
        'dataLogDir=/var/zk/log',
        'dataLogSize=67108880',
        'tickTime=2000',
        'maxClientCnxns=60',
        'minSessionTimeout=4000',
        'maxSessionTimeout=40000',
        'clientPortListenBacklog=-1',
        'serverId=0',
        '',
      ].join('\n'),
    );
  });

  it('conf adds the quorum settings and the membership in an ensemble', () => {
    const cfg =
      'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/zk\n' +
      'server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889;2182\nserver.3=[::1]:2890:3890:observer;[::1]:2183\n';
    const { config } = parseConfig(cfg, '/cfg/zoo.cfg', { fs: { readText: (p) => (p === '/var/zk/myid' ? '2' : undefined) } });
    const out = run('conf', context({ conf: fourLetterConf(config, 2182) }))!;
    expect(out).toBe(
      [
        'clientPort=2182',
        'secureClientPort=-1',
        'dataDir=/var/zk/version-2',
        'dataDirSize=4096',
        'dataLogDir=/var/zk/version-2',
        'dataLogSize=67108880',
        'tickTime=2000',
        'maxClientCnxns=60',
        'minSessionTimeout=4000',
        'maxSessionTimeout=40000',
        'clientPortListenBacklog=-1',
        'serverId=2',
        'initLimit=10',
        'syncLimit=5',
        'electionAlg=3',
        'electionPort=3889',
        'quorumPort=2889',
        'peerType=0',
        'membership: ',
        'server.1=127.0.0.1:2888:3888:participant',
        'server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182',
        'server.3=[::1]:2890:3890:observer;[::1]:2183',
        'version=0',
      ].join('\n'),
    );
  });

  it('fourLetterConf of a standalone config has no quorum part and serverId 0', () => {
    const { config } = parseConfig('dataDir=/d\nclientPort=2181\n', '/cfg/zoo.cfg', { fs: { readText: () => '9' } });
    expect(config.myid).toBe(9);
    const c = fourLetterConf(config, 40123);
    expect(c).toEqual({
      clientPort: 40123,
      secureClientPort: -1,
      dataDir: '/d/version-2',
      dataLogDir: '/d/version-2',
      tickTime: 3000,
      maxClientCnxns: 60,
      minSessionTimeout: 6000,
      maxSessionTimeout: 60000,
      clientPortListenBacklog: -1,
      serverId: 0,
    });
  });

  it('wchs summarises the watches', () => {
    expect(run('wchs')).toBe('2 connections watching 2 paths\nTotal watches:3\n');
  });

  it('wchc lists the watched paths by session', () => {
    expect(run('wchc')).toBe('0x100000abc0001\n\t/a\n0x100000abc0002\n\t/a\n\t/b\n\n');
  });

  it('wchp lists the watching sessions by path', () => {
    expect(run('wchp')).toBe('/a\n\t0x100000abc0001\n\t0x100000abc0002\n/b\n\t0x100000abc0002\n\n');
  });

  it('dump lists sessions by expiry, ephemerals by session and connections', () => {
    expect(run('dump')).toBe(
      [
        'SessionTracker dump:',
        'Session Sets (2)/(2):',
        '1 expire at Tue Nov 14 22:13:50 UTC 2023:',
        '\t0x100000abc0001',
        '1 expire at Tue Nov 14 22:14:00 UTC 2023:',
        '\t0x100000abc0002',
        'ephemeral nodes dump:',
        'Sessions with Ephemerals (1):',
        '0x100000abc0001:',
        '\t/locks/x-0000000001',
        '\t/locks/x-0000000002',
        'Connections dump:',
        'Connections Sets (1)/(1):',
        '1 expire at Tue Nov 14 22:13:50 UTC 2023:',
        '\tip: /127.0.0.1:50001 sessionId: 0x100000abc0001',
        '',
      ].join('\n'),
    );
  });

  it('dirs prints the sizes of the snapshot and log directories', () => {
    expect(run('dirs')).toBe('datadir_size: 4096\nlogdir_size: 67108880\n');
  });

  it('envi prints Environment: and key=value lines', () => {
    expect(run('envi')).toBe('Environment:\nzookeeper.version=3.9.5-verikeeper\nhost.name=zk1\n');
  });

  it('the process environment has ZooKeeper’s keys in ZooKeeper’s order', () => {
    const env = nodeEnvironment('v');
    expect(env.map(([k]) => k)).toEqual([
      'zookeeper.version', 'host.name', 'java.version', 'java.vendor', 'java.home', 'java.class.path',
      'java.library.path', 'java.io.tmpdir', 'java.compiler', 'os.name', 'os.arch', 'os.version', 'user.name',
      'user.home', 'user.dir', 'os.memory.free', 'os.memory.max', 'os.memory.total', 'node.version',
    ]);
    expect(env[0]).toEqual(['zookeeper.version', 'v']);
    for (const [k, v] of env.filter(([key]) => key.startsWith('os.memory'))) expect(v, k).toMatch(/^\d+MB$/);
  });

  it('isro answers rw, ro, or null when not serving', () => {
    expect(run('isro')).toBe('rw');
    expect(run('isro', context({ mode: 'read-only' }))).toBe('ro');
    expect(run('isro', context({ serving: false }))).toBe('null');
  });

  it('crst and srst reset the statistics', () => {
    const ctx = context();
    expect(run('crst', ctx)).toBe('Connection stats reset.\n');
    expect(run('srst', ctx)).toBe('Server stats reset.\n');
    expect(ctx.calls).toMatchObject({ resetServer: 1, resetConnections: 1 });
  });

  it('gtmk prints the trace mask; stmk sets it from its 8-byte argument', () => {
    expect(run('gtmk')).toBe('306');
    const ctx = context();
    expect(runFourLetterWord('stmk', ctx, ALL, 0xffffffffffffffffn)).toBe('-1');
    expect(ctx.calls.masks).toEqual([-1n]);
    expect(fourLetterArgumentBytes('stmk')).toBe(8);
    expect(fourLetterArgumentBytes('stat')).toBe(0);
  });

  it('hash prints the digests by zxid', () => {
    expect(run('hash')).toBe('100000001: 1234567890\n');
  });

  it('answers ZooKeeper’s not-serving text while not serving (ruok and envi still answer)', () => {
    const ctx = context({ serving: false });
    for (const w of ['srvr', 'stat', 'mntr', 'conf', 'cons', 'crst', 'srst', 'wchs', 'wchc', 'wchp', 'dump', 'dirs']) {
      expect(run(w, ctx), w).toBe(`${ZK_NOT_SERVING}\n`);
    }
    expect(run('hash', ctx)).toBe(ZK_NOT_SERVING);
    expect(ctx.calls).toMatchObject({ resetServer: 0, resetConnections: 0 });
    expect(run('ruok', ctx)).toBe('imok');
    expect(run('envi', ctx)).toMatch(/^Environment:\n/);
  });
});

describe('four-letter words: whitelist', () => {
  it('by default enables srvr only', () => {
    const wl = parseFourLetterWhitelist(undefined).enabled;
    expect([...wl]).toEqual(['srvr']);
    expect(run('ruok', context(), wl)).toBe('ruok is not executed because it is not in the whitelist.\n');
    expect(run('mntr', context(), wl)).toBe('mntr is not executed because it is not in the whitelist.\n');
    expect(run('srvr', context(), wl)).toMatch(/^Zookeeper version: /);
  });

  it('enables every word with *, wherever it appears', () => {
    expect(parseFourLetterWhitelist('*').enabled).toEqual(ALL);
    expect(parseFourLetterWhitelist('ruok, *').enabled).toEqual(ALL);
  });

  it('takes a comma-separated list with blanks, skipping empty entries, always adding srvr', () => {
    const { enabled, unknown } = parseFourLetterWhitelist(' stat , ruok,, conf ,isro ');
    expect([...enabled].sort()).toEqual(['conf', 'isro', 'ruok', 'srvr', 'stat']);
    expect(unknown).toEqual([]);
    expect(run('stat', context(), enabled)).toMatch(/^Zookeeper version: /);
    expect(run('cons', context(), enabled)).toBe('cons is not executed because it is not in the whitelist.\n');
  });

  it('keeps unknown entries, reports them, and adds isro in read-only mode', () => {
    const wl = parseFourLetterWhitelist('ruok,nope', { readOnlyModeEnabled: true });
    expect(wl.unknown).toEqual(['nope']);
    expect(wl.enabled.has('isro')).toBe(true);
  });

  it('accepts the config’s array of enabled words', () => {
    expect(isFourLetterWordEnabled('ruok', ['ruok', 'srvr'])).toBe(true);
    expect(run('wchs', context(), ['ruok', 'srvr'])).toBe('wchs is not executed because it is not in the whitelist.\n');
  });
});

describe('four-letter words: recognition', () => {
  it('answers null for anything that is not a known word, whatever the whitelist', () => {
    for (const w of ['RUOK', 'abcd', 'ruo', 'ruokk', '', 'kill']) expect(run(w), w).toBeNull();
  });

  it('reads the first four bytes of a connection as a big-endian int', () => {
    expect(fourLetterCode('ruok')).toBe(0x72756f6b);
    expect(isFourLetterWord(Buffer.from('ruok'))).toBe(true);
    expect(isFourLetterWord(Buffer.from('mntr\n'))).toBe(true);
    expect(isFourLetterWord(new Uint8Array([0, 0, 0, 45]))).toBe(false);
    expect(isFourLetterWord(Buffer.from('ruo'))).toBe(false);
    expect(isFourLetterWord(0x73746174)).toBe(true);
    const offset = Buffer.from('xxstat').subarray(2);
    expect(isFourLetterWord(offset)).toBe(true);
    for (const w of FOUR_LETTER_WORDS) expect(fourLetterWordOfCode(fourLetterCode(w))).toBe(w);
    expect(fourLetterWordOfCode(44)).toBeUndefined();
  });

  it('knows the telnet close sequence, closes silently when enabled and says so when not', () => {
    expect(TELNET_CLOSE_CODE).toBe(-720899);
    expect(isFourLetterWord(new Uint8Array([0xff, 0xf4, 0xff, 0xfd]))).toBe(true);
    expect(fourLetterWordOfCode(0xfff4fffd)).toBe('telnet close');
    expect(run('telnet close')).toBe('');
    expect(run('telnet close', context(), ['srvr'])).toBe('telnet close is not executed because it is not in the whitelist.\n');
  });
});

describe('Java formats', () => {
  it('prints doubles as Double.toString does', () => {
    expect([0, 1, 0.5, 3.3333, 1234567.5, 1e7, 12345678.9, 0.001, 0.0001, -2, 1.5e-5, -0].map(javaDouble)).toEqual([
      '0.0', '1.0', '0.5', '3.3333', '1234567.5', '1.0E7', '1.23456789E7', '0.001', '1.0E-4', '-2.0', '1.5E-5', '-0.0',
    ]);
  });

  it('rounds the average latency half up to four decimals', () => {
    expect(averageLatency({ count: 3, total: 2, min: 0, max: 1 })).toBe(0.6667);
    expect(averageLatency({ count: 0, total: 0, min: 0, max: 0 })).toBe(0);
  });

  it('prints longs in hex as Long.toHexString does', () => {
    expect([javaHex(0), javaHex(255), javaHex(-1), javaHex(0x7fn << 56n)]).toEqual(['0', 'ff', 'ffffffffffffffff', '7f00000000000000']);
  });

  it('prints dates as Date.toString does, in UTC', () => {
    expect(javaDate(0)).toBe('Thu Jan 01 00:00:00 UTC 1970');
    expect(javaDate(T0)).toBe('Tue Nov 14 22:13:20 UTC 2023');
  });

  it('prints socket addresses as InetSocketAddress does', () => {
    expect(javaSocketAddress('10.0.0.1', 1)).toBe('/10.0.0.1:1');
    expect(javaSocketAddress('::ffff:127.0.0.1', 2)).toBe('/127.0.0.1:2');
    expect(javaSocketAddress('fe80::1%eth0', 3)).toBe('/[fe80:0:0:0:0:0:0:1%eth0]:3');
    expect(javaSocketAddress('2001:db8::0a:1', 4)).toBe('/[2001:db8:0:0:0:0:a:1]:4');
    expect(javaSocketAddress('::', 5)).toBe('/[0:0:0:0:0:0:0:0]:5');
  });

  it('names operations as cons shows them', () => {
    expect(opShortName(OpCode.getData)).toBe('GETD');
    expect(opShortName(OpCode.createTTL)).toBe('CREA');
    expect(opShortName(OpCode.whoAmI)).toBe('HOMI');
    expect(opShortName(OpCode.auth)).toBe('NA');
  });
});
