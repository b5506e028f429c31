// page.js - the heap stepper's page: the calls, the heap as a strip in address
// order, every bin as a list, the arenas, and one chunk's header.
//
// The data is in the page itself, gzip'ed and base64'ed in <script id="data">
// (tools/stepper/build.mjs put it there), so the page opens from the file system
// with no server.  Only what is visible is drawn: the call list is virtual
// (@tanstack/virtual-core keeps a few dozen rows in the document however long
// the window), and the strip is one canvas redrawn for the rows in view.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import { Stepper, STATES, chunkSize, sortedChunks, chunkHolding, chunkBefore, binLists, tcacheLists, binSizes, hex, protect,
         PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA } from './state.js';

const $ = (id) => document.getElementById(id);
const COLOURS = {
  in_use: '#9ecae1', fastbin: '#fdae6b', unsorted: '#fd8d3c', smallbin: '#74c476', largebin: '#31a354',
  free: '#e6550d', top: '#dadaeb', fencepost: '#969696', tcache: '#c994c7',
};
const ROW_H = 22, STRIP_ROW = 30, STRIP_GAP = 4;

async function loadData() {
  const text = $('data').textContent.trim();
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return JSON.parse(await new Response(stream).text());
}

let S, data, pos = 0, selected = null, timer = null;

// ---- the call list ------------------------------------------------------------------

let calls;
function setUpCalls() {
  const scroller = $('calls');
  calls = new Virtualizer({
    count: S.count + 1,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_H,
    overscan: 10,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: drawCalls,
  });
  calls._willUpdate();
  drawCalls();
  scroller.addEventListener('click', (e) => {
    const row = e.target.closest('[data-step]');
    if (row) go(+row.dataset.step);
  });
}

// The arena a call worked in (-1: none, a mapped chunk); named once the page
// has a thread arena, where it is news.
let manyArenas = null;

function callText(step) {
  if (step === 0) return { num: '', text: 'the heap before the window\u2019s first call', path: '', arena: -1 };
  const c = data.calls[step - 1], ret = c[3] ? ' = ' + hex(c[3]) : '';
  manyArenas ??= data.calls.some((k) => k[6] > 0);
  const path = S.pathLabel(step - 1), where = manyArenas && c[6] >= 0 ? `arena ${c[6]}` : '';
  const ends = c[7] ? `; t${c[1]} ends` : '';
  return { num: '#' + c[0], text: (data.threads > 1 ? 't' + c[1] + ' ' : '') + c[2] + ret,
           path: [path, where].filter(Boolean).join(', in ') + ends, arena: c[6], thread: c[1] };
}

function drawCalls() {
  const inner = $('calls-inner');
  inner.style.height = calls.getTotalSize() + 'px';
  inner.replaceChildren(...calls.getVirtualItems().map((v) => {
    const div = document.createElement('div'), t = callText(v.index);
    div.className = 'call' + (v.index === pos ? ' current' : '');
    div.dataset.step = v.index;
    div.style.transform = `translateY(${v.start}px)`;
    div.innerHTML = `<span class="num">${t.num}</span> <span class="text"></span> <span class="path"></span>`;
    div.querySelector('.text').textContent = t.text;
    div.querySelector('.path').textContent = t.path;
    return div;
  }));
}

// ---- the heap strip ---------------------------------------------------------------------

// Boxes laid out in rows, left to right in address order; a box's width grows
// with the log of its size, so a 32-byte chunk and a 128 KiB top both show.
// An entry is {arena, addr, size, x, y, w} (or an arena's label); the rows are
// looked up when drawn.  Most calls only move chunks between states (a cache
// put or get), which leaves every box where it was: the layout is made again
// only when a call adds, removes or resizes a chunk (layoutStillFits).
let layout = [], layoutStep = -1, arenaSpan = [];
function boxWidth(size) {
  return Math.max(26, Math.min(220, 12 * Math.log2(Math.max(size, 16)) - 22));
}

