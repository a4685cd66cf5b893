import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteReader, JuteWriter, UnknownOpcodeError } from '../../src/wire/jute.js';
import { OpCode, type Request, type Response, type Stat } from '../../src/wire/protocol.js';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeNotification,
  readAcl,
  readAclVector,
  readClientInfoVector,
  readReplyHeader,
  readRequestHeader,
  readStat,
  readWatcherEvent,
  writeAcl,
  writeAclVector,
  writeClientInfoVector,
  writeReplyHeader,
  writeRequestHeader,
  writeStat,
  writeWatcherEvent,
} from '../../src/wire/records.js';
import { decodeRequest, decodeRequestFrame, encodeRequest } from '../../src/wire/requests.js';
import { decodeReply, decodeResponse, encodeReply, responseKind } from '../../src/wire/responses.js';
import * as arb from './arbitraries.js';

/** The payload of a frame, after checking its length prefix. */
function payload(frame: Uint8Array): JuteReader {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  expect(b.readInt32BE(0)).toBe(frame.length - 4);
  return new JuteReader(frame, { offset: 4 });
}

function roundTrip<T>(write: (w: JuteWriter, v: T) => void, read: (r: JuteReader) => T) {
  return (v: T) => {
    const w = new JuteWriter(64);
    write(w, v);
    const r = new JuteReader(w.finish());
    expect(read(r)).toEqual(v);
    expect(r.remaining).toBe(0);
  };
}

describe('round trips of every record', () => {
  it('Stat', () => fc.assert(fc.property(arb.stat, roundTrip(writeStat, readStat))));
  it('ACL', () => fc.assert(fc.property(arb.acl, roundTrip(writeAcl, readAcl))));
  it('vector<ACL>', () => fc.assert(fc.property(arb.acls, roundTrip(writeAclVector, readAclVector))));
  it('vector<ClientInfo>', () =>
    fc.assert(
      fc.property(fc.array(arb.clientInfo, { maxLength: 4 }), roundTrip(writeClientInfoVector, readClientInfoVector)),
    ));
  it('RequestHeader', () => fc.assert(fc.property(arb.requestHeader, roundTrip(writeRequestHeader, readRequestHeader))));
  it('ReplyHeader', () => fc.assert(fc.property(arb.replyHeader, roundTrip(writeReplyHeader, readReplyHeader))));
  it('WatcherEvent', () => fc.assert(fc.property(arb.watcherEvent, roundTrip(writeWatcherEvent, readWatcherEvent))));

  it('ConnectRequest, short and long form', () =>
    fc.assert(
      fc.property(arb.connectRequest, (c) => {
        const frame = encodeConnectRequest(c);
        expect(frame.length).toBe(4 + 28 + c.passwd.length + (c.readOnly === undefined ? 0 : 1));
        expect(decodeConnectRequest(payload(frame))).toEqual(c);
      }),
    ));

  it('ConnectResponse, with readOnly only when requested', () =>
    fc.assert(
      fc.property(arb.connectResponse, (c) => {
        const frame = encodeConnectResponse(c);
        expect(frame.length).toBe(4 + 20 + c.passwd.length + (c.readOnly === undefined ? 0 : 1));
        expect(decodeConnectResponse(payload(frame))).toEqual(c);
      }),
    ));

  it('watch notifications', () =>
    fc.assert(
      fc.property(arb.watcherEvent, arb.long, (e, zxid) => {
        const r = payload(encodeNotification(e, zxid));
        expect(readReplyHeader(r)).toEqual({ xid: -1, zxid, err: 0 });
        expect(readWatcherEvent(r)).toEqual(e);
        expect(r.remaining).toBe(0);
      }),
    ));

  for (const [name, a] of Object.entries(arb.requestsByName)) {
    it(`request: ${name}`, () =>
      fc.assert(
        fc.property(arb.int32, a, (xid, req) => {
          const r = payload(encodeRequest({ xid, type: req.type }, req));
          const { header, request } = decodeRequestFrame(r);
          expect(header).toEqual({ xid, type: req.type });
          expect(request).toEqual(req);
          expect(r.remaining).toBe(0);
        }),
      ));
  }

  for (const [kind, { opcodes, arb: a }] of Object.entries(arb.responsesByKind)) {
    it(`response: ${kind}`, () =>
      fc.assert(
        fc.property(arb.replyHeader, fc.constantFrom(...opcodes), a, (h, opcode, res) => {
          const header = { ...h, err: 0 };
          expect(responseKind(opcode)).toBe(kind);
          const r = payload(encodeReply(header, res));
          expect(decodeReply(opcode, r)).toEqual({ header, response: res });
          expect(r.remaining).toBe(0);
        }),
      ));
  }

  it('replies with an error carry the header only', () =>
    fc.assert(
      fc.property(arb.replyHeader, arb.responseWithOpcode, (h, { opcode, response }) => {
        const header = { ...h, err: h.err === 0 ? -101 : h.err };
        const frame = encodeReply(header, response);
        expect(frame.length).toBe(4 + 16);
        expect(decodeReply(opcode, payload(frame))).toEqual({ header });
      }),
    ));
});

