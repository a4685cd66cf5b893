import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACTED_ON_KEYS,
  ConfigError,
  EMBEDDED_DEFAULT_ZOO_CFG,
  embeddedDefaultConfig,
  formatConfigWarning,
  loadConfig,
  parseConfig,
} from '../../src/server/config.js';
import type { ConfigFileSystem, LoadedConfig, ParseConfigOptions } from '../../src/server/config.js';
import { readProperties } from '../../src/server/config-properties.js';
import { FOUR_LETTER_WORDS } from '../../src/server/fourletter-words.js';
import { memoryLogger } from '../../src/server/log.js';

// An in-memory file system rooted at /cfg: zoo.cfg texts are parsed as /cfg/zoo.cfg.
function memFs(files: Record<string, string> = {}): ConfigFileSystem {
  return { readText: (p) => files[p] };
}
const FILE = '/cfg/zoo.cfg';
const parse = (text: string, files: Record<string, string> = {}, options: ParseConfigOptions = {}): LoadedConfig =>
  parseConfig(text, FILE, { fs: memFs(files), ...options });
const minimal = (extra = ''): string => `dataDir=/var/zk\nclientPort=2181\n${extra}`;

function parseError(text: string, files: Record<string, string> = {}): ConfigError {
  try {
    parse(text, files);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

const warningsOf = (l: LoadedConfig): string[] => l.warnings.map(formatConfigWarning);

describe('Java properties syntax', () => {
  const kv = (text: string): Array<[string, string, number]> => readProperties(text).map((e) => [e.key, e.value, e.line]);

  it('accepts =, : and blank as separators, with blanks around them', () => {
    expect(kv('a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf  =  =6\ng:=7')).toEqual([
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
      ['d', '4', 4],
      ['e', '5', 5],
      ['f', '=6', 6],
      ['g', '=7', 7],
    ]);
  });

  it('skips # and ! comment lines and blank lines, only at the start of a line', () => {
    expect(kv('# c\n  ! c\n\n   \nk=v # not a comment\n')).toEqual([['k', 'v # not a comment', 5]]);
  });

  it('joins continued lines, dropping the next line’s leading blanks, and numbers the entry by its first line', () => {
    expect(kv('x=1\nlist=a,\\\n    b,\\\n\tc\ny=2')).toEqual([
      ['x', '1', 1],
      ['list', 'a,b,c', 2],
      ['y', '2', 5],
    ]);
  });

  it('does not continue a comment line, but a continuation may start with #', () => {
    expect(kv('# comment \\\nk=v\\\n#x')).toEqual([['k', 'v#x', 2]]);
  });

  it('treats an even number of trailing backslashes as literal backslashes', () => {
    expect(kv('k=a\\\\\nz=1')).toEqual([
      ['k', 'a\\', 1],
      ['z', '1', 2],
    ]);
  });

  it('unescapes \\t \\n \\uXXXX and escaped separators; other escapes drop the backslash', () => {
    expect(kv('a\\=b=c\\:d\nu=\\u0041\\u00e9\nw=C:\\data\\t')).toEqual([
      ['a=b', 'c:d', 1],
      ['u', 'Aé', 2],
      ['w', 'C:data', 3],
    ]);
  });

  it('handles CRLF and CR line ends and trims surrounding whitespace', () => {
    expect(kv('a=1  \r\nb=2\rc=3\t')).toEqual([
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
    ]);
  });

  it('gives a key alone the empty value', () => {
    expect(kv('lonely')).toEqual([['lonely', '', 1]]);
  });

  it('makes a malformed \\u escape a ConfigError naming file, line and key', () => {
    const e = parseError('dataDir=/d\nclientPort=2181\nfoo=\\u12G4\n');
    expect(e.line).toBe(3);
    expect(e.key).toBe('foo');
    expect(e.message).toBe(`${FILE}:3: foo: malformed \\uxxxx escape`);
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(parse(`\ufefftickTime=2000\n${minimal()}`).config.tickTime).toBe(2000);
  });
});

describe('defaults', () => {
  it('gives every setting ZooKeeper 3.9’s default when only dataDir and clientPort are set', () => {
    const { config, warnings } = parse(minimal());
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      source: FILE,
      mode: 'standalone',
      myid: null,
      tickTime: 3000,
      initLimit: 0,
      syncLimit: 0,
      dataDir: '/var/zk',
      dataLogDir: '/var/zk',
      traceDir: null,
      clientPort: 2181,
      clientPortAddress: null,
      secureClientPort: null,
      maxClientCnxns: 60,
      minSessionTimeout: 6000,
      maxSessionTimeout: 60000,
      snapCount: 100000,
      autopurgeSnapRetainCount: 3,
      autopurgePurgeInterval: 0,
      fourLetterWords: ['srvr'],
      authProviders: [],
      superDigest: null,
      extendedTypesEnabled: false,
      enforceQuota: false,
      reconfigEnabled: false,
      peerType: 'participant',
      standaloneEnabled: true,
      syncEnabled: true,
      electionAlg: 3,
      servers: [],
      groups: [],
      weights: [],
      forceSync: true,
      juteMaxBuffer: 0xfffff,
      globalOutstandingLimit: 1000,
      commitLogCount: 10000,
      containerCheckIntervalMs: 60000,
      containerMaxPerMinute: 10000,
      containerMaxNeverUsedIntervalMs: 0,
      properties: {},
    });
  });

  it('derives the session timeout bounds from tickTime (2× and 20×)', () => {
    const { config } = parse(minimal('tickTime=2000'));
    expect([config.minSessionTimeout, config.maxSessionTimeout]).toEqual([4000, 40000]);
    expect(parse(minimal('tickTime=100\nminSessionTimeout=-1\nmaxSessionTimeout=-1')).config.maxSessionTimeout).toBe(2000);
  });

  it('has an embedded default: standalone, 127.0.0.1:2181, ./data under the working directory, every word enabled', () => {
    const config = embeddedDefaultConfig('/srv/app', { fs: memFs() });
    expect(config).toMatchObject({
      source: null,
      mode: 'standalone',
      tickTime: 2000,
      clientPort: 2181,
      clientPortAddress: '127.0.0.1',
      dataDir: '/srv/app/data',
      dataLogDir: '/srv/app/data',
      minSessionTimeout: 4000,
      maxSessionTimeout: 40000,
    });
    expect(config.fourLetterWords).toEqual([...FOUR_LETTER_WORDS].sort());
    expect(EMBEDDED_DEFAULT_ZOO_CFG).toContain('4lw.commands.whitelist=*');
  });
});

