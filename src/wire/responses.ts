// Response records and replies. A reply is a ReplyHeader followed by the
// response record of the request's opcode; a reply whose header carries a
// non-zero err has no record (ZooKeeper clients read none).

import { JuteError, JuteReader, JuteWriter, UnknownOpcodeError } from './jute.js';
import {
  readAclVector,
  readClientInfoVector,
  readReplyHeader,
  readStat,
  sharedWriter,
  writeAclVector,
  writeClientInfoVector,
  writeReplyHeader,
  writeStat,
} from './records.js';
import { OpCode, type OpResult, type ReplyHeader, type Response } from './protocol.js';

const EMPTY: Response = Object.freeze({ kind: 'empty' }) as Response;

function writeMultiResults(w: JuteWriter, results: readonly OpResult[]): void {
  for (const res of results) {
    w.writeInt(res.type);
    w.writeBool(false);
    w.writeInt(res.type === OpCode.error ? res.err : 0);
    switch (res.type) {
      case OpCode.create:
        w.writeUstring(res.path);
        break;
      case OpCode.create2:
        w.writeUstring(res.path);
        writeStat(w, res.stat);
        break;
      case OpCode.delete:
      case OpCode.check:
        break;
      case OpCode.setData:
        writeStat(w, res.stat);
        break;
      case OpCode.getChildren:
        w.writeStringVector(res.children);
        break;
      case OpCode.getData:
        w.writeBuffer(res.data);
        writeStat(w, res.stat);
        break;
      case OpCode.error:
        w.writeInt(res.err);
        break;
      default: {
        const never: never = res;
        throw new JuteError(`invalid result type ${(never as { type: number }).type} in multi response`);
      }
    }
  }
  w.writeInt(-1);
  w.writeBool(true);
  w.writeInt(-1);
}

function readMultiResults(r: JuteReader): OpResult[] {
  const results: OpResult[] = [];
  for (;;) {
    const at = r.offset;
    const type = r.readInt();
    const done = r.readBool();
    r.readInt(); // err: repeated in the ErrorResponse body, which is what counts
    if (done) return results;
    switch (type) {
      case OpCode.create:
        results.push({ type, path: r.readString() });
        break;
      case OpCode.create2: {
        const path = r.readString();
        results.push({ type, path, stat: readStat(r) });
        break;
      }
      case OpCode.delete:
      case OpCode.check:
        results.push({ type });
        break;
      case OpCode.setData:
        results.push({ type, stat: readStat(r) });
        break;
      case OpCode.getChildren:
        results.push({ type, children: r.readStringVector('children') });
        break;
      case OpCode.getData: {
        const data = r.readBuffer();
        results.push({ type, data, stat: readStat(r) });
        break;
      }
      case OpCode.error:
        results.push({ type, err: r.readInt() });
        break;
      default:
        throw new JuteError(`invalid result type ${type} in multi response at offset ${at}`);
    }
  }
}

/** Writes the record of a response (no header). */
export function writeResponseBody(w: JuteWriter, res: Response): void {
  switch (res.kind) {
    case 'empty':
      return;
    case 'create':
    case 'path':
      w.writeUstring(res.path);
      return;
    case 'create2':
      w.writeUstring(res.path);
      writeStat(w, res.stat);
      return;
    case 'stat':
      writeStat(w, res.stat);
      return;
    case 'data':
      w.writeBuffer(res.data);
      writeStat(w, res.stat);
      return;
    case 'children':
      w.writeStringVector(res.children);
      return;
    case 'children2':
      w.writeStringVector(res.children);
      writeStat(w, res.stat);
      return;
    case 'acl':
      writeAclVector(w, res.acl);
      writeStat(w, res.stat);
      return;
    case 'ephemerals':
      w.writeStringVector(res.ephemerals);
      return;
    case 'count':
      w.writeInt(res.totalNumber);
      return;
    case 'whoAmI':
      writeClientInfoVector(w, res.clientInfo);
      return;
    case 'sasl':
      w.writeBuffer(res.token);
      return;
    case 'multi':
      writeMultiResults(w, res.results);
      return;
    case 'error':
      w.writeInt(res.err);
      return;
    default: {
      const never: never = res;
      throw new JuteError(`unknown response kind ${(never as { kind: string }).kind}`);
    }
  }
}

