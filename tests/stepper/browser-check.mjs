// browser-check.mjs - the pages in Chromium, as a student uses them.
//
//   node tests/stepper/browser-check.mjs PAGEDIR TOURDIR SHOTDIR [DEMO.html]
//
// Opens the tour's fastbin lesson, steps forward and back with the arrow keys
// and checks each call's path label and the bins and chunk counts shown against
// what the lesson teaches and what the tour's own dump (TOURDIR/step-002.json)
// shows; jumps by address and checks the chunk panel; steps through the lessons
// of threads and checks the arenas shown, which arena each call used and a
// thread arena's chunk count against the tour's dump (TOURDIR/step-008.json);
// checks the cache lesson's labels; opens a demo page and checks that the call list and the strip draw only
// what is in view.  Screenshots go to SHOTDIR.  Prints "ok"/"FAIL" lines.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tools/stepper/package.json', import.meta.url));
const puppeteer = require('puppeteer-core');
const [pageDir, tourDir, shotDir, demo] = process.argv.slice(2);
let failed = 0;
const check = (name, cond, detail = '') => {
  console.log(`${cond ? 'ok  ' : 'FAIL'} - ${name}${cond ? '' : ' ' + detail}`);
  if (!cond) failed++;
};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  headless: true,
});
const errors = [];

async function open(file) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 850 });
  page.on('pageerror', (e) => errors.push(`${file}: ${e.message}`));
  await page.goto('file://' + file);
  await page.waitForSelector('body[data-ready]');
  return page;
}

const shown = (page) => page.evaluate(() => ({
  where: document.getElementById('where').textContent,
  call: document.getElementById('current-call').textContent,
  path: document.getElementById('current-path').textContent,
  chunks: [...document.querySelectorAll('.arena')].map((a) => +a.dataset.chunks),
  arenas: [...document.querySelectorAll('.arena')].map((a) => ({ index: +a.dataset.index, main: a.dataset.main === '1',
    chunks: +a.dataset.chunks, used: a.classList.contains('used') })),
  bins: [...document.querySelectorAll('.bin')].map((b) => ({ kind: b.dataset.kind, count: +b.dataset.count })),
  currentRow: document.querySelector('.call.current')?.textContent ?? '',
  ready: document.body.dataset.ready,
}));

