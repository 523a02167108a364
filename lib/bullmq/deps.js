'use strict';
// bullmq (and ioredis, which it loads) are optional peer dependencies: only
// users of nativepool/bullmq install them. Load on first use, with a coded
// error that says what to install.
const { errors } = require('../errors');

let bullmq = null;

function loadBullmq() {
  if (bullmq) return bullmq;
  try {
    bullmq = require('bullmq');
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && /'bullmq'/.test(err.message)) throw errors.missingPeer('bullmq', err);
    throw err;
  }
  return bullmq;
}

/** The Redis client (BullMQ's IRedisClient) behind a Queue: the Redis backend's escape hatch. */
function redisClient(queue) {
  return queue.getBackend().client;
}

module.exports = { loadBullmq, redisClient };
