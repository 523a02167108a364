'use strict';
// The worker file of the image-service example: sharp runs here, on the pool's threads.
//
// The upload arrives as an ArrayBuffer from Pool.buffer() (moved by pointer, no copy);
// the result goes back the same way: sharp's output is copied once into a pool buffer,
// which is returned as a transferable so it crosses by pointer too.
const Pool = require('nativepool');
const sharp = require('sharp');

const FORMATS = ['png', 'jpeg', 'webp'];

/**
 * Resizes `image` to width × height (either may be omitted: the aspect ratio is kept;
 * both: the image is cropped to cover the box) and encodes it as `format` (default: the
 * input's format when it is one of FORMATS, else png). Returns
 * { data: ArrayBuffer, format, width, height, size }, with `data` transferred.
 */
async function resize({ image, width, height, format }) {
  const input = sharp(Buffer.from(image), { failOn: 'error' });
  const meta = await input.metadata();
  const to = format || (FORMATS.includes(meta.format) ? meta.format : 'png');
  const { data, info } = await input
    .rotate() // honour EXIF orientation
    .resize(width, height)
    .toFormat(to)
    .toBuffer({ resolveWithObject: true });
  const out = Pool.buffer(data.length);
  new Uint8Array(out).set(data);
  const result = { data: out, format: info.format, width: info.width, height: info.height, size: info.size };
  return { [Pool.valueSymbol]: result, [Pool.transferableSymbol]: out };
}

module.exports = { resize, FORMATS };
