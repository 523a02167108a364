'use strict';
// nativepool-worker: a consumer process. Starts a local Pool on --filename,
// serves --queue from Redis into it, prints exactly one line on stdout when it
// is consuming:
//   nativepool-worker ready queue=<name> threads=<n>
// On SIGTERM or SIGINT it stops taking jobs, finishes the active ones, closes
// and exits 0 (a second signal exits 1 at once). Started by a parent with an
// IPC channel (fork), it shuts down the same way when that parent goes away.
const { parseArgs } = require('node:util');
const path = require('node:path');

const USAGE = `usage: nativepool-worker --queue <name> --redis <url|socket> --filename <file> [options]
  --queue <name>             BullMQ queue to consume
  --redis <url|socket>       redis://[user:pass@]host:port[/db], rediss://..., or a unix socket path
  --filename <file>          worker file of the local pool (its exports are the handlers)
  --threads <n>              threads of the local pool (min = max = n; default: the Pool's maxThreads default)
  --runtime thread|process   how the local pool runs its workers (default: thread)
  --concurrency <n>          jobs held at once (default: threads x concurrentTasksPerWorker)
  --prefix <prefix>          BullMQ key prefix (default: bull)
  --lock-duration <ms>       BullMQ lockDuration (default 10000)
  --stalled-interval <ms>    BullMQ stalledInterval (default 5000)
  --max-stalled-count <n>    BullMQ maxStalledCount (default 1)
  --help                     this text`;

class UsageError extends Error {}

function int(flag, text, min) {
  const n = Number(text);
  if (text === undefined) return undefined;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} expects an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** A URL stays a URL; host:port becomes redis://host:port; anything else is a socket path. */
function redisTarget(text) {
  if (/^[a-z]+:\/\//i.test(text)) return text;
  if (/^[\w.-]+:\d+$/.test(text)) return `redis://${text}`;
  return path.resolve(text);
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      redis: { type: 'string' },
      filename: { type: 'string' },
      threads: { type: 'string' },
      runtime: { type: 'string' },
      concurrency: { type: 'string' },
      prefix: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled-count': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: true };
  for (const flag of ['queue', 'redis', 'filename']) {
    if (!values[flag]) throw new UsageError(`--${flag} is required`);
  }
  if (values.runtime !== undefined && values.runtime !== 'thread' && values.runtime !== 'process') {
    throw new UsageError(`--runtime expects thread or process, got ${JSON.stringify(values.runtime)}`);
  }
  const worker = {};
  const lock = int('lock-duration', values['lock-duration'], 1);
  const stalled = int('stalled-interval', values['stalled-interval'], 1);
  const maxStalled = int('max-stalled-count', values['max-stalled-count'], 0);
  if (lock !== undefined) worker.lockDuration = lock;
  if (stalled !== undefined) worker.stalledInterval = stalled;
  if (maxStalled !== undefined) worker.maxStalledCount = maxStalled;
  return {
    queue: values.queue,
    redis: redisTarget(values.redis),
    filename: path.resolve(values.filename),
    threads: int('threads', values.threads, 1),
    runtime: values.runtime,
    concurrency: int('concurrency', values.concurrency, 1),
    prefix: values.prefix,
    worker,
  };
}

function poolOptions(args) {
  const { POOL_OPTIONS } = require('../options');
  const o = { filename: args.filename };
  if (args.threads !== undefined) {
    o.minThreads = args.threads;
    o.maxThreads = args.threads;
  } else {
    // A consumer is busy for as long as its queue is: keep every thread.
    const { DEFAULTS } = require('../options');
    o.minThreads = DEFAULTS.maxThreads;
  }
  // 'thread' is the Pool's only runtime until it has a `runtime` option.
  if (args.runtime !== undefined && (args.runtime !== 'thread' || POOL_OPTIONS.includes('runtime'))) o.runtime = args.runtime;
  return o;
}

async function main(argv = process.argv.slice(2)) {
  let args;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`nativepool-worker: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const Pool = require('..');
  const { serveQueue } = require('.');
  const pool = new Pool(poolOptions(args));
  const serveOptions = { queue: args.queue, connection: args.redis, pool, worker: args.worker };
  if (args.concurrency !== undefined) serveOptions.concurrency = args.concurrency;
  if (args.prefix !== undefined) serveOptions.prefix = args.prefix;
  const server = serveQueue(serveOptions);
  server.on('error', (err) => process.stderr.write(`nativepool-worker: ${err && err.message}\n`));
  pool.on('error', (err) => process.stderr.write(`nativepool-worker: pool: ${err && err.message}\n`));

  let stopping = null;
  const stop = (why) => {
    if (stopping) {
      process.stderr.write(`nativepool-worker: ${why} again, exiting now\n`);
      process.exit(1);
    }
    stopping = server.close().then(() => pool.close());
    return stopping;
  };
  const done = new Promise((resolve, reject) => {
    const onSignal = (sig) => stop(sig).then(resolve, reject);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (process.channel) {
      process.channel.unref();
      process.on('disconnect', () => onSignal('parent disconnected'));
    }
  });
  if (typeof pool.ready === 'function') await pool.ready();
  await server.ready();
  process.stdout.write(`nativepool-worker ready queue=${args.queue} threads=${pool.options.maxThreads}\n`);
  await done;
  return 0;
}

module.exports = { main, parse, USAGE };
