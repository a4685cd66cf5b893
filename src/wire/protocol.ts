// ZooKeeper client protocol vocabulary: opcodes, error codes, watch event
// types, permissions, create modes, special xids and the shapes of the jute
// records that cross the client port. Values are ZooKeeper's own (they are
// wire facts); the record shapes are plain data, shared by the codec
// (src/wire), the pure cores (src/core) and the shells.
//
// Conventions:
// - zxids, times and versions are JS numbers (zxids stay below 2^53: epochs
//   below 2^21); session ids and ephemeral owners are bigint (full 64 bits).
// - byte payloads are Uint8Array (a Buffer is one); `null` stands for a jute
//   buffer or string written with length -1.

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCodeName = keyof typeof OpCode;
export type OpCodeValue = (typeof OpCode)[OpCodeName];

export const ErrorCode = {
  OK: 0,
  SystemError: -1,
  RuntimeInconsistency: -2,
  DataInconsistency: -3,
  ConnectionLoss: -4,
  MarshallingError: -5,
  Unimplemented: -6,
  OperationTimeout: -7,
  BadArguments: -8,
  UnknownSession: -12,
  NewConfigNoQuorum: -13,
  ReconfigInProgress: -14,
  APIError: -100,
  NoNode: -101,
  NoAuth: -102,
  BadVersion: -103,
  NoChildrenForEphemerals: -108,
  NodeExists: -110,
  NotEmpty: -111,
  SessionExpired: -112,
  InvalidCallback: -113,
  InvalidACL: -114,
  AuthFailed: -115,
  SessionMoved: -118,
  NotReadOnly: -119,
  EphemeralOnLocalSession: -120,
  NoWatcher: -121,
  RequestTimeout: -122,
  ReconfigDisabled: -123,
  SessionClosedRequireSaslAuth: -124,
  QuotaExceeded: -125,
  Throttled: -127,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

const errorNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
/** The name of an error code (`NoNode` for -101), or `Unknown(<code>)`. */
export function errorName(code: number): string {
  return errorNames.get(code) ?? `Unknown(${code})`;
}

const opNames = new Map<number, string>(Object.entries(OpCode).map(([k, v]) => [v, k]));
/** The name of an opcode (`getData` for 4), or `unknown(<code>)`. */
export function opName(code: number): string {
  return opNames.get(code) ?? `unknown(${code})`;
}

/** Watcher.Event.EventType */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

/** Watcher.Event.KeeperState */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** Watcher.WatcherType, used by checkWatches / removeWatches. */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
  Persistent: 4,
  PersistentRecursive: 5,
} as const;

/** AddWatchMode, used by addWatch. */
export const AddWatchMode = {
  Persistent: 0,
  PersistentRecursive: 1,
} as const;

/** ZooDefs.Perms */
export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

/** CreateMode flag values of create requests. */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** Reserved xids of the client protocol. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** Default for `jute.maxbuffer` (bytes): the largest frame and the largest znode data. */
export const DEFAULT_JUTE_MAXBUFFER = 0xfffff;

// ---------------------------------------------------------------- records

export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export interface ClientInfo {
  authScheme: string;
  user: string;
}

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  /** absent in the short (pre-3.4) form of the handshake */
  readOnly?: boolean;
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  /** written only when the client's request carried the readOnly field */
  readOnly?: boolean;
}

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

// Requests, discriminated by opcode. Multi sub-operations use the same shapes.

