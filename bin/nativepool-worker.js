#!/usr/bin/env node
'use strict';
// nativepool-worker --queue <name> --redis <url|socket> --filename <file> [--threads N] [--runtime thread|process]
// See lib/bullmq/cli.js and the README's "Across machines" section.
const { main } = require('../lib/bullmq/cli');

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nativepool-worker: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
