// Request records by opcode, and multi/multiRead framing: each operation is a
// MultiHeader {type, done=false, err=-1} followed by the operation's request
// record, and the list ends with MultiHeader {-1, true, -1}.

import { JuteError, JuteReader, JuteWriter, UnknownOpcodeError } from './jute.js';
import { readAclVector, readRequestHeader, sharedWriter, writeAclVector, writeRequestHeader } from './records.js';
import { OpCode, type Request, type RequestHeader } from './protocol.js';

/** Opcodes that may appear inside a multi or multiRead request. */
export const MULTI_OP_TYPES: ReadonlySet<number> = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.setData,
  OpCode.check,
  OpCode.getChildren,
  OpCode.getData,
]);

/** Writes the record of a request (no header). Requests without a body write nothing. */
export function writeRequestBody(w: JuteWriter, req: Request): void {
  switch (req.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      w.writeUstring(req.path);
      w.writeBuffer(req.data);
      writeAclVector(w, req.acl);
      w.writeInt(req.flags);
      return;
    case OpCode.createTTL:
      w.writeUstring(req.path);
      w.writeBuffer(req.data);
      writeAclVector(w, req.acl);
      w.writeInt(req.flags);
      w.writeLong(req.ttl);
      return;
    case OpCode.delete:
      w.writeUstring(req.path);
      w.writeInt(req.version);
      return;
    case OpCode.deleteContainer:
      // DeleteContainerRequest: the path as a buffer, which is a ustring's layout
      w.writeUstring(req.path);
      return;
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      w.writeUstring(req.path);
      w.writeBool(req.watch);
      return;
    case OpCode.setData:
      w.writeUstring(req.path);
      w.writeBuffer(req.data);
      w.writeInt(req.version);
      return;
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
      w.writeUstring(req.path);
      return;
    case OpCode.setACL:
      w.writeUstring(req.path);
      writeAclVector(w, req.acl);
      w.writeInt(req.version);
      return;
    case OpCode.check:
      w.writeUstring(req.path);
      w.writeInt(req.version);
      return;
    case OpCode.multi:
    case OpCode.multiRead:
      for (const op of req.ops) {
        if (!MULTI_OP_TYPES.has(op.type)) {
          throw new JuteError(`operation ${op.type} cannot be part of a multi request`);
        }
        w.writeInt(op.type);
        w.writeBool(false);
        w.writeInt(-1);
        writeRequestBody(w, op);
      }
      w.writeInt(-1);
      w.writeBool(true);
      w.writeInt(-1);
      return;
    case OpCode.reconfig:
      w.writeUstring(req.joiningServers);
      w.writeUstring(req.leavingServers);
      w.writeUstring(req.newMembers);
      w.writeLong(req.curConfigId);
      return;
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      w.writeUstring(req.path);
      w.writeInt(req.watcherType);
      return;
    case OpCode.auth:
      w.writeInt(req.authType);
      w.writeUstring(req.scheme);
      w.writeBuffer(req.auth);
      return;
    case OpCode.setWatches:
      w.writeLong(req.relativeZxid);
      w.writeStringVector(req.dataWatches);
      w.writeStringVector(req.existWatches);
      w.writeStringVector(req.childWatches);
      return;
    case OpCode.setWatches2:
      w.writeLong(req.relativeZxid);
      w.writeStringVector(req.dataWatches);
      w.writeStringVector(req.existWatches);
      w.writeStringVector(req.childWatches);
      w.writeStringVector(req.persistentWatches);
      w.writeStringVector(req.persistentRecursiveWatches);
      return;
    case OpCode.getEphemerals:
      w.writeUstring(req.prefixPath);
      return;
    case OpCode.addWatch:
      w.writeUstring(req.path);
      w.writeInt(req.mode);
      return;
    case OpCode.sasl:
      w.writeBuffer(req.token);
      return;
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.whoAmI:
      return;
    default: {
      const never: never = req;
      throw new UnknownOpcodeError((never as { type: number }).type);
    }
  }
}

/** Writes RequestHeader + request record (unframed). */
export function writeRequest(w: JuteWriter, header: RequestHeader, req: Request): void {
  writeRequestHeader(w, header);
  writeRequestBody(w, req);
}

/** Appends a framed request to `w` without finishing it (for batching several frames). */
export function writeRequestFrame(w: JuteWriter, header: RequestHeader, req: Request): void {
  const mark = w.beginFrame();
  try {
    writeRequest(w, header, req);
  } catch (e) {
    w.rewind(mark);
    throw e;
  }
  w.endFrame(mark);
}

