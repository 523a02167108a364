'use strict';
// An image service: multer takes the upload into memory, sharp resizes it in the
// pool's worker threads, and the bytes go both ways without a structured-clone copy.
//   POST /resize?width=W&height=H&format=png|jpeg|webp   multipart field `image`
//     -> the resized image, Content-Type image/<format>, X-Image-Width / X-Image-Height
//   GET /stats -> pool figures and images processed; GET /health -> {"ok":true}
//   node examples/image-service/server.js     (or: npm run example:image-service)
// Environment: PORT, THREADS, MAX_QUEUE, TASK_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS (see
// ../shared/service.js), MAX_UPLOAD_BYTES (default 20 MiB), MAX_DIMENSION (default 8192).
const path = require('node:path');
const multer = require('multer');
const Pool = require('nativepool');
// sharp's shared libraries must be loaded by the main thread before any worker loads
// them, so that a worker's exit never unloads them (sharp's docs, glibc).
require('sharp');
const { poolOptions, startService, createApp, envInt, intParam, stringParam, requestSignal, badRequest } = require('../shared/service');
const { FORMATS } = require('./worker');

startService('image-service', (config) => {
  const maxUpload = envInt('MAX_UPLOAD_BYTES', 20 * 1024 * 1024, { min: 1 });
  const maxDimension = envInt('MAX_DIMENSION', 8192, { min: 1 });
  const pool = new Pool(poolOptions(config, path.join(__dirname, 'worker.js')));

  const images = { processed: 0, failed: 0, bytesIn: 0, bytesOut: 0 };
  const app = createApp(pool, { figures: () => ({ images }) });
  const multipart = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxUpload, files: 1 } }).single('image');
  // multer's errors are the client's: 413 for an upload over MAX_UPLOAD_BYTES, 400 otherwise.
  const upload = (req, res, next) => multipart(req, res, (err) => {
    if (err && err.name === 'MulterError') err.status = err.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
    next(err);
  });

  app.post('/resize', upload, async (req, res) => {
    const width = intParam(req.query, 'width', { min: 1, max: maxDimension, fallback: null });
    const height = intParam(req.query, 'height', { min: 1, max: maxDimension, fallback: null });
    if (width === null && height === null) throw badRequest('Expected width, height or both');
    const format = stringParam(req.query, 'format', { allowed: FORMATS, fallback: null });
    if (!req.file) throw badRequest("Expected a multipart/form-data upload with the image in the field 'image'");

    // One memcpy into memory the pool owns; from there it moves to the worker by pointer.
    const bytes = req.file.buffer;
    const image = Pool.buffer(bytes.length);
    new Uint8Array(image).set(bytes);
    let out;
    try {
      out = await pool.run({ image, width, height, format }, { name: 'resize', transferList: [image], signal: requestSignal(res) });
    } catch (err) {
      images.failed++;
      throw err;
    }
    images.processed++;
    images.bytesIn += bytes.length;
    images.bytesOut += out.size;
    res.set({ 'Content-Type': `image/${out.format}`, 'X-Image-Width': String(out.width), 'X-Image-Height': String(out.height) });
    res.send(Buffer.from(out.data));
  });

  return { app, pool };
});