// ---- lesson 2: fastbins are LIFO ----------------------------------------------------
{
  const page = await open(`${pageDir}/tour-02.html`);
  let s = await shown(page);
  check('lesson 2 opens before its first call', s.ready === '1' && /before the first call/.test(s.where), s.where);
  // The lesson: three malloc(40) cut from top, two frees onto the fastbin,
  // two malloc(40) served by it, the chunk freed last first.
  const story = ['use_top', 'use_top', 'use_top', 'fastbin', 'fastbin', 'fastbin', 'fastbin'];
  const seen = [];
  for (let i = 0; i < story.length; i++) {
    await page.keyboard.press('ArrowRight');
    s = await shown(page);
    seen.push(s.path);
    check(`lesson 2, call ${i + 1} (${s.call}): path "${s.path}" and the call list's row is highlighted`,
      s.path === story[i] && s.currentRow.includes(s.call.split(' = ')[0]), JSON.stringify(s));
    if (i === 4) {
      // After the two frees: the tour's own dump of this moment.
      const dump = JSON.parse(readFileSync(`${tourDir}/step-002.json`, 'utf8'));
      const fast = dump.arenas[0].bins.filter((b) => b.kind === 'fast').map((b) => b.chunks.length);
      check('after the frees, the arena\'s chunk count is the tour dump\'s', s.chunks[0] === dump.arenas[0].chunks.length,
        `${s.chunks[0]} vs ${dump.arenas[0].chunks.length}`);
      check('after the frees, the fastbin holds the two chunks, as in the tour dump',
        JSON.stringify(s.bins.filter((b) => b.kind === 'fast').map((b) => b.count)) === JSON.stringify(fast) && fast[0] === 2,
        JSON.stringify(s.bins));
      await page.screenshot({ path: `${shotDir}/tour-02-after-frees.png` });
    }
  }
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  s = await shown(page);
  check('two steps back, the fastbin holds two chunks again', s.bins.some((b) => b.kind === 'fast' && b.count === 2), JSON.stringify(s.bins));
  await page.keyboard.press('ArrowRight');
  s = await shown(page);
  check('one forward: the first malloc took one of them (LIFO), one is left', s.bins.filter((b) => b.kind === 'fast').map((b) => b.count).join() === '1', JSON.stringify(s.bins));

  // Jump by address: the memory the first malloc(40) returned.
  const addr = await page.evaluate(() => /= (0x[0-9a-f]+)/.exec(document.querySelectorAll('.call')[1].textContent)[1]);
  await page.click('#jump', { clickCount: 3 });
  await page.type('#jump', addr);
  await page.keyboard.press('Enter');
  const panel = await page.evaluate(() => document.querySelector('[data-field="chunk"]')?.textContent ?? '');
  const chunk = '0x' + (parseInt(addr, 16) - 16).toString(16);
  s = await shown(page);
  check(`jump to ${addr}: the chunk panel shows chunk ${chunk}`, panel.startsWith(chunk), panel);
  check('the jump landed on a call about that memory', s.call.includes(addr) || /free/.test(s.call), s.call);
  const fields = await page.evaluate(() => [...document.querySelectorAll('#chunk .field')].map((f) => f.textContent));
  check('the chunk panel has prev_size and size (A|M|P)', fields.includes('prev_size') && fields.includes('size'), fields.join());
  await page.screenshot({ path: `${shotDir}/tour-02-jump.png` });
  await page.close();
}

// ---- lessons 8 and 9: a second thread, its arena, and a free into it from the main thread ----------
{
  const page = await open(`${pageDir}/tour-08.html`);
  // The lesson: the main thread allocates (in main_arena), then the second
  // thread makes four calls, all in the arena it gets at its first call.
  const threads = [], used = [];
  let s;
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('ArrowRight');
    s = await shown(page);
    threads.push(s.call.split(' ')[0]);
    used.push(s.arenas.filter((a) => a.used).map((a) => a.index).join() + (/in arena \d/.test(s.path) ? '' : '?'));
    if (i === 1) {
      check('lesson 8: the second thread\'s first call makes a thread arena',
        s.arenas.length === 2 && s.arenas[0].main && !s.arenas[1].main, JSON.stringify(s.arenas));
      await page.screenshot({ path: `${shotDir}/tour-08-thread-arena.png` });
    }
  }
  check('lesson 8: the calls are the main thread\'s, then the second thread\'s', threads.join() === 't0,t1,t1,t1,t1', threads.join());
  check('lesson 8: the main thread\'s call used main_arena, the second thread\'s its own arena (page and call list agree)',
    used.join() === '0,1,1,1,1', used.join());
  const dump = JSON.parse(readFileSync(`${tourDir}/step-008.json`, 'utf8'));
  check(`lesson 8: ${s.arenas.length} arenas, as in the tour's dump`, s.arenas.length === dump.arenas.length, `${dump.arenas.length}`);
  const mine = s.arenas.find((a) => !a.main), theirs = dump.arenas.find((a) => !a.is_main && a.index === mine?.index);
  check(`lesson 8: the thread arena holds ${mine?.chunks} chunks, as in the tour's dump`, mine && theirs && mine.chunks === theirs.chunks.length,
    `${mine?.chunks} vs ${theirs?.chunks.length}`);
  check('lesson 8: the second thread\'s free put its 1200-byte chunk in the thread arena\'s unsorted bin',
    /unsorted/.test(s.path) && s.bins.some((b) => b.kind === 'unsorted' && b.count >= 1), `${s.path} ${JSON.stringify(s.bins)}`);
  check('lesson 8: the second thread\'s last call says the thread ends there (its last in the trace)', /; t1 ends$/.test(s.path), s.path);
  await page.screenshot({ path: `${shotDir}/tour-08-after-free.png` });
  await page.close();

  const page9 = await open(`${pageDir}/tour-09.html`);
  await page9.keyboard.press('ArrowRight');
  s = await shown(page9);
  check('lesson 9: the main thread frees the second thread\'s chunk into the thread arena',
    s.call.startsWith('t0 free') && s.arenas.some((a) => a.used && !a.main) && /in arena [1-9]/.test(s.path), JSON.stringify(s));
  await page9.screenshot({ path: `${shotDir}/tour-09-free-from-main.png` });
  await page9.close();
}

