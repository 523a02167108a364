'use strict';
// examples/image-service, started by `npm run example:image-service` and driven over
// real HTTP with multipart uploads; inputs are made with sharp and outputs checked with sharp.
const assert = require('node:assert/strict');
const path = require('node:path');
const sharp = require('sharp');
const Pool = require('../..');
const binding = require('../../lib/binding');
const { startExample, get, until } = require('./helpers/service');

const WORKER = path.resolve(__dirname, '..', '..', 'examples', 'image-service', 'worker.js');

/** A width × height test image (a gradient with some noise) encoded as `format`. */
function makeImage(width, height, format = 'png') {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 }, noise: { type: 'gaussian', mean: 120, sigma: 40 } } })
    .toFormat(format)
    .toBuffer();
}

function upload(url, bytes, { field = 'image', signal, timeoutMs = 30000 } = {}) {
  const form = new FormData();
  if (bytes) form.append(field, new Blob([bytes]), 'upload.bin');
  return get(url, { method: 'POST', body: form, signal, timeoutMs });
}

async function resized(svc, query, bytes) {
  const form = new FormData();
  form.append('image', new Blob([bytes]), 'upload.bin');
  const res = await fetch(`${svc.url}/resize?${query}`, { method: 'POST', body: form, signal: AbortSignal.timeout(30000) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, meta: res.status === 200 ? await sharp(body).metadata() : null };
}

describe('examples/image-service', function () {
  this.timeout(60000);

  describe('the worker file, through a Pool', () => {
    let pool;
    before(() => { pool = new Pool({ filename: WORKER, minThreads: 1, maxThreads: 1 }); });
    after(() => pool.destroy());

    it('takes the upload as a moved pool buffer and returns the image in a pool buffer (no copy either way)', async () => {
      const input = await makeImage(64, 48, 'png');
      const image = Pool.buffer(input.length);
      new Uint8Array(image).set(input);
      const out = await pool.run({ image, width: 32, height: 24, format: 'jpeg' }, { name: 'resize', transferList: [image] });
      assert.equal(image.byteLength, 0, 'the upload was moved (detached here)');
      assert.ok(out.data instanceof ArrayBuffer);
      assert.ok(binding.isPoolBuffer(out.data), 'the result is a pool buffer, moved by pointer');
      assert.deepStrictEqual({ format: out.format, width: out.width, height: out.height, size: out.size },
        { format: 'jpeg', width: 32, height: 24, size: out.data.byteLength });
      const meta = await sharp(Buffer.from(out.data)).metadata();
      assert.deepStrictEqual([meta.format, meta.width, meta.height], ['jpeg', 32, 24]);
    });
  });

  describe('npm run example:image-service (THREADS=2, MAX_UPLOAD_BYTES=300000)', () => {
    let svc;
    before(async () => {
      svc = await startExample('image-service', { env: { THREADS: '2', MAX_UPLOAD_BYTES: '300000' } });
    });
    after(() => svc && svc.kill());

    it('answers GET /health with 200 {"ok":true}', async () => {
      const r = await get(`${svc.url}/health`);
      assert.equal(r.status, 200);
      assert.deepStrictEqual(r.json(), { ok: true });
    });

    for (const [from, to] of [['png', 'webp'], ['jpeg', 'png'], ['webp', 'jpeg']]) {
      it(`resizes a ${from} upload to the requested width × height as ${to}, with Content-Type image/${to}`, async () => {
        const r = await resized(svc, `width=120&height=90&format=${to}`, await makeImage(320, 200, from));
        assert.equal(r.status, 200, r.body.toString());
        assert.equal(r.headers.get('content-type'), `image/${to}`);
        assert.equal(Number(r.headers.get('content-length')), r.body.length);
        assert.deepStrictEqual([r.meta.format, r.meta.width, r.meta.height], [to, 120, 90]);
        assert.deepStrictEqual([r.headers.get('x-image-width'), r.headers.get('x-image-height')], ['120', '90']);
      });
    }

    it('keeps the aspect ratio when only the width is given, and the input format when no format is', async () => {
      const r = await resized(svc, 'width=200', await makeImage(400, 300, 'jpeg'));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'image/jpeg');
      assert.deepStrictEqual([r.meta.format, r.meta.width, r.meta.height], ['jpeg', 200, 150]);
    });

    it('answers a bad parameter or a missing upload with 400 and a JSON message', async () => {
      const png = await makeImage(40, 30);
      const cases = [
        ['width=0', png, 'width'], ['width=abc', png, 'width'], ['height=-5', png, 'height'], ['width=99999', png, 'width'],
        ['width=10&format=gif', png, 'format'], ['format=png', png, 'width, height or both'], ['width=10', null, "field 'image'"],
      ];
      for (const [query, bytes, mention] of cases) {
        const r = await upload(`${svc.url}/resize?${query}`, bytes);
        assert.equal(r.status, 400, `${query}: ${r.body}`);
        assert.ok(r.json().error.includes(mention), `${query}: ${r.body}`);
      }
      const wrongField = await upload(`${svc.url}/resize?width=10`, png, { field: 'photo' });
      assert.equal(wrongField.status, 400, wrongField.body);
    });

    it('answers an upload over MAX_UPLOAD_BYTES with 413', async () => {
      const r = await upload(`${svc.url}/resize?width=10`, Buffer.alloc(400000, 1));
      assert.equal(r.status, 413, r.body);
      assert.equal(r.json().code, 'LIMIT_FILE_SIZE');
    });

    it('answers bytes sharp cannot decode with 500 JSON (the handler threw) and keeps serving', async () => {
      const r = await upload(`${svc.url}/resize?width=10`, Buffer.from('this is not an image at all'));
      assert.equal(r.status, 500, r.body);
      assert.match(r.json().error, /unsupported image format/);
      const ok = await resized(svc, 'width=16&height=16&format=png', await makeImage(32, 32));
      assert.equal(ok.status, 200);
    });

    it('counts images processed and failed at /stats, with the pool figures', async () => {
      const before = (await get(`${svc.url}/stats`)).json();
      const input = await makeImage(64, 64);
      await Promise.all([1, 2, 3, 4].map(() => resized(svc, 'width=8&format=webp', input)));
      await upload(`${svc.url}/resize?width=10`, Buffer.from('nope'));
      const after = (await get(`${svc.url}/stats`)).json();
      assert.equal(after.images.processed - before.images.processed, 4);
      assert.equal(after.images.failed - before.images.failed, 1);
      assert.equal(after.images.bytesIn - before.images.bytesIn, 4 * input.length);
      assert.equal(after.pool.completed - before.pool.completed, 5);
      assert.equal(after.pool.threads, 2);
    });

    it('on SIGTERM answers every upload in flight with its image, and exits 0', async () => {
      // ~180 kB (under MAX_UPLOAD_BYTES), upscaled: a few hundred ms of work each.
      const input = await sharp(await makeImage(1000, 750, 'png')).jpeg({ quality: 50 }).toBuffer();
      const sizes = [[1600, 1200], [1400, 1050], [1200, 900], [1000, 750], [800, 600], [600, 450]];
      const all = sizes.map(([w, h]) => resized(svc, `width=${w}&height=${h}&format=png`, input));
      await until(async () => (await get(`${svc.url}/stats`)).json().pool.pendingCount >= 4, 20000, 'uploads to reach the pool');
      svc.signal('SIGTERM');
      const answers = await Promise.all(all);
      answers.forEach((r, i) => {
        assert.equal(r.status, 200, r.body.toString());
        assert.deepStrictEqual([r.meta.format, r.meta.width, r.meta.height], ['png', ...sizes[i]]);
      });
      assert.deepStrictEqual(await svc.waitExit(), { code: 0, signal: null }, svc.output());
    });
  });

  describe('node examples/image-service/server.js (THREADS=1, MAX_QUEUE=0)', () => {
    let svc;
    before(async () => {
      svc = await startExample('image-service', { via: 'node', env: { THREADS: '1', MAX_QUEUE: '0' } });
    });
    after(() => svc && svc.kill());

    it('answers 503 with Retry-After while its one thread is busy, and aborts the task of a client that leaves', async () => {
      const big = await makeImage(2400, 1800, 'jpeg');
      const client = new AbortController();
      const slow = upload(`${svc.url}/resize?width=4000&height=3000&format=webp`, big, { signal: client.signal }).catch((err) => err);
      await until(async () => (await get(`${svc.url}/stats`)).json().pool.pendingCount === 1, 20000, 'the slow resize to run');
      const r = await upload(`${svc.url}/resize?width=10`, await makeImage(20, 20));
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers.get('retry-after'), '1');
      client.abort();
      assert.equal((await slow).name, 'AbortError');
      const s = await until(async () => {
        const v = (await get(`${svc.url}/stats`)).json();
        return v.pool.pendingCount === 0 && v.requests.aborted === 1 && v;
      }, 30000, 'the slow resize to be aborted');
      assert.equal(s.images.processed, 0);
      const ok = await resized(svc, 'width=10&height=10&format=png', await makeImage(20, 20));
      assert.equal(ok.status, 200);
    });
  });
});
