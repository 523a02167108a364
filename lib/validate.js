'use strict';
// The validation helpers every option reader uses: a bad value gets a
// TypeError or RangeError that names the option, what was expected and what
// was received (sharp's style); an unknown key is named with the closest
// known one; options are read as own properties only, so nothing inherited
// (a polluted Object.prototype) is ever taken for an option.

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number': case 'bigint': case 'boolean': return `${typeof value} ${String(value)}`;
    case 'undefined': return 'undefined';
    case 'function': return 'a function';
    case 'symbol': return 'a symbol';
    default: {
      let name = 'Object';
      try {
        const c = Object.getPrototypeOf(value);
        if (c && c.constructor && typeof c.constructor.name === 'string') name = c.constructor.name;
      } catch {
        // a Proxy or an exotic prototype: 'Object' it is
      }
      return `an instance of ${name}`;
    }
  }
}

/**
 * The error for a bad value: names it, says what was expected and what was
 * received. `says`, when given, is a sentence put first (lib/options.js passes
 * Piscina's sentence for the same mistake, which Piscina's users match on).
 */
function invalid(name, expected, value, Ctor = TypeError, says = null) {
  const ours = `xpected ${expected} for ${name} but received ${describe(value)}`;
  const err = new Ctor(says ? `${says}: e${ours}` : `E${ours}`);
  err.code = Ctor === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE';
  return err;
}

function levenshtein(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function unknownKey(kind, key, known) {
  let best = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = levenshtein(key, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  const hint = bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? ` Did you mean '${best}'?` : '';
  const err = new TypeError(`Unknown ${kind} '${key}'.${hint}`);
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

/**
 * The own enumerable properties of `given` among `known`, as a plain
 * null-prototype object; throws for an unknown key. Inherited properties
 * are never read.
 */
function readOwn(given, known, kind) {
  const out = Object.create(null);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw unknownKey(kind, key, known);
    out[key] = given[key];
  }
  return out;
}

module.exports = { describe, invalid, unknownKey, readOwn };