// ---- lesson 10: the per-thread cache ---------------------------------------------------
{
  const page = await open(`${pageDir}/tour-10.html`);
  const labels = await page.evaluate(() => {
    const out = [];
    const step = () => document.getElementById('next').click();
    for (let i = 0; i < 28; i++) {
      step();
      // The tour has two threads, so each call names its own ("t0 "): all the main thread's here.
      out.push([document.getElementById('current-call').textContent.replace(/^t0 /, ''),
                document.getElementById('current-path').textContent]);
    }
    return out;
  });
  const frees = labels.filter(([c]) => c.startsWith('free')).map(([, p]) => p);
  check('lesson 10: nine frees, seven into the cache then two onto the fastbin',
    frees.join() === 'tcache_put,tcache_put,tcache_put,tcache_put,tcache_put,tcache_put,tcache_put,fastbin,fastbin', frees.join());
  check('lesson 10: the last malloc(40) is served by tcache_get', labels[27][1] === 'tcache_get', labels[27].join(' '));
  await page.evaluate(() => { for (let i = 0; i < 1; i++) document.getElementById('prev').click(); });
  const s = await shown(page);
  check('after the nine frees: a cache bin of seven', s.bins.some((b) => b.kind === 'tcache' && b.count === 7), JSON.stringify(s.bins));
  await page.screenshot({ path: `${shotDir}/tour-10-cache-full.png` });
  await page.close();
}

// ---- a demo page: long, and drawn only where it is seen ---------------------------------------
if (demo) {
  const page = await open(demo);
  const info = await page.evaluate(() => ({ ms: +document.body.dataset.loadMs, max: +document.getElementById('slider').max }));
  const last = await page.evaluate(() => {
    const rows = document.querySelectorAll('.call');
    return rows.length;
  });
  check(`demo page: ${info.max} steps, ${last} call rows in the document (the list is virtual)`, info.max > 1000 && last < 100, `${last}`);
  const lastCall = await page.evaluate(() => +document.querySelector('.call:last-child .num')?.textContent.slice(1));
  await page.click('#jump', { clickCount: 3 });
  const target = String(info.max - 2);
  await page.type('#jump', target);
  await page.keyboard.press('Enter');
  const s = await shown(page);
  check(`jump to call ${target}`, s.where.includes(`call #${target}`), s.where);
  const drawn = await page.evaluate(() => ({ drawn: +document.getElementById('strip-canvas').dataset.drawn,
    total: [...document.querySelectorAll('.arena')].reduce((t, a) => t + +a.dataset.chunks, 0) }));
  check(`the strip draws the chunks in view (${drawn.drawn} of ${drawn.total})`, drawn.drawn > 0 && drawn.drawn <= drawn.total, JSON.stringify(drawn));
  await page.screenshot({ path: `${shotDir}/demo-end.png` });
  console.log(`# ${demo}: loaded in ${info.ms} ms (not a test: the machine's load moves it)`);
  void lastCall;
  await page.close();
}

check('no script error on any page', errors.length === 0, errors.join('; '));
await browser.close();
process.exit(failed ? 1 : 0);
