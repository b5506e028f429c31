// state.js - the heap at any step of a stepper file, rebuilt from its differences.
//
// arena-step (bench/trace/stepper.c) writes step 0 (the whole heap the window
// starts on) and then, after each call, only what changed: chunk rows
// [arena, address, size field, state, bin, fd, bk, fd_nextsize, bk_nextsize,
// next_stored], removed (arena, address) pairs, changed arena rows, and the
// mapped chunks and the cache's address.  Applying them in order gives any step;
// a copy of the heap kept every `stride` steps makes a jump cost at most
// `stride` differences, whichever way it goes.  The bins are rebuilt from the
// free chunks' states and links (binLists), as glibc's lists are threaded
// through the chunks themselves.  Used by the page and by the Node test.

export const STATES = ['in_use', 'fastbin', 'unsorted', 'smallbin', 'largebin', 'free', 'top', 'fencepost', 'tcache'];
export const PREV_INUSE = 1, IS_MMAPPED = 2, NON_MAIN_ARENA = 4;
const SIZE_BITS = 7;
const CHUNK_HDR_SZ = 16;

export const chunkSize = (row) => row[2] - (row[2] & SIZE_BITS);

// A heap: per arena its chunks by address (Map), their addresses kept sorted
// (order, maintained by binary search as chunks come and go, so drawing the
// strip never sorts), and the free ones apart (free: Map), since the bins are
// rebuilt from them at every step and a heap is mostly chunks in use.
const FREE_STATES = new Set([1, 2, 3, 4, 5, 8]);

function emptyHeap() {
  return { arenas: [], chunks: [], order: [], free: [], mmaps: 0, mmapped: 0, tcache: 0 };
}

function cloneHeap(h) {
  return {
    arenas: h.arenas.map((a) => ({ ...a })),
    chunks: h.chunks.map((m) => new Map(m)),
    order: h.order.map((o) => o.slice()),
    free: h.free.map((m) => new Map(m)),
    mmaps: h.mmaps, mmapped: h.mmapped, tcache: h.tcache,
  };
}

// The first index of sorted array `a` whose value is not below x.
function lowerBound(a, x) {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (a[mid] < x) lo = mid + 1; else hi = mid; }
  return lo;
}

function ensureArena(h, i) {
  if (!h.chunks[i]) { h.chunks[i] = new Map(); h.order[i] = []; h.free[i] = new Map(); }
}

// Puts `row` in (or, row null, takes the chunk at `addr` out of) arena i.
function setChunk(h, i, addr, row) {
  ensureArena(h, i);
  const had = h.chunks[i].has(addr);
  if (row) {
    h.chunks[i].set(addr, row);
    if (!had) h.order[i].splice(lowerBound(h.order[i], addr), 0, addr);
    if (FREE_STATES.has(row[3])) h.free[i].set(addr, row); else h.free[i].delete(addr);
  } else if (had) {
    h.chunks[i].delete(addr);
    h.order[i].splice(lowerBound(h.order[i], addr), 1);
    h.free[i].delete(addr);
  }
}

// Applies step `diff` to heap h; with `undo`, also returns what puts h back.
function applyDiff(h, diff, undo) {
  const [changed, removed, arenas, globals] = diff;
  const back = undo ? { chunks: [], arenas: [], globals: [h.mmaps, h.mmapped, h.tcache] } : null;
  for (const r of arenas) {
    const [i, address, isMain, top, topSize, systemMem, lastRemainder, haveFast, regions] = r;
    if (back) back.arenas.push([i, h.arenas[i]]);
    h.arenas[i] = { index: i, address, isMain: !!isMain, top, topSize, systemMem, lastRemainder,
                    haveFastchunks: !!haveFast, regions };
    ensureArena(h, i);
  }
  for (let k = 0; k < removed.length; k += 2) {
    if (back) back.chunks.push([removed[k], removed[k + 1], h.chunks[removed[k]]?.get(removed[k + 1]) ?? null]);
    setChunk(h, removed[k], removed[k + 1], null);
  }
  for (const row of changed) {
    if (back) back.chunks.push([row[0], row[1], h.chunks[row[0]]?.get(row[1]) ?? null]);
    setChunk(h, row[0], row[1], row);
  }
  [h.mmaps, h.mmapped, h.tcache] = globals;
  return back;
}

