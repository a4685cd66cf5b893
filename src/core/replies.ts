// The reply a client gets for an applied write: the ApplyResult of its
// transaction shaped into the response record its opcode expects.

import { type OpResult, type Response, OpCode } from '../wire/protocol.js';
import type { ApplyResult } from './database.js';

const EMPTY: Response = { kind: 'empty' };

/** The body of a successful write reply (callers send no body when err ≠ 0). */
export function writeResponse(requestType: number, r: ApplyResult): Response {
  switch (requestType) {
    case OpCode.create:
      return { kind: 'create', path: r.path! };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { kind: 'create2', path: r.path!, stat: r.stat! };
    case OpCode.setData:
    case OpCode.setACL:
      return { kind: 'stat', stat: r.stat! };
    case OpCode.multi:
      return { kind: 'multi', results: (r.multi ?? []).map(opResult) };
    default:
      return EMPTY;
  }
}

function opResult(r: ApplyResult): OpResult {
  switch (r.type) {
    case OpCode.create:
      return { type: OpCode.create, path: r.path! };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { type: OpCode.create2, path: r.path!, stat: r.stat! };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: OpCode.delete };
    case OpCode.setData:
      return { type: OpCode.setData, stat: r.stat! };
    case OpCode.check:
      return { type: OpCode.check };
    default:
      return { type: OpCode.error, err: r.err };
  }
}
