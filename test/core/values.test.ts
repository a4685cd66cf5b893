import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataTree } from '../../src/core/tree.js';
import { NULL_REF, SLOT_MAX, ValueStore, slotSize } from '../../src/core/values.js';
import { OPEN_ACL_UNSAFE } from '../../src/core/acl.js';

describe('value store', () => {
  it('slot sizes fit the value and waste at most a quarter of it beyond 128 bytes', () => {
    const bad: number[] = [];
    for (let len = 1; len <= SLOT_MAX; len++) {
      const s = slotSize(len);
      const fits = s >= len && (len <= 128 ? s - len < 16 : (s - len) / len < 0.25) && slotSize(s) === s;
      if (!fits) bad.push(len);
    }
    expect(bad).toEqual([]);
    expect([slotSize(100), slotSize(129), slotSize(1024), slotSize(1025)]).toEqual([112, 160, 1024, 1280]);
  });

  it('gives back every value as stored while others are stored and released around it', () => {
    const lengthArb = fc.oneof(fc.constantFrom(0, 1, 16, 17, 128, 129, 1024, SLOT_MAX, SLOT_MAX + 1), fc.nat(3000));
    const opArb = fc.oneof(
      fc.record({ put: lengthArb, fill: fc.nat(255) }),
      fc.record({ release: fc.nat(50) }),
      fc.constant({ putNull: true }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const store = new ValueStore();
        const live: { ref: number; len: number; bytes: Uint8Array | null }[] = [];
        for (const op of ops) {
          if ('put' in op) {
            const bytes = new Uint8Array(op.put).map((_, i) => (op.fill + i) & 255);
            live.push({ ref: store.put(bytes), len: bytes.length, bytes: bytes.slice() });
            bytes.fill(0); // the store keeps a copy
          } else if ('release' in op) {
            if (live.length === 0) continue;
            const [v] = live.splice(op.release % live.length, 1);
            store.release(v!.ref, v!.len);
          } else {
            live.push({ ref: store.put(null), len: -1, bytes: null });
          }
          for (const v of live) {
            const got = store.view(v.ref, v.len);
            if (v.bytes === null ? got !== null : got === null || Buffer.compare(got, v.bytes) !== 0) {
              expect(got).toEqual(v.bytes);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reuses a released slot of the same size class, so rewriting values takes no more memory', () => {
    const store = new ValueStore();
    const a = store.put(new Uint8Array(1000));
    store.release(a, 1000);
    expect(store.put(new Uint8Array(1020))).toBe(a);
    expect(store.put(null)).toBe(NULL_REF);

    const tree = new DataTree();
    const acl = OPEN_ACL_UNSAFE;
    for (let i = 0; i < 100; i++) tree.createNode(`/k${i}`, new Uint8Array(1024).fill(i), acl, 0n, i, i + 1, 0);
    const reserved = tree.values.reserved;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) tree.setData(`/k${i}`, new Uint8Array(1024).fill(round), round + 1, 1000 + round, 0);
    }
    expect(tree.values.reserved).toBe(reserved);
    expect(tree.get('/k7')!.data).toEqual(new Uint8Array(1024).fill(19));
    for (let i = 0; i < 100; i++) tree.deleteNode(`/k${i}`, 5000 + i);
    for (let i = 0; i < 100; i++) tree.createNode(`/n${i}`, new Uint8Array(1000), acl, 0n, i, 6000 + i, 0);
    expect(tree.values.reserved).toBe(reserved);
  });

  it('with deferred releases, keeps a released value readable until settle, then reuses its slot', () => {
    const store = new ValueStore();
    store.deferReleases = true;
    const a = store.put(new Uint8Array(100).fill(1));
    const view = store.view(a, 100)!;
    store.release(a, 100);
    const b = store.put(new Uint8Array(100).fill(2));
    expect(b).not.toBe(a);
    expect(view).toEqual(new Uint8Array(100).fill(1));
    store.settle();
    expect(store.put(new Uint8Array(100).fill(3))).toBe(a);
    expect(view).toEqual(new Uint8Array(100).fill(3));
  });
});