function applyUndo(h, back) {
  for (let k = back.chunks.length - 1; k >= 0; k--) setChunk(h, ...back.chunks[k]);
  for (let k = back.arenas.length - 1; k >= 0; k--) {
    const [i, a] = back.arenas[k];
    if (a) h.arenas[i] = a; else delete h.arenas[i];
  }
  [h.mmaps, h.mmapped, h.tcache] = back.globals;
}

export class Stepper {
  constructor(data) {
    this.data = data;
    this.count = data.calls.length;
    // A copy of the heap every `stride` steps: a jump costs one copy and at
    // most `stride` differences; a step back costs one undo record.
    this.stride = Math.max(512, Math.ceil(this.count / 16));
    this.checkpoints = [];
    const h = emptyHeap();
    for (let s = 0; s <= this.count; s++) {
      applyDiff(h, data.diffs[s]);
      if (s % this.stride === 0) this.checkpoints.push(cloneHeap(h));
    }
    this.pos = -1;
    this.heap = null;
    this.undo = []; // undo[k] takes the heap from step base + k + 1 back to step base + k
    this.base = 0;
    this.callAddress = this.addressesOfCalls();
  }

  // The heap after `step` calls of the window (0: before the first).
  at(step) {
    step = Math.max(0, Math.min(this.count, step));
    if (!this.heap || step < this.base || step > this.pos + this.stride) {
      const c = Math.floor(step / this.stride);
      this.heap = cloneHeap(this.checkpoints[c]);
      this.base = this.pos = c * this.stride;
      this.undo = [];
    }
    while (this.pos > step) applyUndo(this.heap, this.undo[--this.pos - this.base]);
    this.undo.length = this.pos - this.base;
    while (this.pos < step) this.undo.push(applyDiff(this.heap, this.data.diffs[++this.pos], true));
    return this.heap;
  }

  // The (arena, address) keys of the chunks call `step` changed or made.
  changedAt(step) {
    const set = new Set();
    if (step < 1 || step > this.count) return set;
    for (const row of this.data.diffs[step][0]) set.add(row[0] + ':' + row[1]);
    return set;
  }

  // The memory each call is about: what it returned, or what it freed or resized.
  addressesOfCalls() {
    const byId = new Map(), out = new Array(this.count).fill(0);
    this.data.calls.forEach((c, i) => {
      const m = /#(\d+)/.exec(c[2]);
      if (c[3]) out[i] = c[3];
      else if (m && byId.has(+m[1])) out[i] = byId.get(+m[1]);
      if (c[5]) byId.set(c[5], c[3]);
    });
    return out;
  }