/** A framed request: 4-byte length, RequestHeader, request record. */
export function encodeRequest(header: RequestHeader, req: Request, w: JuteWriter = sharedWriter): Uint8Array {
  writeRequestFrame(w, header, req);
  return w.finish();
}

function readMulti(type: typeof OpCode.multi | typeof OpCode.multiRead, r: JuteReader): Request {
  const ops: Request[] = [];
  for (;;) {
    const at = r.offset;
    const opType = r.readInt();
    const done = r.readBool();
    r.readInt(); // err: -1 in requests
    if (done) break;
    if (!MULTI_OP_TYPES.has(opType)) {
      throw new JuteError(`invalid operation type ${opType} in multi request at offset ${at}`);
    }
    ops.push(decodeRequest(opType, r));
  }
  return { type, ops };
}

/**
 * Reads the record of a request of the given opcode (the header has been
 * read). Throws UnknownOpcodeError for an opcode that is not a client request
 * (including notification, error and createSession), JuteError for a
 * malformed record. A standalone `check` decodes too: whether to serve it is
 * the server's decision (ZooKeeper answers Unimplemented).
 */
export function decodeRequest(type: number, r: JuteReader): Request {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const path = r.readString();
      const data = r.readBuffer();
      const acl = readAclVector(r);
      const flags = r.readInt();
      return { type, path, data, acl, flags };
    }
    case OpCode.createTTL: {
      const path = r.readString();
      const data = r.readBuffer();
      const acl = readAclVector(r);
      const flags = r.readInt();
      const ttl = r.readLong();
      return { type, path, data, acl, flags, ttl };
    }
    case OpCode.delete: {
      const path = r.readString();
      const version = r.readInt();
      return { type, path, version };
    }
    case OpCode.deleteContainer:
      return { type, path: r.readString(), version: -1 };
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      const path = r.readString();
      const watch = r.readBool();
      return { type, path, watch };
    }
    case OpCode.setData: {
      const path = r.readString();
      const data = r.readBuffer();
      const version = r.readInt();
      return { type, path, data, version };
    }
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
      return { type, path: r.readString() };
    case OpCode.setACL: {
      const path = r.readString();
      const acl = readAclVector(r);
      const version = r.readInt();
      return { type, path, acl, version };
    }
    case OpCode.check: {
      const path = r.readString();
      const version = r.readInt();
      return { type, path, version };
    }
    case OpCode.multi:
    case OpCode.multiRead:
      return readMulti(type, r);
    case OpCode.reconfig: {
      const joiningServers = r.readUstring();
      const leavingServers = r.readUstring();
      const newMembers = r.readUstring();
      const curConfigId = r.readLong();
      return { type, joiningServers, leavingServers, newMembers, curConfigId };
    }
    case OpCode.checkWatches:
    case OpCode.removeWatches: {
      const path = r.readString();
      const watcherType = r.readInt();
      return { type, path, watcherType };
    }
    case OpCode.auth: {
      const authType = r.readInt();
      const scheme = r.readString();
      const auth = r.readBuffer();
      return { type, authType, scheme, auth };
    }
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const relativeZxid = r.readLong();
      const dataWatches = r.readStringVector('dataWatches');
      const existWatches = r.readStringVector('existWatches');
      const childWatches = r.readStringVector('childWatches');
      const v2 = type === OpCode.setWatches2;
      const persistentWatches = v2 ? r.readStringVector('persistentWatches') : [];
      const persistentRecursiveWatches = v2 ? r.readStringVector('persistentRecursiveWatches') : [];
      return {
        type,
        relativeZxid,
        dataWatches,
        existWatches,
        childWatches,
        persistentWatches,
        persistentRecursiveWatches,
      };
    }
    case OpCode.getEphemerals:
      return { type, prefixPath: r.readString() };
    case OpCode.addWatch: {
      const path = r.readString();
      const mode = r.readInt();
      return { type, path, mode };
    }
    case OpCode.sasl:
      return { type, token: r.readBuffer() };
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.whoAmI:
      return { type };
    default:
      throw new UnknownOpcodeError(type);
  }
}

/**
 * Reads a whole request frame payload: header, then the record. An
 * UnknownOpcodeError carries the request's xid, for the reply.
 */
export function decodeRequestFrame(r: JuteReader): { header: RequestHeader; request: Request } {
  const header = readRequestHeader(r);
  try {
    return { header, request: decodeRequest(header.type, r) };
  } catch (e) {
    if (e instanceof UnknownOpcodeError) e.xid = header.xid;
    throw e;
  }
}