export interface CreateRequest {
  type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer;
  path: string;
  data: Uint8Array | null;
  acl: ACL[];
  flags: number;
}
export interface CreateTTLRequest {
  type: typeof OpCode.createTTL;
  path: string;
  data: Uint8Array | null;
  acl: ACL[];
  flags: number;
  ttl: number;
}
export interface DeleteRequest {
  type: typeof OpCode.delete | typeof OpCode.deleteContainer;
  path: string;
  /** deleteContainer carries only its path on the wire; it decodes with version -1 */
  version: number;
}
export interface PathWatchRequest {
  type: typeof OpCode.exists | typeof OpCode.getData | typeof OpCode.getChildren | typeof OpCode.getChildren2;
  path: string;
  watch: boolean;
}
export interface SetDataRequest {
  type: typeof OpCode.setData;
  path: string;
  data: Uint8Array | null;
  version: number;
}
export interface PathRequest {
  type: typeof OpCode.getACL | typeof OpCode.sync | typeof OpCode.getAllChildrenNumber;
  path: string;
}
export interface SetACLRequest {
  type: typeof OpCode.setACL;
  path: string;
  acl: ACL[];
  version: number;
}
export interface CheckVersionRequest {
  type: typeof OpCode.check;
  path: string;
  version: number;
}
export interface MultiRequest {
  type: typeof OpCode.multi | typeof OpCode.multiRead;
  ops: Request[];
}
export interface ReconfigRequest {
  type: typeof OpCode.reconfig;
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  curConfigId: number;
}
export interface WatchesRequest {
  type: typeof OpCode.checkWatches | typeof OpCode.removeWatches;
  path: string;
  watcherType: number;
}
export interface AuthRequest {
  type: typeof OpCode.auth;
  authType: number;
  scheme: string;
  auth: Uint8Array | null;
}
export interface SetWatchesRequest {
  type: typeof OpCode.setWatches | typeof OpCode.setWatches2;
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  /** setWatches2 only */
  persistentWatches: string[];
  /** setWatches2 only */
  persistentRecursiveWatches: string[];
}
export interface GetEphemeralsRequest {
  type: typeof OpCode.getEphemerals;
  prefixPath: string;
}
export interface AddWatchRequest {
  type: typeof OpCode.addWatch;
  path: string;
  mode: number;
}
export interface SaslRequest {
  type: typeof OpCode.sasl;
  token: Uint8Array | null;
}
export interface EmptyRequest {
  type: typeof OpCode.ping | typeof OpCode.closeSession | typeof OpCode.whoAmI;
}

export type Request =
  | CreateRequest
  | CreateTTLRequest
  | DeleteRequest
  | PathWatchRequest
  | SetDataRequest
  | PathRequest
  | SetACLRequest
  | CheckVersionRequest
  | MultiRequest
  | ReconfigRequest
  | WatchesRequest
  | AuthRequest
  | SetWatchesRequest
  | GetEphemeralsRequest
  | AddWatchRequest
  | SaslRequest
  | EmptyRequest;

// Responses, discriminated by `kind` (the jute record that carries them).
// A reply whose header has a non-zero err carries no body.

export type Response =
  | { kind: 'empty' }
  | { kind: 'create'; path: string } // CreateResponse
  | { kind: 'create2'; path: string; stat: Stat } // Create2Response
  | { kind: 'stat'; stat: Stat } // ExistsResponse, SetDataResponse, SetACLResponse
  | { kind: 'data'; data: Uint8Array | null; stat: Stat } // GetDataResponse
  | { kind: 'children'; children: string[] } // GetChildrenResponse
  | { kind: 'children2'; children: string[]; stat: Stat } // GetChildren2Response
  | { kind: 'acl'; acl: ACL[]; stat: Stat } // GetACLResponse
  | { kind: 'path'; path: string } // SyncResponse
  | { kind: 'ephemerals'; ephemerals: string[] } // GetEphemeralsResponse
  | { kind: 'count'; totalNumber: number } // GetAllChildrenNumberResponse
  | { kind: 'whoAmI'; clientInfo: ClientInfo[] } // WhoAmIResponse
  | { kind: 'sasl'; token: Uint8Array | null } // SetSASLResponse
  | { kind: 'multi'; results: OpResult[] } // MultiResponse
  | { kind: 'error'; err: number }; // ErrorResponse: the body of an addWatch reply (err 0)

/** One result of a multi / multiRead, as MultiResponse carries it. */
export type OpResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete }
  | { type: typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.getData; data: Uint8Array | null; stat: Stat }
  | { type: typeof OpCode.error; err: number };
