import { describe, expect, it } from 'vitest';
import { ZkError } from '../../src/client/errors.js';
import {
  clientPathError,
  errorMessage,
  formatEvent,
  formatId,
  formatStat,
  hexDump,
  hexLong,
  javaDate,
  parsePerms,
  permString,
} from '../../src/cli/shell-format.js';
import { ErrorCode } from '../../src/wire/protocol.js';

// Expected texts are what ZooKeeper 3.9's zkCli (and the JVM) print for the same values.
describe('zkCli output formats', () => {
  it('dates as java.util.Date prints them', () => {
    expect(javaDate(1700000000123, 'UTC')).toBe('Tue Nov 14 22:13:20 UTC 2023');
    expect(javaDate(1700000000123, 'America/New_York')).toBe('Tue Nov 14 17:13:20 EST 2023');
    expect(javaDate(0, 'UTC')).toBe('Thu Jan 01 00:00:00 UTC 1970');
    expect(javaDate(1688169600000, 'UTC')).toBe('Sat Jul 01 00:00:00 UTC 2023');
  });

  it('Stat as StatPrinter prints it', () => {
    const text = formatStat(
      {
        czxid: 0x100000002,
        mzxid: 0x10000000a,
        ctime: 1700000000123,
        mtime: 0,
        version: 3,
        cversion: 1,
        aversion: 2,
        ephemeralOwner: 0x1000abcd0001n,
        dataLength: 5,
        numChildren: 7,
        pzxid: 0x10000000b,
      },
      'UTC',
    );
    expect(text).toBe(
      [
        'cZxid = 0x100000002',
        'ctime = Tue Nov 14 22:13:20 UTC 2023',
        'mZxid = 0x10000000a',
        'mtime = Thu Jan 01 00:00:00 UTC 1970',
        'pZxid = 0x10000000b',
        'cversion = 1',
        'dataVersion = 3',
        'aclVersion = 2',
        'ephemeralOwner = 0x1000abcd0001',
        'dataLength = 5',
        'numChildren = 7',
        '',
      ].join('\n'),
    );
    expect(hexLong(-1)).toBe('ffffffffffffffff');
    expect(hexLong(-(2n ** 63n))).toBe('8000000000000000');
  });

  it('permissions and ids as getAcl prints them', () => {
    expect(permString(31)).toBe('cdrwa');
    expect(permString(1 | 2)).toBe('rw');
    expect(permString(16 | 4)).toBe('ca');
    expect(permString(0)).toBe('');
    expect(formatId({ scheme: 'world', id: 'anyone' })).toBe("'world,'anyone\n");
    expect(formatId({ scheme: 'world', id: 'any,one}%' })).toBe("'world,'any%2Cone%7D%25\n");
    const warnings: string[] = [];
    expect(parsePerms('rwxa', (m) => warnings.push(m))).toBe(1 | 2 | 16);
    expect(warnings).toEqual(['Unknown perm type: x']);
  });

  it('watch events as WatchedEvent.toString prints them', () => {
    expect(formatEvent({ type: -1, state: 3, path: null, zxid: -1 })).toBe(
      'WatchedEvent state:SyncConnected type:None path:null zxid: -1',
    );
    expect(formatEvent({ type: 3, state: 3, path: '/x', zxid: 4294967298 })).toBe(
      'WatchedEvent state:SyncConnected type:NodeDataChanged path:/x zxid: 4294967298',
    );
    expect(formatEvent({ type: -1, state: -112, path: null, zxid: -1 })).toContain('state:Expired type:None');
  });

  it('errors as CliWrapperException words them', () => {
    expect(errorMessage(new ZkError(ErrorCode.NoNode, '/x'))).toBe('Node does not exist: /x');
    expect(errorMessage(new ZkError(ErrorCode.NodeExists, '/x'))).toBe('Node already exists: /x');
    expect(errorMessage(new ZkError(ErrorCode.NotEmpty, '/x'))).toBe('Node not empty: /x');
    expect(errorMessage(new ZkError(ErrorCode.BadVersion, '/x'))).toBe('version No is not valid : /x');
    expect(errorMessage(new ZkError(ErrorCode.NoAuth, '/x'))).toBe('Insufficient permission : /x');
    expect(errorMessage(new ZkError(ErrorCode.NoChildrenForEphemerals, '/x'))).toBe('Ephemerals cannot have children: /x');
    expect(errorMessage(new ZkError(ErrorCode.ConnectionLoss, '/x'))).toBe('KeeperErrorCode = ConnectionLoss for /x');
    expect(errorMessage(new ZkError(ErrorCode.SessionExpired))).toBe('KeeperErrorCode = Session expired');
  });

  it('paths the client refuses, with PathUtils wording', () => {
    expect(clientPathError('/a/b')).toBeNull();
    expect(clientPathError('/')).toBeNull();
    expect(clientPathError('')).toBe('Path length must be > 0');
    expect(clientPathError('a')).toBe('Path must start with / character');
    expect(clientPathError('/a/')).toBe('Path must not end with / character');
    expect(clientPathError('/a/', true)).toBeNull();
    expect(clientPathError('/a//b')).toBe('Invalid path string "/a//b" caused by empty node name specified @3');
    expect(clientPathError('/a/../b')).toBe('Invalid path string "/a/../b" caused by relative paths not allowed @4');
  });

  it('hex dumps as netty prints them for get -x', () => {
    const bytes = Buffer.from('hello, world! 0123456789\u0001');
    expect(hexDump(bytes)).toBe(
      [
        '         +-------------------------------------------------+',
        '         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |',
        '+--------+-------------------------------------------------+----------------+',
        '|00000000| 68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 20 30 31 |hello, world! 01|',
        '|00000010| 32 33 34 35 36 37 38 39 01                      |23456789.       |',
        '+--------+-------------------------------------------------+----------------+',
      ].join('\n'),
    );
    expect(hexDump(new Uint8Array(0))).toBe('');
  });
});
