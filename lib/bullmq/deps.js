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

/**
 * close() of a Queue / QueueEvents, bounded: ioredis emits no 'end' for a
 * client disconnected while it waits to reconnect, and BullMQ 6 waits for that
 * 'end' (seen here: QueueEvents.close() after its connection dropped never
 * resolves). Past `ms`, the client has been told to disconnect and has no
 * reconnect timer left, so nothing is held open.
 */
async function closeBounded(obj, ms = 2000) {
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([obj.close(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { loadBullmq, redisClient, closeBounded };