describe('opcodes', () => {
  it('an unknown request opcode is an UnknownOpcodeError carrying opcode and xid', () => {
    for (const type of [0, -1, -10, 10, 23, 99, 108, 1000]) {
      const w = new JuteWriter();
      writeRequestHeader(w, { xid: 42, type });
      const r = new JuteReader(w.finish());
      try {
        decodeRequestFrame(r);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(UnknownOpcodeError);
        expect((e as UnknownOpcodeError).opcode).toBe(type);
        expect((e as UnknownOpcodeError).xid).toBe(42);
      }
    }
  });

  it('deleteContainer carries only its path', () => {
    const frame = encodeRequest(
      { xid: 1, type: OpCode.deleteContainer },
      { type: OpCode.deleteContainer, path: '/c', version: 5 },
    );
    expect(Buffer.from(frame).toString('hex')).toBe('0000000e' + '00000001' + '00000014' + '00000002' + '2f63');
  });

  it('setWatches (v1) writes three lists only', () => {
    const req: Request = {
      type: OpCode.setWatches,
      relativeZxid: 1,
      dataWatches: ['/a'],
      existWatches: [],
      childWatches: [],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: [],
    };
    const r = payload(encodeRequest({ xid: -8, type: OpCode.setWatches }, req));
    readRequestHeader(r);
    expect(decodeRequest(OpCode.setWatches, r)).toEqual({ ...req, persistentWatches: [] });
  });

  it('rejects operations that cannot be part of a multi, both ways', () => {
    expect(() =>
      encodeRequest({ xid: 1, type: OpCode.multi }, { type: OpCode.multi, ops: [{ type: OpCode.sync, path: '/' }] }),
    ).toThrow('operation 9 cannot be part of a multi request');
    // MultiHeader {type sync, done false, err -1} + a path
    const bytes = Buffer.from('00000009' + '00' + 'ffffffff' + '000000012f', 'hex');
    expect(() => decodeRequest(OpCode.multi, new JuteReader(bytes))).toThrow(
      'invalid operation type 9 in multi request at offset 0',
    );
  });
});

