// render.js - opens every built deck in headless Chromium, renders each slide to
// PNG and checks it:
//
//   node tests/slides/render.js OUT
//
// OUT is where slides/build.py put the decks.  For every OUT/<deck>.html, every
// slide is shown alone (the HTML's #N navigation), written to OUT/png/<deck>-NN.png
// and checked: it has text or a picture besides its footer; every image on it
// loaded; nothing on it reaches past its edges; and every local image it shows is
// a file made by this build (not older than OUT/build-started).  Prints one line
// per deck and one per failure; exits 1 on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require(path.join(__dirname, '..', '..', 'slides', 'node_modules', 'puppeteer-core'));

async function checkSlide(page) {
  return page.evaluate(() => {
    const problems = [];
    const section = document.querySelector('.bespoke-marp-active section') ||
      document.querySelector('svg.bespoke-marp-active section');
    if (!section) return { problems: ['no active slide'], images: [] };
    const content = [...section.children].filter((e) => !['HEADER', 'FOOTER'].includes(e.tagName));
    const text = content.map((e) => e.innerText || e.textContent || '').join('').trim();
    const imgs = [...section.querySelectorAll('img')];
    if (!text && imgs.length === 0) problems.push('the slide is empty');
    for (const img of imgs) {
      if (!img.complete || img.naturalWidth === 0) problems.push(`image did not load: ${img.getAttribute('src')}`);
    }
    // The section is a fixed 1280x720 box: content taller or wider than it is cut off.
    if (section.scrollHeight > section.clientHeight + 1 || section.scrollWidth > section.clientWidth + 1) {
      problems.push(`content overflows the slide (${section.scrollWidth}x${section.scrollHeight} in ` +
        `${section.clientWidth}x${section.clientHeight})`);
    }
    const box = section.getBoundingClientRect();
    const scale = box.width / section.clientWidth;
    for (const e of section.querySelectorAll('pre, table, img, p, li, h1, h2')) {
      const r = e.getBoundingClientRect();
      if (r.bottom > box.bottom + 2 * scale || r.right > box.right + 2 * scale) {
        problems.push(`a ${e.tagName.toLowerCase()} reaches past the slide's edge: ` +
          `"${(e.innerText || e.getAttribute('src') || '').slice(0, 40).replace(/\s+/g, ' ')}"`);
      }
      if ((e.tagName === 'PRE' || e.tagName === 'TABLE') && e.scrollWidth > e.clientWidth + 1) {
        problems.push(`a ${e.tagName === 'PRE' ? 'code line' : 'table'} is wider than its box: "${e.innerText.slice(0, 40).replace(/\s+/g, ' ')}"`);
      }
      // The slide is a flex column: a crowded one shrinks a code block or table
      // to fit, and its last lines are cut off inside its own box.
      if ((e.tagName === 'PRE' || e.tagName === 'TABLE') && e.scrollHeight > e.clientHeight + 1) {
        problems.push(`a ${e.tagName === 'PRE' ? 'code block' : 'table'} is cut off at its foot: "${e.innerText.slice(0, 40).replace(/\s+/g, ' ')}"`);
      }
    }
    return { problems, images: imgs.map((i) => i.getAttribute('src')) };
  });
}

async function main() {
  const out = path.resolve(process.argv[2] || 'build/slides');
  const started = fs.statSync(path.join(out, 'build-started')).mtimeMs;
  const decks = fs.readdirSync(out).filter((f) => f.endsWith('.html')).sort();
  fs.mkdirSync(path.join(out, 'png'), { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
    headless: true,
  });
  let failures = 0;
  if (decks.length === 0) { console.log('FAIL - no deck was built'); failures++; }
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720 });
    for (const deck of decks) {
      const url = 'file://' + path.join(out, deck);
      await page.goto(url, { waitUntil: 'load' });
      await page.addStyleTag({ content: '.bespoke-marp-osc { display: none !important; }' });
      const count = await page.evaluate(() => document.querySelectorAll('svg[data-marpit-svg]').length);
      const bad = [];
      if (count === 0) bad.push('no slides');
      for (let i = 1; i <= count; i++) {
        await page.goto(`${url}#${i}`, { waitUntil: 'load' });
        await page.addStyleTag({ content: '.bespoke-marp-osc { display: none !important; }' });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const { problems, images } = await checkSlide(page);
        for (const src of images) {
          if (/^[a-z]+:/.test(src)) continue;
          const file = path.join(out, decodeURI(src));
          if (!fs.existsSync(file)) problems.push(`figure missing: ${src}`);
          else if (fs.statSync(file).mtimeMs < started) problems.push(`figure older than the build: ${src}`);
        }
        const png = path.join(out, 'png', `${deck.replace(/\.html$/, '')}-${String(i).padStart(2, '0')}.png`);
        await page.screenshot({ path: png });
        for (const p of problems) bad.push(`slide ${i}: ${p}`);
      }
      if (bad.length) {
        failures += bad.length;
        for (const b of bad) console.log(`FAIL - ${deck} ${b}`);
      } else {
        console.log(`ok   - ${deck}: ${count} slides rendered and checked`);
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL - ${e.stack || e}`); process.exit(1); });