/** Writes ReplyHeader + response record (unframed); the record only when err is 0. */
export function writeReply(w: JuteWriter, header: ReplyHeader, res?: Response): void {
  writeReplyHeader(w, header);
  if (header.err === 0 && res !== undefined) writeResponseBody(w, res);
}

/** Appends a framed reply to `w` without finishing it (for batching several frames). */
export function writeReplyFrame(w: JuteWriter, header: ReplyHeader, res?: Response): void {
  const mark = w.beginFrame();
  try {
    writeReply(w, header, res);
  } catch (e) {
    w.rewind(mark);
    throw e;
  }
  w.endFrame(mark);
}

/**
 * A framed reply: 4-byte length, ReplyHeader and, when err is 0 and a
 * response is given, its record.
 */
export function encodeReply(header: ReplyHeader, res?: Response, w: JuteWriter = sharedWriter): Uint8Array {
  writeReplyFrame(w, header, res);
  return w.finish();
}

/** The response record kind a successful reply to `opcode` carries. */
export function responseKind(opcode: number): Response['kind'] {
  switch (opcode) {
    case OpCode.create:
      return 'create';
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return 'create2';
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
    case OpCode.check:
      return 'stat';
    case OpCode.getData:
    case OpCode.reconfig:
      return 'data';
    case OpCode.getChildren:
      return 'children';
    case OpCode.getChildren2:
      return 'children2';
    case OpCode.getACL:
      return 'acl';
    case OpCode.sync:
      return 'path';
    case OpCode.getEphemerals:
      return 'ephemerals';
    case OpCode.getAllChildrenNumber:
      return 'count';
    case OpCode.whoAmI:
      return 'whoAmI';
    case OpCode.sasl:
      return 'sasl';
    case OpCode.multi:
    case OpCode.multiRead:
      return 'multi';
    case OpCode.addWatch:
      return 'error';
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.checkWatches:
    case OpCode.removeWatches:
    case OpCode.setWatches:
    case OpCode.setWatches2:
    case OpCode.auth:
      return 'empty';
    default:
      throw new UnknownOpcodeError(opcode, 'response');
  }
}

/** Reads the response record of a successful (err 0) reply to a request of the given opcode. */
export function decodeResponse(opcode: number, r: JuteReader): Response {
  switch (responseKind(opcode)) {
    case 'empty':
      return EMPTY;
    case 'create':
      return { kind: 'create', path: r.readString() };
    case 'create2': {
      const path = r.readString();
      return { kind: 'create2', path, stat: readStat(r) };
    }
    case 'stat':
      return { kind: 'stat', stat: readStat(r) };
    case 'data': {
      const data = r.readBuffer();
      return { kind: 'data', data, stat: readStat(r) };
    }
    case 'children':
      return { kind: 'children', children: r.readStringVector('children') };
    case 'children2': {
      const children = r.readStringVector('children');
      return { kind: 'children2', children, stat: readStat(r) };
    }
    case 'acl': {
      const acl = readAclVector(r);
      return { kind: 'acl', acl, stat: readStat(r) };
    }
    case 'path':
      return { kind: 'path', path: r.readString() };
    case 'ephemerals':
      return { kind: 'ephemerals', ephemerals: r.readStringVector('ephemerals') };
    case 'count':
      return { kind: 'count', totalNumber: r.readInt() };
    case 'whoAmI':
      return { kind: 'whoAmI', clientInfo: readClientInfoVector(r) };
    case 'sasl':
      return { kind: 'sasl', token: r.readBuffer() };
    case 'multi':
      return { kind: 'multi', results: readMultiResults(r) };
    case 'error':
      return { kind: 'error', err: r.readInt() };
  }
}

/**
 * Reads a whole reply frame payload as a client sees it: the header, then —
 * for a successful reply to a request of the given opcode — its record.
 */
export function decodeReply(opcode: number, r: JuteReader): { header: ReplyHeader; response?: Response } {
  const header = readReplyHeader(r);
  if (header.err !== 0) return { header };
  return { header, response: decodeResponse(opcode, r) };
}
