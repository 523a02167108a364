'use strict';
// An Express service whose routes await a nativepool: the event loop only parses,
// validates and answers; the loops run on the pool's threads.
//   node examples/express-compute/server.js     (or: npm run example:express-compute)
// Environment: PORT, THREADS, MAX_QUEUE, TASK_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS (see README.md).
const Pool = require('nativepool');
const { poolOptions, startService } = require('../shared/service');
const { computeApp, WORKER } = require('./app');

startService('express-compute', (config) => {
  const pool = new Pool(poolOptions(config, WORKER));
  return { app: computeApp(pool), pool };
});
