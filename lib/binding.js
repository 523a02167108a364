'use strict';
// Loads the addon once per environment (main thread and each worker) and
// hands it the converter's JS helpers (lib/wire-helpers.js).
//
// Candidates, first that loads wins:
//   build/Release  a build from source: the developer's, or the install script's
//                  when the prebuilt binary did not load on this machine
//   prebuilds/<platform>-<arch>  the binary shipped in the npm tarball (used even
//                  when install scripts were skipped: `npm install --ignore-scripts`)
//   build/Debug    `npm run build:debug`
// NATIVEPOOL_FORCE_BUILD=1 leaves the prebuilt binary out.
// NATIVEPOOL_ADDON=/abs/path/nativepool.node loads that file instead (the
// sanitizer run uses it for its instrumented build).
const path = require('node:path');
const fs = require('node:fs');
const { makeWireHelpers } = require('./wire-helpers');

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
    path.join(root, 'build', 'Release', 'nativepool.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nativepool.node'),
    path.join(root, 'build', 'Debug', 'nativepool.node'),
  ];
  if (process.env.NATIVEPOOL_FORCE_BUILD) candidates.splice(1, 1);
  const failures = [];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      return require(file);
    } catch (err) {
      failures.push(`${path.relative(root, file)}: ${err.message.split('\n')[0]}`);
    }
  }
  const found = failures.length > 0 ? ` Found but could not load: ${failures.join('; ')}.` : ` Looked for ${candidates.map((f) => path.relative(root, f)).join(', ')}.`;
  throw new Error(
    `nativepool: no usable native addon for ${process.platform}-${process.arch}.${found} ` +
      'Build it with `npm rebuild nativepool` (in a checkout: `npm run build`); that needs CMake >= 3.20 and a C++20 compiler.',
  );
}

const binding = load();
const wireHelpers = makeWireHelpers(binding.constants.wire);
binding.initialize(wireHelpers);
// run() encodes flat task arguments itself (lib/submit-batch.js).
Object.defineProperty(binding, 'wireHelpers', { value: wireHelpers });

module.exports = binding;
