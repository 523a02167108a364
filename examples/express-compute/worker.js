'use strict';
// The worker file of the express-compute example: the CPU-heavy work, run on the pool's threads.

const { createHash } = require('node:crypto');

/**
 * 0 + 1 + … + (n − 1), by the loop (the point is to spend CPU), exactly: doubles are
 * exact below 2^53, so the loop adds in chunks whose partial sums stay below it and
 * carries them into a BigInt. Returns a BigInt.
 */
function compute({ n }) {
  const chunk = Math.max(1, Math.floor(2 ** 53 / Math.max(n, 1)));
  let total = 0n;
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + chunk);
    let partial = 0;
    for (; i < end; i++) partial += i;
    total += BigInt(partial);
  }
  return total;
}

/** SHA-256 of `text`, then of that hex digest, `rounds` times in all; the last hex digest. */
function hash({ text, rounds }) {
  let digest = text;
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
}

module.exports = { compute, hash };