describe('every key', () => {
  it('decodes each acted-on key', () => {
    const text = [
      'tickTime=1000',
      'initLimit=7',
      'syncLimit=3',
      'dataDir=data',
      'dataLogDir=/fast/log',
      'traceDir=traces',
      'clientPort=2999',
      'clientPortAddress=10.0.0.5',
      'maxClientCnxns=0',
      'minSessionTimeout=1500',
      'maxSessionTimeout=90000',
      'snapCount=5000',
      'autopurge.snapRetainCount=7',
      'autopurge.purgeInterval=24',
      '4lw.commands.whitelist=stat, ruok , conf,isro',
      'authProvider.1=org.apache.zookeeper.server.auth.DigestAuthenticationProvider',
      'authProvider.ip=org.apache.zookeeper.server.auth.IPAuthenticationProvider',
      'extendedTypesEnabled=TRUE',
      'reconfigEnabled=false',
      'peerType=participant',
      'standaloneEnabled=true',
      'syncEnabled=false',
      'electionAlg=3',
      'forceSync=no',
      'jute.maxbuffer=0x200000',
      'znode.container.checkIntervalMs=1000',
      'znode.container.maxPerMinute=600',
      'znode.container.maxNeverUsedIntervalMs=30000',
      'DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
    ].join('\n');
    const { config, warnings } = parse(text);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      tickTime: 1000,
      initLimit: 7,
      syncLimit: 3,
      dataDir: '/cfg/data',
      dataLogDir: '/fast/log',
      traceDir: '/cfg/traces',
      clientPort: 2999,
      clientPortAddress: '10.0.0.5',
      maxClientCnxns: 0,
      minSessionTimeout: 1500,
      maxSessionTimeout: 90000,
      snapCount: 5000,
      autopurgeSnapRetainCount: 7,
      autopurgePurgeInterval: 24,
      fourLetterWords: ['conf', 'isro', 'ruok', 'srvr', 'stat'],
      extendedTypesEnabled: true,
      reconfigEnabled: false,
      peerType: 'participant',
      standaloneEnabled: true,
      syncEnabled: false,
      electionAlg: 3,
      forceSync: false,
      juteMaxBuffer: 0x200000,
      containerCheckIntervalMs: 1000,
      containerMaxPerMinute: 600,
      containerMaxNeverUsedIntervalMs: 30000,
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
    });
    expect(config.authProviders).toEqual([
      { name: '1', className: 'org.apache.zookeeper.server.auth.DigestAuthenticationProvider', scheme: 'digest', supported: true },
      { name: 'ip', className: 'org.apache.zookeeper.server.auth.IPAuthenticationProvider', scheme: 'ip', supported: true },
    ]);
  });

  it('keeps every key ZooKeeper does not read itself as a zookeeper.* setting', () => {
    const { config } = parse(minimal('DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\nskipACL=yes\nsnapCount=10\nmyOwnKey=x'));
    expect(config.properties).toEqual({
      'zookeeper.DigestAuthenticationProvider.superDigest': 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      'zookeeper.skipACL': 'yes',
      'zookeeper.snapCount': '10',
      'zookeeper.myOwnKey': 'x',
    });
  });

  it('reads globalOutstandingLimit as ZooKeeper does (zoo.cfg key or zookeeper.* property) and refuses one below 1', () => {
    for (const line of ['globalOutstandingLimit=250', 'zookeeper.globalOutstandingLimit=250']) {
      const { config, warnings } = parse(minimal(line));
      expect(config.globalOutstandingLimit).toBe(250);
      expect(warnings).toEqual([]);
    }
    expect(parse(minimal(), {}, { systemProperties: { 'zookeeper.globalOutstandingLimit': '40' } }).config.globalOutstandingLimit).toBe(40);
    expect(() => parse(minimal('globalOutstandingLimit=0'))).toThrow(/zoo\.cfg:\d+: globalOutstandingLimit: 0 is not allowed: must be positive/);
    expect(() => parse(minimal('globalOutstandingLimit=many'))).toThrow(/globalOutstandingLimit/);
  });

  it('reads commitLogCount (zoo.cfg key or zookeeper.* property) and refuses one below 1', () => {
    for (const line of ['commitLogCount=50', 'zookeeper.commitLogCount=50']) {
      const { config, warnings } = parse(minimal(line));
      expect(config.commitLogCount).toBe(50);
      expect(warnings).toEqual([]);
    }
    expect(() => parse(minimal('commitLogCount=0'))).toThrow(/commitLogCount: 0 is not allowed: must be positive/);
  });

  it('accepts zookeeper.extendedTypesEnabled as well, without doubling the prefix', () => {
    const { config, warnings } = parse(minimal('zookeeper.extendedTypesEnabled=true'));
    expect(config.extendedTypesEnabled).toBe(true);
    expect(config.properties).toEqual({ 'zookeeper.extendedTypesEnabled': 'true' });
    expect(warnings).toEqual([]);
  });

  it('reads jute.maxbuffer and znode.container.* from system properties too; zoo.cfg wins', () => {
    const sys = { systemProperties: { 'jute.maxbuffer': '4096', 'znode.container.maxPerMinute': '5', 'zookeeper.snapCount': '777' } };
    expect(parse(minimal(), {}, sys).config).toMatchObject({ juteMaxBuffer: 4096, containerMaxPerMinute: 5, snapCount: 777 });
    expect(parse(minimal('jute.maxbuffer=8192\nsnapCount=9'), {}, sys).config).toMatchObject({ juteMaxBuffer: 8192, snapCount: 9 });
  });

  it('decodes system-property style integers as Java’s Integer.decode: hex, # and octal', () => {
    expect(parse(minimal('snapCount=0x10')).config.snapCount).toBe(16);
    expect(parse(minimal('snapCount=#20')).config.snapCount).toBe(32);
    expect(parse(minimal('snapCount=010')).config.snapCount).toBe(8);
  });

  it('accepts an IPv6 and a host name clientPortAddress', () => {
    expect(parse(minimal('clientPortAddress=[::1]')).config.clientPortAddress).toBe('::1');
    expect(parse(minimal('clientPortAddress=zk-1.example.org')).config.clientPortAddress).toBe('zk-1.example.org');
  });

  it('lists the keys it acts on, and not the ones it only warns about', () => {
    for (const k of ['tickTime', 'initLimit', 'syncLimit', 'dataDir', 'dataLogDir', 'clientPort', 'clientPortAddress', 'maxClientCnxns', 'minSessionTimeout', 'maxSessionTimeout', 'snapCount', 'autopurge.snapRetainCount', 'autopurge.purgeInterval', '4lw.commands.whitelist', 'authProvider.N', 'extendedTypesEnabled', 'reconfigEnabled', 'peerType', 'standaloneEnabled', 'syncEnabled', 'electionAlg', 'server.N', 'forceSync', 'jute.maxbuffer', 'znode.container.checkIntervalMs', 'znode.container.maxPerMinute', 'DigestAuthenticationProvider.superDigest']) {
      expect(ACTED_ON_KEYS).toContain(k);
    }
    for (const k of ['secureClientPort', 'admin.enableServer', 'metricsProvider.className', 'skipACL', 'localSessionsEnabled']) {
      expect(ACTED_ON_KEYS).not.toContain(k);
    }
  });
});

