// Where the tree keeps its nodes' data. A node's bytes live in a slot of a
// large slab shared with other values of about the same size; the node holds
// only the slot's number. A value that is replaced or deleted gives its slot
// back, and the next value of that size class takes it.
//
// Kept as their own Uint8Arrays, values cost the garbage collector: under an
// all-writes load every setData made two objects (the array and its buffer)
// that lived until the key was written again, long enough to be copied and
// promoted, then died in the old generation. That made young-generation
// pauses nearly twice as long (about 6 ms against 3.5) and the slowest writes
// several milliseconds slower. In slabs, a write leaves no object behind, and
// the views reads make die young.
//
// A view of a slot (see `view`) is valid until that value is released: it
// must be used or copied before the node changes again. A core that hands
// views out in its effects defers releases (`deferReleases`) and settles them
// when the shell takes the effects, so that a view stays valid until the
// core's next input even if the node changes later in the same step.

/** Values up to this size share slabs; larger ones get memory of their own. */
export const SLOT_MAX = 64 * 1024;
const SLAB_MAX_BYTES = 256 * 1024;
/** The first slab of a size class; each next one doubles, up to SLAB_MAX_BYTES. */
const SLAB_MIN_BYTES = 4 * 1024;
const SLOT_BITS = 14; // up to SLAB_MAX_BYTES / 16 slots per slab
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const MAX_SLABS = 2 ** (31 - SLOT_BITS);

/** Refs that name no slot. */
export const NULL_REF = -1;
const EMPTY_REF = -2;
/** Refs of values with memory of their own: LARGE_BASE - index. */
const LARGE_BASE = -3;

const EMPTY = new Uint8Array(0);

/**
 * The slot size for `len` bytes: multiples of 16 up to 128, then four sizes
 * per power of two (at most a quarter, on average an eighth, left unused).
 */
export function slotSize(len: number): number {
  if (len <= 128) return (len + 15) & ~15;
  const step = 1 << (29 - Math.clz32(len - 1));
  return (len + step - 1) & ~(step - 1);
}

interface SizeClass {
  readonly size: number;
  /** slots given back, reused last in, first out */
  readonly free: number[];
  /** the slab new slots are cut from, and how many it has left */
  slab: number;
  next: number;
  capacity: number;
  /** bytes of the next slab */
  slabBytes: number;
}

export class ValueStore {
  private readonly slabs: Uint8Array[] = [];
  private readonly slabSlot: number[] = [];
  private readonly classes = new Map<number, SizeClass>();
  private readonly large: (Uint8Array | undefined)[] = [];
  private readonly largeFree: number[] = [];
  /** Bytes of slabs and large values held, used or not. */
  reserved = 0;
  /** Releases wait for `settle` (refs and lengths, in pairs). */
  deferReleases = false;
  private readonly deferred: number[] = [];

  /** Stores a copy of `data`; the ref names it until `release`. */
  put(data: Uint8Array | null): number {
    if (data === null) return NULL_REF;
    const len = data.length;
    if (len === 0) return EMPTY_REF;
    if (len > SLOT_MAX) {
      const i = this.largeFree.pop() ?? this.large.length;
      this.large[i] = data.slice();
      this.reserved += len;
      return LARGE_BASE - i;
    }
    const size = slotSize(len);
    let c = this.classes.get(size);
    if (c === undefined) {
      c = { size, free: [], slab: -1, next: 0, capacity: 0, slabBytes: Math.max(SLAB_MIN_BYTES, size * 4) };
      this.classes.set(size, c);
    }
    let ref = c.free.pop();
    if (ref === undefined) {
      if (c.next === c.capacity) this.newSlab(c);
      ref = (c.slab << SLOT_BITS) | c.next++;
    }
    this.slabs[ref >>> SLOT_BITS]!.set(data, (ref & SLOT_MASK) * size);
    return ref;
  }

  private newSlab(c: SizeClass): void {
    if (this.slabs.length >= MAX_SLABS) throw new RangeError('the value store is full');
    const bytes = c.slabBytes;
    c.slab = this.slabs.length;
    c.next = 0;
    c.capacity = Math.floor(bytes / c.size);
    this.slabs.push(new Uint8Array(c.capacity * c.size));
    this.slabSlot.push(c.size);
    this.reserved += c.capacity * c.size;
    c.slabBytes = Math.min(SLAB_MAX_BYTES, bytes * 2);
  }

  /** The `len` bytes stored under `ref`, as a view valid until the ref is released. */
  view(ref: number, len: number): Uint8Array | null {
    if (ref >= 0) {
      const slab = ref >>> SLOT_BITS;
      return new Uint8Array(this.slabs[slab]!.buffer, (ref & SLOT_MASK) * this.slabSlot[slab]!, len);
    }
    if (ref === NULL_REF) return null;
    if (ref === EMPTY_REF) return EMPTY;
    return this.large[LARGE_BASE - ref]!;
  }

  /** Gives back what `put` returned `ref` for (`len` bytes): now, or at the next `settle` when releases are deferred. */
  release(ref: number, len: number): void {
    if (this.deferReleases && ref !== NULL_REF && ref !== EMPTY_REF) {
      this.deferred.push(ref, len);
      return;
    }
    this.free(ref, len);
  }

  /** Carries out the deferred releases: no view of their values is in use any more. */
  settle(): void {
    const d = this.deferred;
    for (let i = 0; i < d.length; i += 2) this.free(d[i]!, d[i + 1]!);
    d.length = 0;
  }

  private free(ref: number, len: number): void {
    if (ref >= 0) {
      this.classes.get(slotSize(len))!.free.push(ref);
    } else if (ref <= LARGE_BASE) {
      const i = LARGE_BASE - ref;
      this.large[i] = undefined;
      this.largeFree.push(i);
      this.reserved -= len;
    }
  }
}
