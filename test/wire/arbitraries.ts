// fast-check arbitraries for every record of the client protocol. Values are
// drawn so that a round trip through the codec is exact: numbers that jute
// carries as longs stay within ±(2^53-1), and fields the wire cannot carry
// (setWatches' persistent lists, deleteContainer's version) take the value
// the decoder produces.

import fc from 'fast-check';
import {
  OpCode,
  type ACL,
  type ClientInfo,
  type ConnectRequest,
  type ConnectResponse,
  type OpResult,
  type ReplyHeader,
  type Request,
  type RequestHeader,
  type Response,
  type Stat,
  type WatcherEvent,
} from '../../src/wire/protocol.js';

export const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
export const long = fc.maxSafeInteger();
export const bigLong = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
export const str = fc.string({ unit: 'binary', maxLength: 24 });
export const nullableStr = fc.option(str, { nil: null });
export const bytes = fc.uint8Array({ maxLength: 48 });
export const nullableBytes = fc.option(bytes, { nil: null });
export const strings = fc.array(str, { maxLength: 5 });

export const stat: fc.Arbitrary<Stat> = fc.record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int32,
  cversion: int32,
  aversion: int32,
  ephemeralOwner: bigLong,
  dataLength: int32,
  numChildren: int32,
  pzxid: long,
});

export const acl: fc.Arbitrary<ACL> = fc.record({ perms: int32, id: fc.record({ scheme: str, id: str }) });
export const acls = fc.array(acl, { maxLength: 4 });
export const clientInfo: fc.Arbitrary<ClientInfo> = fc.record({ authScheme: str, user: str });

export const connectRequest: fc.Arbitrary<ConnectRequest> = fc.record(
  { protocolVersion: int32, lastZxidSeen: long, timeOut: int32, sessionId: bigLong, passwd: bytes, readOnly: fc.boolean() },
  { requiredKeys: ['protocolVersion', 'lastZxidSeen', 'timeOut', 'sessionId', 'passwd'] },
);
export const connectResponse: fc.Arbitrary<ConnectResponse> = fc.record(
  { protocolVersion: int32, timeOut: int32, sessionId: bigLong, passwd: bytes, readOnly: fc.boolean() },
  { requiredKeys: ['protocolVersion', 'timeOut', 'sessionId', 'passwd'] },
);
export const requestHeader: fc.Arbitrary<RequestHeader> = fc.record({ xid: int32, type: int32 });
export const replyHeader: fc.Arbitrary<ReplyHeader> = fc.record({ xid: int32, zxid: long, err: int32 });
export const watcherEvent: fc.Arbitrary<WatcherEvent> = fc.record({ type: int32, state: int32, path: str });

const createOp = fc.record({
  type: fc.constantFrom(OpCode.create, OpCode.create2, OpCode.createContainer),
  path: str,
  data: nullableBytes,
  acl: acls,
  flags: int32,
});
const createTTLOp = fc.record({
  type: fc.constant(OpCode.createTTL),
  path: str,
  data: nullableBytes,
  acl: acls,
  flags: int32,
  ttl: long,
});
const deleteOp = fc.record({ type: fc.constant(OpCode.delete), path: str, version: int32 });
const setDataOp = fc.record({ type: fc.constant(OpCode.setData), path: str, data: nullableBytes, version: int32 });
const checkOp = fc.record({ type: fc.constant(OpCode.check), path: str, version: int32 });
const readOp = fc.record({
  type: fc.constantFrom(OpCode.getData, OpCode.getChildren),
  path: str,
  watch: fc.boolean(),
});

/** Operations a multi / multiRead may carry. */
export const multiOp: fc.Arbitrary<Request> = fc.oneof(createOp, createTTLOp, deleteOp, setDataOp, checkOp, readOp);

/** Every request kind, keyed by a short name (so tests can check each is drawn). */
export const requestsByName: Record<string, fc.Arbitrary<Request>> = {
  create: createOp,
  createTTL: createTTLOp,
  delete: deleteOp,
  deleteContainer: fc.record({ type: fc.constant(OpCode.deleteContainer), path: str, version: fc.constant(-1) }),
  pathWatch: fc.record({
    type: fc.constantFrom(OpCode.exists, OpCode.getData, OpCode.getChildren, OpCode.getChildren2),
    path: str,
    watch: fc.boolean(),
  }),
  setData: setDataOp,
  path: fc.record({
    type: fc.constantFrom(OpCode.getACL, OpCode.sync, OpCode.getAllChildrenNumber),
    path: str,
  }),
  setACL: fc.record({ type: fc.constant(OpCode.setACL), path: str, acl: acls, version: int32 }),
  check: checkOp,
  multi: fc.record({
    type: fc.constantFrom(OpCode.multi, OpCode.multiRead),
    ops: fc.array(multiOp, { maxLength: 5 }),
  }),
  reconfig: fc.record({
    type: fc.constant(OpCode.reconfig),
    joiningServers: nullableStr,
    leavingServers: nullableStr,
    newMembers: nullableStr,
    curConfigId: long,
  }),
  watches: fc.record({
    type: fc.constantFrom(OpCode.checkWatches, OpCode.removeWatches),
    path: str,
    watcherType: int32,
  }),
  auth: fc.record({ type: fc.constant(OpCode.auth), authType: int32, scheme: str, auth: nullableBytes }),
  setWatches: fc.record({
    type: fc.constant(OpCode.setWatches),
    relativeZxid: long,
    dataWatches: strings,
    existWatches: strings,
    childWatches: strings,
    persistentWatches: fc.constant([]),
    persistentRecursiveWatches: fc.constant([]),
  }),
  setWatches2: fc.record({
    type: fc.constant(OpCode.setWatches2),
    relativeZxid: long,
    dataWatches: strings,
    existWatches: strings,
    childWatches: strings,
    persistentWatches: strings,
    persistentRecursiveWatches: strings,
  }),
  getEphemerals: fc.record({ type: fc.constant(OpCode.getEphemerals), prefixPath: str }),
  addWatch: fc.record({ type: fc.constant(OpCode.addWatch), path: str, mode: int32 }),
  sasl: fc.record({ type: fc.constant(OpCode.sasl), token: nullableBytes }),
  empty: fc.record({ type: fc.constantFrom(OpCode.ping, OpCode.closeSession, OpCode.whoAmI) }),
} as unknown as Record<string, fc.Arbitrary<Request>>;