function layOut(heap) {
  const width = $('strip').clientWidth - 8;
  layout = [];
  arenaSpan = [];
  let y = 0;
  for (let a = 0; a < heap.arenas.length; a++) {
    if (!heap.arenas[a]) continue;
    layout.push({ label: `arena ${a}: ${heap.arenas[a].isMain ? 'main_arena' : 'thread arena'} ${hex(heap.arenas[a].address)}`, y });
    y += 18;
    let x = 4;
    const first = layout.length;
    for (const row of sortedChunks(heap, a)) {
      const size = chunkSize(row), w = boxWidth(size);
      if (x + w > width && x > 4) { x = 4; y += STRIP_ROW + STRIP_GAP; }
      layout.push({ arena: a, addr: row[1], size, x, y, w });
      x += w + 2;
    }
    arenaSpan[a] = [first, layout.length];
    y += STRIP_ROW + STRIP_GAP + 6;
  }
  $('strip-space').style.height = y + 'px';
}

// The layout entry of the chunk at (arena, addr), by bisection, or null.
function entryOf(arena, addr) {
  const span = arenaSpan[arena];
  if (!span) return null;
  let lo = span[0], hi = span[1];
  while (lo < hi) { const mid = (lo + hi) >> 1; if (layout[mid].addr < addr) lo = mid + 1; else hi = mid; }
  return lo < span[1] && layout[lo].addr === addr ? layout[lo] : null;
}

// Whether the layout made for step layoutStep still places every chunk of
// `heap` (at step `step`, one call away): the call between removed nothing and
// changed only chunks that keep their place and size.
function layoutStillFits(heap, step) {
  if (Math.abs(step - layoutStep) !== 1) return step === layoutStep;
  const [changed, removed, arenas] = data.diffs[Math.max(step, layoutStep)];
  if (removed.length || arenas.some((r) => !arenaSpan[r[0]])) return false;
  return changed.every((r) => {
    const e = entryOf(r[0], r[1]), now = heap.chunks[r[0]]?.get(r[1]);
    return e && now && chunkSize(now) === e.size;
  });
}

function drawStrip() {
  const box = $('strip'), canvas = $('strip-canvas');
  const dpr = window.devicePixelRatio || 1, w = box.clientWidth, h = box.clientHeight;
  if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
    canvas.width = w * dpr; canvas.height = h * dpr;
    canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
  }
  const ctx = canvas.getContext('2d'), top = box.scrollTop, heap = S.at(pos);
  canvas.style.top = top + 'px';
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px monospace';
  ctx.textBaseline = 'middle';
  const changed = S.changedAt(pos);
  let drawn = 0;
  // Layout entries are in y order: find the first in view by bisection.
  let lo = 0, hi = layout.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (layout[mid].y + STRIP_ROW < top) lo = mid + 1; else hi = mid; }
  for (let i = lo; i < layout.length && layout[i].y < top + h; i++) {
    const e = layout[i], y = e.y - top;
    if (e.label) { ctx.fillStyle = '#333'; ctx.fillText(e.label, 4, y + 9); continue; }
    const row = heap.chunks[e.arena].get(e.addr);
    if (!row) continue;
    const state = STATES[row[3]];
    ctx.fillStyle = COLOURS[state];
    ctx.fillRect(e.x, y, e.w, STRIP_ROW);
    ctx.fillStyle = '#222';
    ctx.fillText(hexSize(e.size), e.x + 3, y + STRIP_ROW / 2, e.w - 6);
    const key = e.arena + ':' + e.addr;
    if (changed.has(key)) { ctx.strokeStyle = '#d62728'; ctx.lineWidth = 3; ctx.strokeRect(e.x + 1.5, y + 1.5, e.w - 3, STRIP_ROW - 3); }
    if (selected && selected[0] === e.arena && selected[1] === e.addr) {
      ctx.strokeStyle = '#000'; ctx.lineWidth = 2; ctx.setLineDash([4, 2]);
      ctx.strokeRect(e.x - 1, y - 1, e.w + 2, STRIP_ROW + 2); ctx.setLineDash([]);
    }
    drawn++;
  }
  canvas.dataset.drawn = drawn;
}

const hexSize = (n) => '0x' + n.toString(16);

function stripHit(ev) {
  const box = $('strip'), r = box.getBoundingClientRect();
  const x = ev.clientX - r.left, y = ev.clientY - r.top + box.scrollTop;
  const e = layout.find((l) => !l.label && x >= l.x && x < l.x + l.w && y >= l.y && y < l.y + STRIP_ROW);
  if (e) select(S.at(pos).chunks[e.arena].get(e.addr));
}