// Byte layouts derived field by field from zookeeper.jute (and confirmed
// against the reference implementation's serializer).
describe('golden encodings', () => {
  const stat: Stat = {
    czxid: 0x100000002,
    mzxid: 0x100000003,
    ctime: 1700000000000,
    mtime: 1700000000123,
    version: 1,
    cversion: 2,
    aversion: 3,
    ephemeralOwner: 0x1000abcdn,
    dataLength: 3,
    numChildren: 0,
    pzxid: 0x100000004,
  };
  const statHex =
    '0000000100000002' + // czxid
    '0000000100000003' + // mzxid
    '0000018bcfe56800' + // ctime
    '0000018bcfe5687b' + // mtime
    '00000001' + // version
    '00000002' + // cversion
    '00000003' + // aversion
    '000000001000abcd' + // ephemeralOwner
    '00000003' + // dataLength
    '00000000' + // numChildren
    '0000000100000004'; // pzxid

  const frameHex = (body: string) => (body.length / 2).toString(16).padStart(8, '0') + body;
  const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

  it('ConnectRequest (long form)', () => {
    const body =
      '00000000' + // protocolVersion
      '0000000100000005' + // lastZxidSeen
      '00007530' + // timeOut 30000
      '1234567890abcdef' + // sessionId
      '00000004' + '01020304' + // passwd
      '00'; // readOnly
    const c = {
      protocolVersion: 0,
      lastZxidSeen: 0x100000005,
      timeOut: 30000,
      sessionId: 0x1234567890abcdefn,
      passwd: Uint8Array.of(1, 2, 3, 4),
      readOnly: false,
    };
    expect(hexOf(encodeConnectRequest(c))).toBe(frameHex(body));
    const short = body.slice(0, -2);
    expect(decodeConnectRequest(new JuteReader(Buffer.from(short, 'hex')))).toEqual({ ...c, readOnly: undefined });
  });

  it('ConnectResponse with readOnly', () => {
    const body = '00000000' + '00000fa0' + '0100000abcd00001' + '00000002' + '0908' + '01';
    const c = {
      protocolVersion: 0,
      timeOut: 4000,
      sessionId: 0x0100000abcd00001n,
      passwd: Uint8Array.of(9, 8),
      readOnly: true,
    };
    expect(hexOf(encodeConnectResponse(c))).toBe(frameHex(body));
  });

  it('Create2Response with its Stat', () => {
    const body = '00000007' + '0000000100000003' + '00000000' + '00000002' + '2f61' + statHex;
    const frame = encodeReply({ xid: 7, zxid: 0x100000003, err: 0 }, { kind: 'create2', path: '/a', stat });
    expect(hexOf(frame)).toBe(frameHex(body));
  });

  it('GetDataResponse', () => {
    const body = '00000003' + '0000000000000005' + '00000000' + '00000002' + '6869' + statHex;
    const res: Response = { kind: 'data', data: Buffer.from('hi'), stat };
    expect(hexOf(encodeReply({ xid: 3, zxid: 5, err: 0 }, res))).toBe(frameHex(body));
  });

  it('a failed multi: error results, then the terminating header', () => {
    const body =
      '00000008' + '0000000100000009' + '00000000' + // ReplyHeader: err 0 even though an op failed
      'ffffffff' + '00' + '00000000' + '00000000' + // error result: Ok (before the failure)
      'ffffffff' + '00' + 'ffffff9b' + 'ffffff9b' + // error result: NoNode
      'ffffffff' + '00' + 'fffffffe' + 'fffffffe' + // error result: RuntimeInconsistency (after it)
      'ffffffff' + '01' + 'ffffffff'; // done
    const res: Response = {
      kind: 'multi',
      results: [
        { type: OpCode.error, err: 0 },
        { type: OpCode.error, err: -101 },
        { type: OpCode.error, err: -2 },
      ],
    };
    const frame = encodeReply({ xid: 8, zxid: 0x100000009, err: 0 }, res);
    expect(hexOf(frame)).toBe(frameHex(body));
    expect(decodeReply(OpCode.multi, payload(frame)).response).toEqual(res);
  });

  it('a successful multi response', () => {
    const body =
      '00000001' + '00' + '00000000' + '00000002' + '2f62' + // create
      '00000002' + '00' + '00000000' + // delete
      '00000005' + '00' + '00000000' + statHex + // setData
      '0000000d' + '00' + '00000000' + // check
      'ffffffff' + '01' + 'ffffffff';
    const res: Response = {
      kind: 'multi',
      results: [
        { type: OpCode.create, path: '/b' },
        { type: OpCode.delete },
        { type: OpCode.setData, stat },
        { type: OpCode.check },
      ],
    };
    const w = new JuteWriter();
    expect(decodeResponse(OpCode.multi, new JuteReader(Buffer.from(body, 'hex')))).toEqual(res);
    const frame = encodeReply({ xid: 1, zxid: 1, err: 0 }, res, w);
    expect(hexOf(frame).slice(8 + 32)).toBe(body);
  });

  it('a multi request', () => {
    const openAcl = '00000001' + '0000001f' + '00000005' + '776f726c64' + '00000006' + '616e796f6e65';
    const body =
      '00000009' + '0000000e' + // RequestHeader
      '00000001' + '00' + 'ffffffff' + '00000002' + '2f62' + '00000001' + '41' + openAcl + '00000003' +
      '00000002' + '00' + 'ffffffff' + '00000002' + '2f63' + '00000003' +
      '0000000d' + '00' + 'ffffffff' + '00000002' + '2f64' + 'ffffffff' +
      '00000005' + '00' + 'ffffffff' + '00000002' + '2f65' + 'ffffffff' + '00000002' +
      'ffffffff' + '01' + 'ffffffff';
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const req: Request = {
      type: OpCode.multi,
      ops: [
        { type: OpCode.create, path: '/b', data: Uint8Array.of(0x41), acl, flags: 3 },
        { type: OpCode.delete, path: '/c', version: 3 },
        { type: OpCode.check, path: '/d', version: -1 },
        { type: OpCode.setData, path: '/e', data: null, version: 2 },
      ],
    };
    const frame = encodeRequest({ xid: 9, type: OpCode.multi }, req);
    expect(hexOf(frame)).toBe(frameHex(body));
    expect(decodeRequestFrame(payload(frame)).request).toEqual(req);
  });

  it('CreateTTLRequest, setWatches2, auth packet, notification, WhoAmIResponse', () => {
    const openAcl = '00000001' + '0000001f' + '00000005' + '776f726c64' + '00000006' + '616e796f6e65';
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    expect(
      hexOf(
        encodeRequest(
          { xid: 4, type: OpCode.createTTL },
          { type: OpCode.createTTL, path: '/t', data: null, acl, flags: 5, ttl: 60000 },
        ),
      ),
    ).toBe(frameHex('00000004' + '00000015' + '00000002' + '2f74' + 'ffffffff' + openAcl + '00000005' + '000000000000ea60'));

    expect(
      hexOf(
        encodeRequest(
          { xid: -8, type: OpCode.setWatches2 },
          {
            type: OpCode.setWatches2,
            relativeZxid: 0x20,
            dataWatches: ['/a'],
            existWatches: [],
            childWatches: ['/b', '/c'],
            persistentWatches: [],
            persistentRecursiveWatches: ['/'],
          },
        ),
      ),
    ).toBe(
      frameHex(
        'fffffff8' + '00000069' + '0000000000000020' +
          '00000001' + '00000002' + '2f61' +
          '00000000' +
          '00000002' + '00000002' + '2f62' + '00000002' + '2f63' +
          '00000000' +
          '00000001' + '00000001' + '2f',
      ),
    );

    expect(
      hexOf(
        encodeRequest(
          { xid: -4, type: OpCode.auth },
          { type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('u:p') },
        ),
      ),
    ).toBe(frameHex('fffffffc' + '00000064' + '00000000' + '00000006' + '646967657374' + '00000003' + '753a70'));

    expect(hexOf(encodeNotification({ type: 3, state: 3, path: '/x' }, 0x10000000a))).toBe(
      frameHex('ffffffff' + '000000010000000a' + '00000000' + '00000003' + '00000003' + '00000002' + '2f78'),
    );

    const who = encodeReply(
      { xid: 1, zxid: 0, err: 0 },
      { kind: 'whoAmI', clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] },
    );
    expect(hexOf(who).slice(8 + 32)).toBe('00000001' + '00000002' + '6970' + '00000009' + '3132372e302e302e31');
  });
});