describe('errors name the file, the line and the key', () => {
  const cases: Array<[string, string, number | null, string, string]> = [
    ['non-numeric tickTime', 'tickTime=abc', 3, 'tickTime', "'abc' is not an integer"],
    ['tickTime 0', 'tickTime=0', 3, 'tickTime', 'is not set'],
    ['negative tickTime', 'tickTime=-5', 3, 'tickTime', 'must be positive'],
    ['tickTime over 32 bits', 'tickTime=3000000000', 3, 'tickTime', 'out of the 32-bit integer range'],
    ['port out of range', 'clientPort=70000', 3, 'clientPort', 'out of range for a port'],
    ['unknown peerType', 'peerType=leader', 3, 'peerType', "unrecognised peer type 'leader'"],
    ['negative snapCount', 'snapCount=-1', 3, 'snapCount', 'cannot be negative'],
    ['non-numeric snapCount', 'snapCount=lots', 3, 'snapCount', 'not an integer'],
    ['negative maxClientCnxns', 'maxClientCnxns=-1', 3, 'maxClientCnxns', 'use 0 for no limit'],
    ['min > max session timeout', 'minSessionTimeout=5000\nmaxSessionTimeout=4000', 3, 'minSessionTimeout', 'must not be larger than maxSessionTimeout'],
    ['min > default max', 'tickTime=1000\nminSessionTimeout=30000', 4, 'minSessionTimeout', 'must not be larger'],
    ['negative minSessionTimeout', 'minSessionTimeout=-2', 3, 'minSessionTimeout', 'cannot be negative'],
    ['electionAlg other than 3', 'electionAlg=1', 3, 'electionAlg', 'only 3'],
    ['bad boolean', 'standaloneEnabled=yes', 3, 'standaloneEnabled', "choose 'true' or 'false'"],
    ['bad extendedTypesEnabled', 'extendedTypesEnabled=1', 3, 'extendedTypesEnabled', "choose 'true' or 'false'"],
    ['bad forceSync', 'forceSync=maybe', 3, 'forceSync', "choose 'yes' or 'no'"],
    ['jute.maxbuffer 0', 'jute.maxbuffer=0', 3, 'jute.maxbuffer', 'must be positive'],
    ['container rate 0', 'znode.container.maxPerMinute=0', 3, 'znode.container.maxPerMinute', 'must be positive'],
    ['bad clientPortAddress', 'clientPortAddress=300.1.1.1', 3, 'clientPortAddress', 'not a valid IPv4 address'],
    ['bad secureClientPort', 'secureClientPort=-3', 3, 'secureClientPort', 'out of range'],
    ['bad type of an ignored key', 'localSessionsEnabled=maybe', 3, 'localSessionsEnabled', "choose 'true' or 'false'"],
    ['trailing comment on a number', 'initLimit=10   # ten ticks', 3, 'initLimit', "'#' starts a comment only at the beginning of a line"],
    ['empty dataDir', 'dataDir=', 3, 'dataDir', 'is empty'],
    ['negative initLimit', 'initLimit=-1', 3, 'initLimit', 'cannot be negative'],
  ];
  it.each(cases)('%s', (_name, line, lineNo, key, fragment) => {
    const e = parseError(`dataDir=/d\nclientPort=2181\n${line}\n`);
    expect(e.line).toBe(lineNo);
    expect(e.key).toBe(key);
    expect(e.file).toBe(FILE);
    expect(e.message.startsWith(`${FILE}${lineNo === null ? '' : `:${lineNo}`}: ${key}: `)).toBe(true);
    expect(e.message).toContain(fragment);
  });

  it('reports a missing dataDir with the file and the key', () => {
    const e = parseError('clientPort=2181\n');
    expect([e.file, e.line, e.key]).toEqual([FILE, null, 'dataDir']);
    expect(e.message).toBe(`${FILE}: dataDir: is not set (the directory for snapshots and the myid file)`);
  });

  it('reports a missing clientPort, and clientPortAddress without clientPort', () => {
    expect(parseError('dataDir=/d').key).toBe('clientPort');
    const e = parseError('dataDir=/d\nclientPortAddress=127.0.0.1');
    expect([e.line, e.key]).toEqual([2, 'clientPortAddress']);
  });

  it('reports secureClientPortAddress without secureClientPort', () => {
    expect(parseError(minimal('secureClientPortAddress=0.0.0.0')).key).toBe('secureClientPortAddress');
  });

  const serverCases: Array<[string, string, string]> = [
    ['no election port', 'server.1=h:2888', 'expected host:quorumPort:electionPort'],
    ['too many parts', 'server.1=h:1:2:observer:x', 'expected host:quorumPort:electionPort'],
    ['bad quorum port', 'server.1=h:x:3888', 'quorum port'],
    ['port 0', 'server.1=h:0:3888', 'out of range'],
    ['port too big', 'server.1=h:2888:65536', 'election port'],
    ['same ports', 'server.1=h:2888:2888', 'must be different'],
    ['bad host', 'server.1=bad_host!:2888:3888', 'not a valid host name'],
    ['empty host', 'server.1=:2888:3888', 'not a valid host name'],
    ['unknown type', 'server.1=h:2888:3888:leader', "unrecognised peer type 'leader'"],
    ['multi-address', 'server.1=h1:2888:3888|h2:2888:3888', "separated by '|'"],
    ['two client parts', 'server.1=h:2888:3888;1;2', 'expected host:quorumPort:electionPort'],
    ['bad client port', 'server.1=h:2888:3888;h:x', 'client port'],
    ['unclosed IPv6', 'server.1=[::1:2888:3888', "no matching ']:'"],
    ['id 0', 'server.0=h:2888:3888', 'out of range for a server id (1..255)'],
    ['id 256', 'server.256=h:2888:3888', 'out of range for a server id'],
    ['id not a number', 'server.a=h:2888:3888', "'a' is not an integer"],
  ];
  it.each(serverCases)('malformed server.N: %s', (_name, line, fragment) => {
    const e = parseError(minimal(`${line}\n`));
    expect(e.line).toBe(3);
    expect(e.key).toBe(line.slice(0, line.indexOf('=')));
    expect(e.message).toContain(`${FILE}:3: ${e.key}: `);
    expect(e.message).toContain(fragment);
  });

  it('rejects a repeated server id, also written differently', () => {
    const e = parseError(minimal('server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.01=c:2888:3888\n'));
    expect([e.line, e.key]).toEqual([5, 'server.01']);
    expect(e.message).toContain('already defined on line 3');
    expect(parseError(minimal('server.1=a:2888:3888\nserver.1=b:2888:3888\n')).line).toBe(4);
  });

  it('rejects observers without participants and, with standaloneEnabled=false, no participants', () => {
    expect(parseError(minimal('server.1=a:2888:3888:observer')).message).toContain('observers without participants');
    expect(parseError(minimal('standaloneEnabled=false')).message).toContain('at least one participant');
    expect(parseError(minimal('server.1=a:2888:3888\nserver.2=b:2888:3888:observer')).message).toContain('observers without a quorum');
  });

  it('checks hierarchical groups', () => {
    const servers = 'server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n';
    const files = { '/var/zk/myid': '1' };
    expect(parseError(minimal(`initLimit=5\nsyncLimit=2\n${servers}group.1=1:2\ngroup.2=2:3`), files).message).toContain('server 2 is in more than one group');
    expect(parseError(minimal(`initLimit=5\nsyncLimit=2\n${servers}group.1=1:2`), files).message).toContain('server 3 is not in a group');
    expect(parseError(minimal(`initLimit=5\nsyncLimit=2\n${servers}group.1=1:2:3\nweight.1=x`), files).key).toBe('weight.1');
  });
});