function scrollStripTo(row) {
  const e = entryOf(row[0], row[1]);
  const box = $('strip');
  if (e && (e.y < box.scrollTop || e.y + STRIP_ROW > box.scrollTop + box.clientHeight))
    box.scrollTop = Math.max(0, e.y - box.clientHeight / 3);
}

// ---- bins, arenas, the chosen chunk ---------------------------------------------------

const MAX_SHOWN = 40; // a list longer than this shows its head and a count

function listHtml(rows, addr) {
  const shown = rows.slice(0, MAX_SHOWN).map((r) => `<a href="#" data-arena="${r[0]}" data-addr="${r[1]}">${hex(addr(r))}</a>`);
  if (rows.length > MAX_SHOWN) shown.push(`\u2026 ${rows.length - MAX_SHOWN} more`);
  return shown.join(' \u2192 ');
}

function sizeRange(kind, index) {
  const [lo, hi] = binSizes(kind, index);
  return lo === hi ? hex(lo) : `${hex(lo)}-${hi === Infinity ? '\u221e' : hex(hi)}`;
}

function drawBins(heap) {
  const out = [];
  const tc = tcacheLists(heap);
  // The cache is per thread: the one shown is the calling thread's (the main
  // thread's once the calling thread has ended: arena-step read the heap there).
  const c = data.calls[pos - 1];
  const owner = data.threads > 1 && pos > 0 ? `thread t${c[7] ? 0 : c[1]}'s, ` : '';
  out.push(`<h3>tcache <small>(${owner}count ${data.tcache_count}${heap.tcache ? ', at ' + hex(heap.tcache) : ''})</small></h3>`);
  out.push(tc.length ? tc.map((b) => `<div class="bin" data-kind="tcache" data-count="${b.entries.length}"><b>tcachebins[${b.index}]</b> ${hex(b.index * 16 + 32)} (${b.entries.length}): ${listHtml(b.entries, (r) => r[1] + 16)}</div>`).join('') : '<div class="empty">empty</div>');
  for (let a = 0; a < heap.arenas.length; a++) {
    if (!heap.arenas[a]) continue;
    const bins = binLists(heap, a);
    for (const kind of ['fast', 'unsorted', 'small', 'large']) {
      const these = bins.filter((b) => b.kind === kind);
      out.push(`<h3>${kind === 'fast' ? 'fastbins' : kind === 'unsorted' ? 'unsorted bin' : kind + ' bins'} <small>arena ${a}</small></h3>`);
      if (!these.length) { out.push('<div class="empty">empty</div>'); continue; }
      for (const b of these) {
        const name = kind === 'fast' ? `fastbinsY[${b.index}]` : `bins[${b.index}]`;
        let html = `<div class="bin" data-kind="${kind}" data-count="${b.chunks.length}"><b>${name}</b> ${sizeRange(kind, b.index)} (${b.chunks.length}): ${listHtml(b.chunks, (r) => r[1])}`;
        if (b.nextsize?.length > 1) html += `<div class="nextsize">nextsize: ${listHtml(b.nextsize, (r) => r[1])}</div>`;
        out.push(html + '</div>');
      }
    }
  }
  $('bins').innerHTML = out.join('');
}

function drawArenas(heap) {
  const used = callText(pos).arena;
  const rows = heap.arenas.filter(Boolean).map((a) => {
    const n = heap.chunks[a.index]?.size ?? 0, mark = a.index === used ? ' used' : '';
    return `<div class="arena${mark}" data-index="${a.index}" data-main="${a.isMain ? 1 : 0}" data-chunks="${n}">` +
      `<b>arena ${a.index}</b> ${a.isMain ? 'main_arena' : 'thread arena'} ${hex(a.address)}${mark ? ' \u2190 this call' : ''}<br>` +
      `top ${hex(a.top)} (${hex(a.topSize)}), system_mem ${hex(a.systemMem)}, last_remainder ${a.lastRemainder ? hex(a.lastRemainder) : '0'}, ` +
      `have_fastchunks ${a.haveFastchunks ? 1 : 0}, ${a.regions} region${a.regions === 1 ? '' : 's'}, <span class="nchunks">${n}</span> chunks</div>`;
  });
  rows.push(`<div>mmapped chunks: ${heap.mmaps} (${hex(heap.mmapped)} bytes), outside every arena</div>`);
  $('arenas').innerHTML = rows.join('');
}