  pathLabel(i) {
    const mask = this.data.calls[i][4], names = [];
    for (let b = 0; b < this.data.steps_names.length; b++) if (mask & (1 << b)) names.push(this.data.steps_names[b]);
    if (!names.length) return /^realloc\(#/.test(this.data.calls[i][2]) && this.data.calls[i][3] ? 'realloc in place' : '';
    return names.join(' → ');
  }
}

// An arena's chunks in address order.
export function sortedChunks(heap, arena) {
  const m = heap.chunks[arena];
  return m ? heap.order[arena].map((a) => m.get(a)) : [];
}

// The chunk of any arena holding address `a` (a chunk's header or its memory).
export function chunkHolding(heap, a) {
  for (let i = 0; i < heap.chunks.length; i++) {
    const order = heap.order[i] ?? [];
    const k = lowerBound(order, a + 1) - 1; // the last chunk starting at or below a
    const row = k >= 0 ? heap.chunks[i].get(order[k]) : null;
    if (row && a < row[1] + Math.max(chunkSize(row), CHUNK_HDR_SZ)) return row;
  }
  return null;
}

// The chunk right below `row` in its arena, or null.
export function chunkBefore(heap, row) {
  const order = heap.order[row[0]] ?? [], k = lowerBound(order, row[1]) - 1;
  return k >= 0 ? heap.chunks[row[0]].get(order[k]) : null;
}

// Orders the members of one list from its head: the member no other member
// points at, then along `next` while it stays in the list.
function threadList(members, next, key = (r) => r[1]) {
  const byKey = new Map(members.map((r) => [key(r), r]));
  const pointedAt = new Set(members.map(next));
  let head = members.find((r) => !pointedAt.has(key(r))) ?? members[0];
  const list = [], seen = new Set();
  while (head && !seen.has(head)) {
    list.push(head);
    seen.add(head);
    head = byKey.get(next(head));
  }
  for (const r of members) if (!seen.has(r)) list.push(r); // a damaged list: keep every member
  return list;
}

// Every non-empty bin of an arena: {kind, index, chunks: [rows], nextsize: [rows]},
// kinds fast, unsorted, small, large in glibc's order.
export function binLists(heap, arena) {
  const groups = new Map();
  for (const row of heap.free[arena]?.values() ?? []) {
    const state = STATES[row[3]];
    const kind = { fastbin: 'fast', unsorted: 'unsorted', smallbin: 'small', largebin: 'large' }[state];
    if (!kind) continue;
    const k = kind + ':' + row[4];
    if (!groups.has(k)) groups.set(k, { kind, index: row[4], members: [] });
    groups.get(k).members.push(row);
  }
  const order = { fast: 0, unsorted: 1, small: 2, large: 3 };
  return [...groups.values()]
    .sort((a, b) => order[a.kind] - order[b.kind] || a.index - b.index)
    .map((g) => {
      const chunks = threadList(g.members, (r) => r[5]);
      const bin = { kind: g.kind, index: g.index, chunks };
      if (g.kind === 'large') {
        // The nextsize chain links the first chunk of each size, largest first.
        const heads = chunks.filter((r) => r[7] !== 0 || r[8] !== 0);
        bin.nextsize = heads.length ? threadList(heads, (r) => r[7]) : [];
      }
      return bin;
    });
}

// The calling thread's cache: {index, entries: [rows]} per non-empty bin.  An
// entry is the chunk's memory, 16 bytes past its header; row[5] is the next one.
export function tcacheLists(heap) {
  const groups = new Map();
  for (const m of heap.free) {
    for (const row of m?.values() ?? []) {
      if (STATES[row[3]] !== 'tcache') continue;
      if (!groups.has(row[4])) groups.set(row[4], []);
      groups.get(row[4]).push(row);
    }
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, members]) => ({ index, entries: threadList(members, (r) => r[5], (r) => r[1] + CHUNK_HDR_SZ) }));
}

// glibc's largebin_index_64: which large bin a chunk size falls in.
export function largebinIndex(sz) {
  const f = (shift) => Math.floor(sz / 2 ** shift);
  if (f(6) <= 48) return 48 + f(6);
  if (f(9) <= 20) return 91 + f(9);
  if (f(12) <= 10) return 110 + f(12);
  if (f(15) <= 4) return 119 + f(15);
  if (f(18) <= 2) return 124 + f(18);
  return 126;
}

// The smallest chunk size of each large bin, found by walking the sizes once.
const largeLowest = new Map();
for (let sz = 1024; sz <= 1 << 20; sz += 16) {
  const i = largebinIndex(sz);
  if (!largeLowest.has(i)) largeLowest.set(i, sz);
}

// The chunk sizes a bin holds, [lo, hi], as glibc indexes them (64-bit).
export function binSizes(kind, index) {
  if (kind === 'fast') return [(index + 2) * 16, (index + 2) * 16];
  if (kind === 'small') return [index * 16, index * 16];
  if (kind === 'unsorted') return [32, Infinity];
  const next = largeLowest.get(index + 1);
  return [largeLowest.get(index), next ? next - 16 : Infinity];
}

export const hex = (n) => '0x' + n.toString(16);

// glibc 2.32's safe-linking: a stored link is (where it is stored >> 12) ^ the link.
export function protect(pos, ptr) {
  return Number((BigInt(pos) >> 12n) ^ BigInt(ptr));
}
