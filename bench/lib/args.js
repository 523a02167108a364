'use strict';

// Command-line options shared by all bench scripts:
//   --json          print JSON only
//   --rounds N      rounds (each library runs once per round, in a fresh process)
//   --libs a,b      restrict to some libraries
//   --no-write      do not write bench/results/<name>.json
//   --child LIB     internal: run one measurement for LIB in this process
// Anything else of the form --key value / --key=value is kept in `extra`.

function parseArgs(argv = process.argv.slice(2)) {
  const out = { json: false, rounds: undefined, libs: undefined, write: true, child: undefined, extra: {} };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = () => (value !== undefined ? value : argv[++i]);
    switch (a) {
      case '--json': out.json = true; break;
      case '--no-write': out.write = false; break;
      case '--rounds': out.rounds = positiveInt('--rounds', next()); break;
      case '--libs': out.libs = next().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--child': out.child = next(); break;
      default:
        if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
        out.extra[a.slice(2)] = value !== undefined ? value
          : (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : true);
    }
  }
  return out;
}

function positiveInt(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} expects a positive integer, got ${v}`);
  return n;
}

// A positive integer option --name of a script that takes only such options
// (a diagnostic run outside the harness), or `fallback` when not given.
function intOption(name, fallback, argv = process.argv.slice(2)) {
  const v = parseArgs(argv).extra[name];
  return v === undefined ? fallback : positiveInt(`--${name}`, v);
}

module.exports = { parseArgs, positiveInt, intOption };
