'use strict';
// nativepool/bullmq — the same run() across machines, on BullMQ and Redis.
//   producer: new RemotePool({ queue, connection, defaults })   (producer.js)
//   consumer: serveQueue({ queue, connection, pool, concurrency }) (consumer.js)
//   CLI:      nativepool-worker (cli.js, bin/nativepool-worker.js)
// bullmq and ioredis are optional peer dependencies, loaded on first use.
const { RemotePool } = require('./producer');
const { serveQueue, QueueServer } = require('./consumer');
const { bullPriority } = require('./options');
const { CANCEL_EVENT } = require('./protocol');

module.exports = { RemotePool, serveQueue, QueueServer, bullPriority, CANCEL_EVENT };