function flags(sizeField) {
  return [[NON_MAIN_ARENA, 'A'], [IS_MMAPPED, 'M'], [PREV_INUSE, 'P']].map(([b, n]) => (sizeField & b ? n : '-')).join('');
}

// The header of the chosen chunk, as it is in memory, with the links decoded.
function drawChunk(heap) {
  const panel = $('chunk');
  const row = selected && heap.chunks[selected[0]]?.get(selected[1]);
  if (!row) { panel.innerHTML = '<i>click a chunk, or type its address above</i>'; return; }
  const [arena, addr, sizeField, st, bin, fd, bk, fdn, bkn, stored] = row;
  const state = STATES[st], lines = [];
  const prevSize = heap.chunks[arena] && !(sizeField & PREV_INUSE) ? prevChunkSize(heap, row) : null;
  lines.push(['chunk', `${hex(addr)} (memory ${hex(addr + 16)}), arena ${arena}`]);
  lines.push(['state', `${state}${bin >= 0 ? ', bin ' + bin : ''}`]);
  lines.push(['prev_size', prevSize === null ? '(used by the previous chunk\u2019s data: PREV_INUSE is set)' : hex(prevSize)]);
  lines.push(['size', `${hex(sizeField)} = ${hex(chunkSize(row))} | ${flags(sizeField)} (A|M|P)`]);
  if (state === 'fastbin') lines.push(['fd', `${hex(protect(addr + 16, fd))} stored, ${hex(fd)} decoded (safe-linking: (${hex(addr + 16)} >> 12) ^ fd)`]);
  if (['unsorted', 'smallbin', 'largebin'].includes(state)) { lines.push(['fd', hex(fd)]); lines.push(['bk', hex(bk)]); }
  if (state === 'largebin') { lines.push(['fd_nextsize', hex(fdn)]); lines.push(['bk_nextsize', hex(bkn)]); }
  if (state === 'tcache') {
    lines.push(['next', `${hex(stored)} stored, ${hex(fd)} decoded (safe-linking: (${hex(addr + 16)} >> 12) ^ next)`]);
    lines.push(['key', 'the cache\u2019s key (a double free is caught by it)']);
  }
  panel.innerHTML = lines.map(([k, v]) => `<div><span class="field">${k}</span> <span class="value" data-field="${k}">${v}</span></div>`).join('');
}

// A free chunk's size is repeated in the next chunk's prev_size: the distance
// back to the chunk before, for the chunk whose PREV_INUSE is clear.
function prevChunkSize(heap, row) {
  const before = chunkBefore(heap, row);
  return before ? row[1] - before[1] : null;
}

function select(row) {
  selected = row ? [row[0], row[1]] : null;
  const heap = S.at(pos);
  drawStrip();
  drawChunk(heap);
}

// ---- moving ------------------------------------------------------------------------------

function go(step) {
  pos = Math.max(0, Math.min(S.count, step));
  const heap = S.at(pos);
  $('slider').value = pos;
  const t = callText(pos);
  $('where').textContent = pos === 0 ? 'before the first call' : `step ${pos} of ${S.count}: call ${t.num}`;
  $('current-call').textContent = t.text;
  $('current-path').textContent = t.path;
  if (!layoutStillFits(heap, pos)) layOut(heap);
  layoutStep = pos;
  // Keep what the call changed in view.
  const first = pos > 0 && data.diffs[pos][0][0];
  if (first) scrollStripTo(first);
  drawStrip();
  drawBins(heap);
  drawArenas(heap);
  drawChunk(heap);
  drawCalls();
  const [top, bottom] = visibleCallRange();
  if (pos < top || pos > bottom) calls.scrollToIndex(pos, { align: 'center' });
}

