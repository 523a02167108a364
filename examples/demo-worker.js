'use strict';
// The worker file of examples/demo.js: a default export and a named one.
const { createHash } = require('node:crypto');

module.exports = (n) => n * 2;

module.exports.hash = ({ text, rounds }) => {
  let digest = text;
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
};
