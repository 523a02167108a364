'use strict';
// Loads the addon once per environment (main thread and each worker) and
// installs the structured-clone fallback the native codec calls for values
// its fast path does not carry.
const path = require('node:path');
const fs = require('node:fs');
const v8 = require('node:v8');
const { errors } = require('./errors');

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
binding.setCodecHooks(
  (value) => {
    try {
      return v8.serialize(value);
    } catch (err) {
      // V8 reports "<value> could not be cloned." as a plain Error.
      throw errors.dataClone(String(err && err.message).replace(/ could not be cloned\.?$/, ''), err);
    }
  },
  (bytes) => v8.deserialize(bytes),
);

module.exports = binding;
