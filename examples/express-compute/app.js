'use strict';
// The express-compute routes on a pool, shared by server.js and examples/cluster.
//   GET /compute?n=<integer>         -> {"n":N,"sum":S}, S = 0 + 1 + … + (N − 1), computed in a worker
//   GET /hash?text=<string>&rounds=R -> {"text":T,"rounds":R,"hash":H}, H = SHA-256 chained R times (hex)
// plus /health and /stats from ../shared/service.js.
const path = require('node:path');
const { createApp, badRequest, intParam, stringParam, requestSignal } = require('../shared/service');

const WORKER = path.join(__dirname, 'worker.js');
const MAX_ROUNDS = 10_000_000;
const MAX_TEXT = 64 * 1024;

/** The app; `options` go to createApp() (e.g. `figures` for /stats). */
function computeApp(pool, options) {
  const app = createApp(pool, options);

  app.get('/compute', async (req, res) => {
    const n = intParam(req.query, 'n', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const sum = await pool.run({ n }, { name: 'compute', signal: requestSignal(res) });
    // The sum is a BigInt (exact past 2^53): written as a JSON number by hand.
    res.type('application/json').send(`{"n":${n},"sum":${sum}}`);
  });

  app.get('/hash', async (req, res) => {
    const text = stringParam(req.query, 'text');
    if (text.length > MAX_TEXT) throw badRequest(`Expected at most ${MAX_TEXT} characters for text but received ${text.length}`);
    const rounds = intParam(req.query, 'rounds', { min: 1, max: MAX_ROUNDS, fallback: 1 });
    const hash = await pool.run({ text, rounds }, { name: 'hash', signal: requestSignal(res) });
    res.json({ text, rounds, hash });
  });

  return app;
}

module.exports = { computeApp, WORKER };
