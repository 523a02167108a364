'use strict';
// Loads the addon once per environment (main thread and each worker) and
// hands it the converter's JS helpers (lib/wire-helpers.js).
const path = require('node:path');
const fs = require('node:fs');
const { makeWireHelpers } = require('./wire-helpers');

function load() {
  const root = path.resolve(__dirname, '..');
  const candidates = [
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nativepool.node'),
    path.join(root, 'build', 'Release', 'nativepool.node'),
    path.join(root, 'build', 'Debug', 'nativepool.node'),
  ];
  if (process.env.NATIVEPOOL_FORCE_BUILD) candidates.shift();
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    `nativepool: the native addon is not built (looked for ${candidates.join(', ')}). ` +
      'Run `npm run build` in the nativepool package folder.',
  );
}

const binding = load();
binding.initialize(makeWireHelpers(binding.constants.wire));

module.exports = binding;