export const request: fc.Arbitrary<Request> = fc.oneof(...Object.values(requestsByName));

export const opResult: fc.Arbitrary<OpResult> = fc.oneof(
  fc.record({ type: fc.constant(OpCode.create), path: str }),
  fc.record({ type: fc.constant(OpCode.create2), path: str, stat }),
  fc.record({ type: fc.constantFrom(OpCode.delete, OpCode.check) }),
  fc.record({ type: fc.constant(OpCode.setData), stat }),
  fc.record({ type: fc.constant(OpCode.getChildren), children: strings }),
  fc.record({ type: fc.constant(OpCode.getData), data: nullableBytes, stat }),
  fc.record({ type: fc.constant(OpCode.error), err: int32 }),
) as fc.Arbitrary<OpResult>;

/** Every response kind, with the opcodes whose successful reply carries it. */
export const responsesByKind: Record<Response['kind'], { opcodes: number[]; arb: fc.Arbitrary<Response> }> = {
  empty: {
    opcodes: [
      OpCode.delete,
      OpCode.deleteContainer,
      OpCode.ping,
      OpCode.closeSession,
      OpCode.checkWatches,
      OpCode.removeWatches,
      OpCode.setWatches,
      OpCode.setWatches2,
      OpCode.auth,
    ],
    arb: fc.constant({ kind: 'empty' }),
  },
  create: { opcodes: [OpCode.create], arb: fc.record({ kind: fc.constant('create'), path: str }) },
  create2: {
    opcodes: [OpCode.create2, OpCode.createTTL, OpCode.createContainer],
    arb: fc.record({ kind: fc.constant('create2'), path: str, stat }),
  },
  stat: {
    opcodes: [OpCode.exists, OpCode.setData, OpCode.setACL, OpCode.check],
    arb: fc.record({ kind: fc.constant('stat'), stat }),
  },
  data: {
    opcodes: [OpCode.getData, OpCode.reconfig],
    arb: fc.record({ kind: fc.constant('data'), data: nullableBytes, stat }),
  },
  children: { opcodes: [OpCode.getChildren], arb: fc.record({ kind: fc.constant('children'), children: strings }) },
  children2: {
    opcodes: [OpCode.getChildren2],
    arb: fc.record({ kind: fc.constant('children2'), children: strings, stat }),
  },
  acl: { opcodes: [OpCode.getACL], arb: fc.record({ kind: fc.constant('acl'), acl: acls, stat }) },
  path: { opcodes: [OpCode.sync], arb: fc.record({ kind: fc.constant('path'), path: str }) },
  ephemerals: {
    opcodes: [OpCode.getEphemerals],
    arb: fc.record({ kind: fc.constant('ephemerals'), ephemerals: strings }),
  },
  count: {
    opcodes: [OpCode.getAllChildrenNumber],
    arb: fc.record({ kind: fc.constant('count'), totalNumber: int32 }),
  },
  whoAmI: {
    opcodes: [OpCode.whoAmI],
    arb: fc.record({ kind: fc.constant('whoAmI'), clientInfo: fc.array(clientInfo, { maxLength: 3 }) }),
  },
  sasl: { opcodes: [OpCode.sasl], arb: fc.record({ kind: fc.constant('sasl'), token: nullableBytes }) },
  multi: {
    opcodes: [OpCode.multi, OpCode.multiRead],
    arb: fc.record({ kind: fc.constant('multi'), results: fc.array(opResult, { maxLength: 5 }) }),
  },
  error: { opcodes: [OpCode.addWatch], arb: fc.record({ kind: fc.constant('error'), err: int32 }) },
} as Record<Response['kind'], { opcodes: number[]; arb: fc.Arbitrary<Response> }>;

/** A response together with an opcode whose reply carries it. */
export const responseWithOpcode: fc.Arbitrary<{ opcode: number; response: Response }> = fc.oneof(
  ...Object.values(responsesByKind).map(({ opcodes, arb }) =>
    fc.record({ opcode: fc.constantFrom(...opcodes), response: arb }),
  ),
);
