// steps-check.mjs - the page shows what the heap was: the heap that
// tools/stepper/src/state.js rebuilds from an arena-step file, at the steps
// arena-step was asked to dump with arenalloc_dump itself (--dump-at), must be
// the dump's: every chunk (address, size, flags, state, bin, links), every bin's
// list in order (and a large bin's nextsize chain), every cache list, each
// arena's top, system_mem and last_remainder, the mapped chunks.  With several
// threads, every arena is compared, and the call of the step must have worked
// in the arena its row names: the chunk it returned is in that arena's heap.
//
//   node tests/stepper/steps-check.mjs STEPS.json DUMPDIR STEP...
//
// Prints one "ok"/"FAIL" line per step compared; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { Stepper, STATES, PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA, chunkSize, sortedChunks, binLists, tcacheLists,
         binSizes } from '../../tools/stepper/src/state.js';

const [file, dir, ...steps] = process.argv.slice(2);
const data = JSON.parse(readFileSync(file, 'utf8'));
const S = new Stepper(data);
const hex = (n) => '0x' + n.toString(16);
const flagNames = (f) => [[PREV_INUSE, 'PREV_INUSE'], [IS_MMAPPED, 'IS_MMAPPED'], [NON_MAIN_ARENA, 'NON_MAIN_ARENA']]
  .filter(([b]) => f & b).map(([, n]) => n);

// A chunk as the dump writes it, from a row of the stepper.
function asDump(row) {
  const state = STATES[row[3]], c = { address: hex(row[1]), size: chunkSize(row), flags: flagNames(row[2]), state };
  if (row[4] >= 0) c.bin = row[4];
  if (['fastbin', 'unsorted', 'smallbin', 'largebin'].includes(state)) c.fd = hex(row[5]);
  if (['unsorted', 'smallbin', 'largebin'].includes(state)) c.bk = hex(row[6]);
  if (state === 'tcache') { c.next = hex(row[5]); c.next_stored = hex(row[9]); }
  if (state === 'largebin') { c.fd_nextsize = hex(row[7]); c.bk_nextsize = hex(row[8]); }
  return c;
}

function compare(step) {
  const dump = JSON.parse(readFileSync(`${dir}/step-${step}.json`, 'utf8'));
  const heap = S.at(+step), wrong = [];
  const same = (what, a, b) => { if (JSON.stringify(a) !== JSON.stringify(b)) wrong.push(`${what}: page ${JSON.stringify(a)?.slice(0, 300)} dump ${JSON.stringify(b)?.slice(0, 300)}`); };
  same('arenas', heap.arenas.filter(Boolean).length, dump.arenas.length);
  for (const a of dump.arenas) {
    const mine = heap.arenas[a.index];
    same(`arena ${a.index} fields`, [hex(mine.address), hex(mine.top), mine.topSize, mine.systemMem, hex(mine.lastRemainder)],
         [a.address, a.top, a.top_size, a.system_mem, a.last_remainder]);
    const chunks = sortedChunks(heap, a.index).map(asDump);
    const theirs = a.chunks.map(({ damage, ...c }) => c);
    same(`arena ${a.index} chunk count`, chunks.length, theirs.length);
    for (let i = 0; i < Math.max(chunks.length, theirs.length) && wrong.length < 5; i++)
      same(`arena ${a.index} chunk ${i}`, chunks[i], theirs[i]);
    const bins = binLists(heap, a.index).map((b) => {
      const [lo, hi] = binSizes(b.kind, b.index);
      const o = { kind: b.kind, index: b.index, size_min: lo, size_max: hi === Infinity ? null : hi, chunks: b.chunks.map((r) => hex(r[1])) };
      if (b.kind === 'large') o.nextsize = b.nextsize.map((r) => hex(r[1]));
      return o;
    });
    same(`arena ${a.index} bins`, bins, a.bins.map(({ kind, index, size_min, size_max, chunks, nextsize }) =>
      (kind === 'large' ? { kind, index, size_min, size_max, chunks, nextsize } : { kind, index, size_min, size_max, chunks })));
  }
  if (dump.tcache) {
    same('tcache address', hex(heap.tcache), dump.tcache.address);
    same('tcache lists', tcacheLists(heap).map((b) => ({ index: b.index, entries: b.entries.map((r) => hex(r[1] + 16)) })),
         dump.tcache.bins.map((b) => ({ index: b.index, entries: b.entries })));
  }
  same('mmapped chunks', [heap.mmaps, heap.mmapped], [dump.mmapped.chunks, dump.mmapped.bytes]);
  const call = data.calls[step - 1];
  if (call && call[3] && call[6] >= 0)
    same(`call #${call[0]}'s arena`, heap.chunks[call[6]]?.has(call[3] - 16), true);
  const n = heap.chunks.reduce((t, m) => t + (m?.size ?? 0), 0), arenas = dump.arenas.length;
  if (wrong.length) console.log(`FAIL - ${file} step ${step}: ${wrong.slice(0, 5).join('; ')}`);
  else console.log(`ok   - ${file.split('/').pop()} step ${step}: the page's heap is the dump's (${n} chunks, ${arenas} arena${arenas > 1 ? 's' : ''})`);
  return wrong.length === 0;
}

// Visit the steps out of order, so that jumps backwards and forwards both count.
let ok = true;
for (const step of [...steps].reverse().concat(steps)) ok = compare(step) && ok;
process.exit(ok ? 0 : 1);
