'use strict';
// Loads the addon once per environment (main thread and each worker).
// NATIVEPOOL_ADDON=/abs/path/nativepool.node loads that file instead of the
// usual candidates (the sanitizer run uses it for its instrumented build).
const path = require('node:path');
const fs = require('node:fs');

function load() {
  const forced = process.env.NATIVEPOOL_ADDON;
  if (forced) {
    if (!path.isAbsolute(forced) || !fs.existsSync(forced)) {
      throw new Error(`nativepool: NATIVEPOOL_ADDON must be the absolute path of a built nativepool.node, got ${JSON.stringify(forced)}`);
    }
    return require(forced);
  }
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

module.exports = binding;
