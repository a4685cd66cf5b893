// What must hold of a run, judged from outside: the sequence of committed
// transactions and what the clients saw. Every acknowledged write is
// committed, exactly as asked; every read returns what the committed
// sequence held at the zxid the member said it had applied.

import { Database } from '../core/database.js';
import type { Txn } from '../core/txn.js';
import { zxidHex } from '../core/zxid.js';
import { KEYS, type History } from './client.js';

const dec = (b: Uint8Array | null): string => (b === null ? '' : String.fromCharCode(...b));

type KeyValue = { data: string; mzxid: number } | null;

/** The violations of `history` against the committed sequence `committed` (in zxid order). */
export function checkHistory(committed: readonly Txn[], history: History): string[] {
  const out: string[] = [...history.violations];
  const byZxid = new Map<number, Txn>();
  let last = 0;
  for (const t of committed) {
    if (t.hdr.zxid <= last) out.push(`committed sequence out of order: ${zxidHex(t.hdr.zxid)} after ${zxidHex(last)}`);
    last = t.hdr.zxid;
    byZxid.set(t.hdr.zxid, t);
  }
  for (const w of history.writes) {
    if (w.outcome.kind !== 'ok') continue;
    const t = byZxid.get(w.outcome.zxid);
    if (!t) {
      out.push(`client ${w.client}'s write xid ${w.xid} was acknowledged at ${zxidHex(w.outcome.zxid)}, which is not committed`);
    } else if (t.hdr.sessionId !== w.sessionId || t.hdr.cxid !== w.xid) {
      out.push(
        `client ${w.client}'s write xid ${w.xid} (session 0x${w.sessionId.toString(16)}) was acknowledged at ${zxidHex(w.outcome.zxid)}, ` +
          `which holds session 0x${t.hdr.sessionId.toString(16)} cxid ${t.hdr.cxid}`,
      );
    }
  }
  // every key's values over the committed sequence
  const db = new Database();
  const versions = new Map<string, Array<{ zxid: number; value: KeyValue }>>(KEYS.map((k) => [k, [{ zxid: 0, value: null }]]));
  for (const t of committed) {
    if (t.hdr.zxid <= db.lastZxid) break;
    db.apply(t);
    for (const k of KEYS) {
      const n = db.tree.get(k);
      const v: KeyValue = n ? { data: dec(n.data), mzxid: n.mzxid } : null;
      const h = versions.get(k)!;
      const prev = h[h.length - 1]!.value;
      if (prev?.mzxid !== v?.mzxid || (prev === null) !== (v === null)) h.push({ zxid: t.hdr.zxid, value: v });
    }
  }
  for (const r of history.reads) {
    const h = versions.get(r.path);
    if (!h) continue;
    let at: KeyValue = null;
    for (const e of h) if (e.zxid <= r.zxid) at = e.value;
    const same = at === null ? r.value === null : r.value !== null && r.value.data === at.data && r.value.mzxid === at.mzxid;
    if (!same) {
      out.push(
        `client ${r.client} read ${r.path} from member ${r.member} at ${zxidHex(r.zxid)} as ${JSON.stringify(r.value)}; ` +
          `the committed sequence holds ${JSON.stringify(at)} there`,
      );
    }
  }
  return out;
}
