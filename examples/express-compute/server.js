'use strict';
// An Express service whose routes await a nativepool: the event loop only parses,
// validates and answers; the loops run on the pool's threads.
//   node examples/express-compute/server.js     (or: npm run example:express-compute)
// Environment: PORT, THREADS, MAX_QUEUE, TASK_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS (see README.md).
const Pool = require('nativepool');
const { readConfig, poolOptions, serve } = require('../shared/service');
const { computeApp, WORKER } = require('./app');

const config = readConfig();
const pool = new Pool(poolOptions(config, WORKER));
serve(computeApp(pool), pool, config).catch((err) => {
  console.error(`express-compute: ${err.message}`);
  process.exit(1);
});
