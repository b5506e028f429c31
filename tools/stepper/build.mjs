// build.mjs - one stepper page from one arena-step file:
//
//   node tools/stepper/build.mjs STEPS.json OUT.html
//
// Bundles src/page.js and its library with esbuild, compresses the steps with
// gzip (the browser's DecompressionStream opens them again) and writes both
// into src/page.html: one file, no server, no network.
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const MAX_INPUT = 1 << 30; // what arena-step writes for its largest window is far below this

function fail(msg) {
  console.error(`stepper: ${msg}`);
  process.exit(1);
}

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node tools/stepper/build.mjs STEPS.json OUT.html');
  process.exit(2);
}
let size;
try { size = statSync(input).size; } catch (e) { fail(`${input}: ${e.message}`); }
if (size > MAX_INPUT) fail(`${input}: ${size} bytes is more than a page can hold; choose a shorter window (COUNT=)`);
const text = readFileSync(input, 'utf8');
let data;
try { data = JSON.parse(text); } catch (e) { fail(`${input}: not an arena-step file (${e.message})`); }
if (data?.version !== 1 || !Array.isArray(data.calls) || !Array.isArray(data.diffs) ||
    data.diffs.length !== data.calls.length + 1)
  fail(`${input}: not an arena-step file of version 1 (calls and steps do not match)`);

const bundle = buildSync({
  entryPoints: [join(here, 'src/page.js')], bundle: true, minify: process.env.STEPPER_MINIFY !== '0', format: 'iife', write: false,
  target: 'es2020', legalComments: 'inline',
}).outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
const packed = gzipSync(Buffer.from(text), { level: 9 }).toString('base64');
const page = readFileSync(join(here, 'src/page.html'), 'utf8')
  .replace('/*DATA*/', () => packed.replace(/.{1,120}/g, '$&\n'))
  .replace('/*BUNDLE*/', () => bundle);
writeFileSync(output, page);
console.log(`${output}: ${data.calls.length} calls, ${(page.length / 1048576).toFixed(2)} MB`);
