// A node:test reporter for scripts/test-piscina.js: one JSON line per
// finished test, written as soon as the runner reports it, so the results of
// a test file that later hangs (and is killed) are not lost.
//   {"status":"pass"|"fail"|"skip","name":..., "suite":[...], "error":...}
//   {"diagnostic":...}  (e.g. an assertion that failed after its test ended)
//   {"output":...}      (what the test file's process printed)
// Suites (describe) are not tests: their children are reported instead.
import { inspect } from 'node:util';

const oneLine = (text, max = 300) => {
  const flat = String(text).replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** The failure in one line: code, message, and for an assertion actual/expected. */
function summary(err) {
  if (err === undefined || err === null) return '';
  // In --test mode an assertion arrives wrapped in an ERR_TEST_FAILURE whose
  // cause is the original error.
  const inner = err.code === 'ERR_TEST_FAILURE' && err.cause !== undefined ? err.cause : err;
  if (typeof inner === 'string') return oneLine(inner);
  if (inner === null || typeof inner !== 'object' || typeof inner.message !== 'string') return oneLine(inspect(inner));
  let text = `${inner.code ? `[${inner.code}] ` : ''}${inner.message}`;
  if (inner.code === 'ERR_ASSERTION' && /strictly|deep|equal/i.test(inner.message.split('\n')[0]) && 'actual' in inner) {
    const show = (v) => inspect(v, { breakLength: Infinity, depth: 2 });
    text = `[ERR_ASSERTION] actual ${show(inner.actual)}, expected ${show(inner.expected)}`;
  }
  return oneLine(text);
}

export default async function* jsonLines(source) {
  const open = []; // names of the tests started and not finished, by nesting
  for await (const event of source) {
    const d = event.data;
    if (event.type === 'test:start') {
      open[d.nesting] = d.name;
      continue;
    }
    if (event.type === 'test:diagnostic') {
      // The run's closing counts ("tests 2", "pass 1", ...) are not news.
      if (d.nesting === 0 && /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) \S+$/.test(d.message)) continue;
      yield `${JSON.stringify({ diagnostic: d.message })}\n`;
      continue;
    }
    if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      // What the test file's process printed (an error while loading, a crash).
      yield `${JSON.stringify({ output: d.message })}\n`;
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (d.details && d.details.type === 'suite') continue;
    const status = d.skip !== undefined || d.todo !== undefined ? 'skip' : event.type === 'test:pass' ? 'pass' : 'fail';
    const line = {
      status,
      name: d.name,
      suite: open.slice(0, d.nesting),
      skip: d.skip,
      error: status === 'fail' ? summary(d.details && d.details.error) : undefined,
      ms: d.details ? d.details.duration_ms : undefined,
    };
    yield `${JSON.stringify(line)}\n`;
  }
}