// The first and last rows wholly in view (every row is ROW_H high), from what
// the list already knows: asking the document would make it lay itself out.
function visibleCallRange() {
  const top = calls.scrollOffset ?? 0, height = calls.scrollRect?.height ?? 0;
  return [Math.ceil(top / ROW_H), Math.floor((top + height) / ROW_H) - 1];
}

// "1234" or "#1234" is a call number of the trace; "0x..." an address: the
// chunk holding it is chosen, and the next call about that memory is shown.
function jump(text) {
  text = text.trim();
  const msg = $('jump-msg');
  msg.textContent = '';
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const a = parseInt(text, 16);
    const near = (c) => c && a >= c - 16 && a < c + 16;
    let step = -1;
    for (let k = 1; k <= S.count; k++) {
      const s = ((pos + k - 1) % S.count) + 1;
      if (near(S.callAddress[s - 1])) { step = s; break; }
    }
    if (step > 0) go(step);
    const row = chunkHolding(S.at(pos), a);
    if (!row) { msg.textContent = `no chunk holds ${text} at this step`; return; }
    select(row);
    scrollStripTo(row);
    drawStrip();
    return;
  }
  const m = /^#?(\d+)$/.exec(text);
  if (!m) { msg.textContent = 'type a call number (1234) or an address (0x...)'; return; }
  const i = data.calls.findIndex((c) => c[0] === +m[1]);
  if (i < 0) { msg.textContent = `call ${m[1]} is not in this page (calls ${data.from} to ${data.from + S.count - 1})`; return; }
  go(i + 1);
}

function play() {
  if (timer) { clearInterval(timer); timer = null; $('play').textContent = '\u25b6 play'; return; }
  $('play').textContent = '\u23f8 pause';
  const perSecond = +$('speed').value;
  timer = setInterval(() => {
    if (pos >= S.count) return play();
    go(pos + Math.max(1, Math.round(perSecond / 20)));
  }, Math.max(50, 1000 / perSecond));
}

// ---- start ---------------------------------------------------------------------------------

async function main() {
  const t0 = performance.now();
  data = await loadData();
  S = new Stepper(data);
  const title = data.lesson ? `Lesson ${data.lesson.number}: ${data.lesson.title}` : `${data.trace} (${data.program})`;
  document.title = 'heap stepper: ' + title;
  $('title').textContent = title;
  $('lesson').textContent = data.lesson ? data.lesson.text : '';
  $('meta').textContent = `glibc ${data.release} behaviour, tcache_count ${data.tcache_count}; calls ${data.from} to ${data.from + S.count - 1} of ${data.total}` +
    (data.threads > 1 ? `; the trace's ${data.threads} threads replayed on threads of their own, taking turns in the trace's order` : '');
  $('legend').innerHTML = Object.entries(COLOURS).map(([k, c]) => `<span><i style="background:${c}"></i>${k}</span>`).join('') +
    '<span><i class="changed"></i>changed by this call</span>';
  const slider = $('slider');
  slider.max = S.count;
  slider.addEventListener('input', () => go(+slider.value));
  $('prev').onclick = () => go(pos - 1);
  $('next').onclick = () => go(pos + 1);
  $('play').onclick = play;
  $('jump-form').onsubmit = (e) => { e.preventDefault(); jump($('jump').value); };
  $('strip').addEventListener('scroll', drawStrip);
  $('strip').addEventListener('click', stripHit);
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-addr]');
    if (!a) return;
    e.preventDefault();
    const row = S.at(pos).chunks[+a.dataset.arena]?.get(+a.dataset.addr);
    if (row) { select(row); scrollStripTo(row); drawStrip(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT' && e.target.type !== 'range') return;
    if (e.key === 'ArrowRight') { go(pos + 1); e.preventDefault(); }
    if (e.key === 'ArrowLeft') { go(pos - 1); e.preventDefault(); }
  });
  window.addEventListener('resize', () => { layoutStep = -1; go(pos); });
  setUpCalls();
  go(data.lesson ? 0 : 1);
  document.body.dataset.loadMs = Math.round(performance.now() - t0);
  document.body.dataset.ready = '1';
}

main().catch((e) => {
  $('title').textContent = 'This page could not be read: ' + e.message;
  document.body.dataset.ready = 'error';
});