describe('warnings', () => {
  it('names unknown keys and their line, and keeps them as zookeeper.* settings', () => {
    const { warnings, config } = parse(minimal('tickTme=2000'));
    expect(warningsOf({ warnings, config })).toEqual([`${FILE}:3: tickTme: unknown key: not a ZooKeeper setting; kept as the setting zookeeper.tickTme`]);
    expect(config.properties['zookeeper.tickTme']).toBe('2000');
  });

  it('names ZooKeeper keys that are not acted on, never failing', () => {
    const text = minimal(
      [
        'secureClientPort=2281',
        'admin.enableServer=true',
        'admin.serverPort=8080',
        'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
        'metricsProvider.httpPort=7000',
        'skipACL=yes',
        'localSessionsEnabled=true',
        'ssl.keyStore.location=/k',
      ].join('\n'),
    );
    const l = parse(text);
    expect(l.config.secureClientPort).toBe(2281);
    const w = warningsOf(l);
    expect(w).toHaveLength(8);
    expect(w[0]).toBe(`${FILE}:3: secureClientPort: not acted on: TLS client connections are not supported; no secure port is opened`);
    const keys = l.warnings.map((x) => [x.line, x.key]);
    expect(keys).toEqual(
      expect.arrayContaining([
        [4, 'admin.enableServer'],
        [5, 'admin.serverPort'],
        [6, 'metricsProvider.className'],
        [7, 'metricsProvider.httpPort'],
        [8, 'skipACL'],
        [9, 'localSessionsEnabled'],
        [10, 'ssl.keyStore.location'],
      ]),
    );
    for (const x of l.warnings) expect(x.message.startsWith('not acted on: ')).toBe(true);
  });

  it('warns about an authentication provider it does not have', () => {
    const l = parse(minimal('authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\nauthProvider.2=com.example.MyAuth'));
    expect(l.config.authProviders.map((p) => [p.name, p.scheme, p.supported])).toEqual([
      ['2', null, false],
      ['sasl', 'sasl', false],
    ]);
    expect(l.warnings.map((w) => w.line).sort()).toEqual([3, 4]);
    expect(l.warnings[0]!.message).toContain('is not available; the schemes are digest, ip, world, auth');
  });

  it('treats keys named like JavaScript object members as unknown keys', () => {
    const l = parse(minimal('valueOf=1\n__proto__=2\nconstructor=3\nauthProvider.1=toString'));
    expect(l.warnings.map((w) => [w.line, w.key, w.message.split(':')[0]])).toEqual([
      [3, 'valueOf', 'unknown key'],
      [4, '__proto__', 'unknown key'],
      [5, 'constructor', 'unknown key'],
      [6, 'authProvider.1', 'not acted on'],
    ]);
    expect(l.config.properties['zookeeper.__proto__']).toBe('2');
  });

  it('warns about a repeated key; the last value wins', () => {
    const l = parse(minimal('tickTime=1000\ntickTime=4000'));
    expect(l.config.tickTime).toBe(4000);
    expect(warningsOf(l)).toEqual([`${FILE}:4: tickTime: set again (first on line 3); the later value '4000' wins`]);
  });

  it('raises a too small snapRetainCount to 3 and snapCount to 2, as ZooKeeper does', () => {
    const l = parse(minimal('autopurge.snapRetainCount=1\nsnapCount=1\nautopurge.purgeInterval=-4'));
    expect([l.config.autopurgeSnapRetainCount, l.config.snapCount, l.config.autopurgePurgeInterval]).toEqual([3, 2, 0]);
    expect(l.warnings.map((w) => [w.line, w.key])).toEqual([
      [4, 'snapCount'],
      [3, 'autopurge.snapRetainCount'],
      [5, 'autopurge.purgeInterval'],
    ]);
  });

  it('warns about words in the whitelist that ZooKeeper does not know', () => {
    const l = parse(minimal('4lw.commands.whitelist=ruok, bogus'));
    expect(l.config.fourLetterWords).toEqual(['bogus', 'ruok', 'srvr']);
    expect(warningsOf(l)).toEqual([`${FILE}:3: 4lw.commands.whitelist: not four-letter words ZooKeeper knows: bogus`]);
  });

  it('warns that reconfigEnabled=true does not enable reconfiguration', () => {
    const l = parse(minimal('reconfigEnabled=true'));
    expect(l.config.reconfigEnabled).toBe(true);
    expect(l.warnings.map((w) => w.key)).toEqual(['reconfigEnabled']);
  });

  it('warns about a comment-looking path, which Java keeps in the value', () => {
    const l = parse('dataDir=/var/zk   # data\nclientPort=2181');
    expect(l.config.dataDir).toBe('/var/zk   # data');
    expect(l.warnings.map((w) => [w.line, w.key])).toEqual([[1, 'dataDir']]);
  });

  it('warns about a superDigest that cannot match', () => {
    expect(parse(minimal('DigestAuthenticationProvider.superDigest=super:secret')).warnings.map((w) => w.key)).toEqual([
      'DigestAuthenticationProvider.superDigest',
    ]);
  });

  it('logs warnings on the given logger', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vk-cfg-'));
    try {
      writeFileSync(join(dir, 'zoo.cfg'), 'dataDir=d\nclientPort=2181\nadmin.serverPort=8080\n');
      const log = memoryLogger('config');
      const l = loadConfig(join(dir, 'zoo.cfg'), { logger: log });
      expect(l.warnings).toHaveLength(1);
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatch(/ WARN \[config\] .*zoo\.cfg:3: admin\.serverPort: not acted on/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ensembles and myid', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'vk-cfg-'));
    dirs.push(d);
    return d;
  };

  // The seeds' three local instances (one of them).
  const seedCfg = (dataDir: string): string =>
    [
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dataDir}`,
      'clientPort=2181',
      'server.1=127.0.0.1:2888:3888',
      'server.2=127.0.0.1:2889:3889',
      'server.3=127.0.0.1:2890:3890',
      '',
    ].join('\n');

  it('reads the seeds’ three-server zoo.cfg and myid from disk', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'myid'), '2\n');
    writeFileSync(join(dir, 'zoo.cfg'), seedCfg(join(dir, 'data')));
    const { config, warnings } = loadConfig(join(dir, 'zoo.cfg'));
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      source: join(dir, 'zoo.cfg'),
      mode: 'quorum',
      myid: 2,
      tickTime: 2000,
      initLimit: 10,
      syncLimit: 5,
      dataDir: join(dir, 'data'),
      clientPort: 2181,
      minSessionTimeout: 4000,
      maxSessionTimeout: 40000,
      peerType: 'participant',
    });
    expect(config.servers).toEqual([1, 2, 3].map((id) => ({
      id,
      host: '127.0.0.1',
      quorumPort: 2887 + id,
      electionPort: 3887 + id,
      type: 'participant',
      clientAddress: null,
      clientPort: null,
    })));
  });

  it('resolves a relative dataDir against the config file’s directory', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'conf'));
    mkdirSync(join(dir, 'conf', 'zkdata'));
    writeFileSync(join(dir, 'conf', 'zkdata', 'myid'), '3');
    writeFileSync(join(dir, 'conf', 'zoo.cfg'), seedCfg('zkdata') + 'dataLogDir=../logs\n');
    const { config } = loadConfig(join(dir, 'conf', 'zoo.cfg'));
    expect(config.dataDir).toBe(join(dir, 'conf', 'zkdata'));
    expect(config.dataLogDir).toBe(join(dir, 'logs'));
    expect(config.myid).toBe(3);
  });

  it('rejects the seeds’ variant with comments after the values, naming the first such line', () => {
    const e = parseError('tickTime=2000  # unit of time\ninitLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\n');
    expect([e.line, e.key]).toEqual([1, 'tickTime']);
    expect(e.message).toContain("'#' starts a comment only at the beginning of a line");
  });

  it('needs myid in an ensemble only', () => {
    const e = parseError(seedCfg('/var/zk'));
    expect(e.key).toBe('myid');
    expect(e.message).toContain('the myid file is missing from /var/zk');
    expect(parse(minimal()).config.myid).toBeNull();
  });

  const myidCases: Array<[string, string, string]> = [
    ['not a number', 'one', "'one' is not an integer"],
    ['empty', '', 'the myid file is empty'],
    ['zero', '0', 'out of range for a server id (1..255)'],
    ['too large', '256', 'out of range for a server id'],
  ];
  it.each(myidCases)('rejects a myid that is %s, naming the myid file', (_n, content, fragment) => {
    for (const text of [seedCfg('/var/zk'), minimal()]) {
      const e = parseError(text, { '/var/zk/myid': content });
      expect([e.file, e.line, e.key]).toEqual(['/var/zk/myid', 1, 'myid']);
      expect(e.message).toContain(fragment);
    }
  });

  it('accepts myid with surrounding blanks and a second line', () => {
    expect(parse(seedCfg('/var/zk'), { '/var/zk/myid': ' 3 \nignored' }).config.myid).toBe(3);
  });

  it('limits the id to 254 with extendedTypesEnabled', () => {
    const text = minimal('extendedTypesEnabled=true');
    expect(parse(text, { '/var/zk/myid': '254' }).config.myid).toBe(254);
    expect(parseError(text, { '/var/zk/myid': '255' }).message).toContain('cannot be larger than 254');
    expect(parse(minimal(), { '/var/zk/myid': '255' }).config.myid).toBe(255);
  });

  it('rejects a myid that is not among the servers', () => {
    const e = parseError(seedCfg('/var/zk'), { '/var/zk/myid': '7' });
    expect(e.message).toContain('7 is not among the server.N ids (1, 2, 3)');
  });

  it('needs initLimit and syncLimit in an ensemble', () => {
    const files = { '/var/zk/myid': '1' };
    expect(parseError(seedCfg('/var/zk').replace('initLimit=10', ''), files).key).toBe('initLimit');
    expect(parseError(seedCfg('/var/zk').replace('syncLimit=5', ''), files).key).toBe('syncLimit');
  });

  it('runs one server line standalone unless standaloneEnabled=false', () => {
    const one = minimal('server.1=127.0.0.1:2888:3888');
    const l = parse(one);
    expect(l.config.mode).toBe('standalone');
    expect(l.warnings.map((w) => w.message)).toEqual([expect.stringContaining('only one server is given: running standalone')]);
    const q = parse(`${one}\nstandaloneEnabled=false\ninitLimit=5\nsyncLimit=2`, { '/var/zk/myid': '1' });
    expect(q.config.mode).toBe('quorum');
    expect(q.warnings.map((w) => w.message)).toEqual([expect.stringContaining('no server failure will be tolerated')]);
  });

  it('warns about an even number of participants', () => {
    const four = seedCfg('/var/zk') + 'server.4=127.0.0.1:2891:3891\n';
    expect(parse(four, { '/var/zk/myid': '1' }).warnings.map((w) => w.message)).toEqual([expect.stringContaining('odd number of servers')]);
  });

  it('takes this server’s client address from its server line', () => {
    const cfg = 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/zk\nserver.1=a:2888:3888;2181\nserver.2=b:2888:3888;10.0.0.2:2182\nserver.3=c:2888:3888:observer\n';
    const one = parse(cfg, { '/var/zk/myid': '1' }).config;
    expect([one.clientPortAddress, one.clientPort]).toEqual([null, 2181]);
    const two = parse(cfg, { '/var/zk/myid': '2' }).config;
    expect([two.clientPortAddress, two.clientPort]).toEqual(['10.0.0.2', 2182]);
    expect(two.servers[1]).toEqual({ id: 2, host: 'b', quorumPort: 2888, electionPort: 3888, type: 'participant', clientAddress: '10.0.0.2', clientPort: 2182 });
    expect(two.servers[2]!.type).toBe('observer');
    const e = parseError(`${cfg}clientPort=3000\n`, { '/var/zk/myid': '1' });
    expect([e.line, e.key]).toEqual([5, 'server.1']);
    expect(e.message).toContain('differs from clientPortAddress/clientPort');
    expect(parse(`${cfg}clientPort=2181\n`, { '/var/zk/myid': '1' }).config.clientPort).toBe(2181);
  });

  it('parses IPv6 hosts in brackets and a trailing colon as Java’s split does', () => {
    const s = parse(minimal('server.1=[::1]:2888:3888:participant;[::1]:2181\nserver.2=h:1:2:\nstandaloneEnabled=false\ninitLimit=1\nsyncLimit=1'), { '/var/zk/myid': '2' }).config.servers;
    expect(s[0]).toMatchObject({ host: '::1', clientAddress: '::1', clientPort: 2181 });
    expect(s[1]).toMatchObject({ host: 'h', quorumPort: 1, electionPort: 2, type: 'participant' });
  });

  it('follows the server list when peerType disagrees, with a warning', () => {
    const cfg = seedCfg('/var/zk') + 'server.4=127.0.0.1:2891:3891:observer\npeerType=participant\n';
    const l = parse(cfg, { '/var/zk/myid': '4' });
    expect(l.config.peerType).toBe('observer');
    expect(l.warnings.map((w) => w.key)).toEqual(['peerType']);
  });

  it('parses group./weight. lines and warns that plain majorities are used', () => {
    const cfg = seedCfg('/var/zk') + 'group.1=1:2\ngroup.2=3\nweight.1=2\nweight.2=1\nweight.3=1\n';
    const l = parse(cfg, { '/var/zk/myid': '1' });
    expect(l.config.groups).toEqual([
      { id: 1, servers: [1, 2] },
      { id: 2, servers: [3] },
    ]);
    expect(l.config.weights).toEqual([
      { server: 1, weight: 2 },
      { server: 2, weight: 1 },
      { server: 3, weight: 1 },
    ]);
    expect(warningsOf(l)).toEqual([expect.stringContaining(':9: group.1: not acted on: hierarchical quorums')]);
  });

  it('reads server lines from a dynamic config file, and only there', () => {
    const base = 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/zk\nclientPort=2181\ndynamicConfigFile=zoo.cfg.dynamic.100000000\n';
    const files = {
      '/var/zk/myid': '1',
      '/cfg/zoo.cfg.dynamic.100000000': 'server.1=a:2888:3888;2181\nserver.2=b:2888:3888;2181\nserver.3=c:2888:3888;2181\n',
    };
    const l = parse(base, files);
    expect(l.config.mode).toBe('quorum');
    expect(l.config.servers.map((s) => s.host)).toEqual(['a', 'b', 'c']);
    expect(parseError(`${base}server.9=x:1:2\n`, files).message).toContain('must be in the separate dynamic config file');
    const bad = parseError(base, { ...files, '/cfg/zoo.cfg.dynamic.100000000': 'server.1=a:1:2\ntickTime=5\n' });
    expect([bad.file, bad.line, bad.key]).toEqual(['/cfg/zoo.cfg.dynamic.100000000', 2, 'tickTime']);
    expect(parseError(base, { '/var/zk/myid': '1' }).message).toContain('cannot read the dynamic config file /cfg/zoo.cfg.dynamic.100000000');
  });
});

describe('loading', () => {
  it('loads the embedded default with no path', () => {
    const { config, warnings } = loadConfig();
    expect(warnings).toEqual([]);
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.clientPortAddress).toBe('127.0.0.1');
  });

  it('fails clearly for a missing file', () => {
    expect(() => loadConfig('/nonexistent/zoo.cfg')).toThrow(new ConfigError('/nonexistent/zoo.cfg', null, null, 'the file does not exist'));
  });
});

describe('garbage', () => {
  const KEYS = ['tickTime', 'initLimit', 'syncLimit', 'dataDir', 'dataLogDir', 'clientPort', 'clientPortAddress', 'maxClientCnxns', 'minSessionTimeout', 'maxSessionTimeout', 'snapCount', 'autopurge.snapRetainCount', 'autopurge.purgeInterval', '4lw.commands.whitelist', 'authProvider.1', 'extendedTypesEnabled', 'reconfigEnabled', 'peerType', 'standaloneEnabled', 'syncEnabled', 'electionAlg', 'server.1', 'server.2', 'server.x', 'group.1', 'weight.1', 'forceSync', 'jute.maxbuffer', 'znode.container.maxPerMinute', 'secureClientPort', 'secureClientPortAddress', 'dynamicConfigFile', 'localSessionsEnabled', 'metricsProvider.x', 'valueOf', 'constructor', '__proto__', 'toString', 'authProvider.x'];
  const VALUES = fc.oneof(
    fc.string(),
    fc.integer().map(String),
    fc.constantFrom('', 'true', 'false', 'yes', 'no', '0', '-1', '0x10', '2147483648', 'observer', 'a:1:2', 'a:1:1', '[::1]:1:2;3', 'h:1:2|h:3:4', '1:2', '\\u12', '/d', 'd', '*', '../x'),
  );
  const LINE = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('=', ':', ' ', ' = '), VALUES).map(([k, s, v]) => `${k}${s}${v}`),
  );

  it('yields a config or a ConfigError, never another exception', () => {
    const files = { '/d/myid': '1', '/cfg/d/myid': 'x', '/cfg/x': 'server.1=a:1:2' };
    fc.assert(
      fc.property(fc.array(LINE, { maxLength: 12 }), fc.boolean(), fc.constantFrom('\n', '\r\n', '\r'), (lines, withBase, eol) => {
        const text = (withBase ? 'dataDir=/d\nclientPort=1\n' : '') + lines.join(eol);
        try {
          const l = parse(text, files);
          expect(typeof l.config.tickTime).toBe('number');
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(err.message.startsWith(err.file)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
