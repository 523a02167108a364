'use strict';
// Retry policy: `retry: { attempts = 1, delay = 0, backoff = 'fixed' |
// 'exponential', maxDelay = Infinity, retryOn?(err, attempt) }`, a pool
// option (the default) and a run() option (overrides). `attempts` counts
// every try, BullMQ's convention: attempts 1 means no retry.
const { invalid, readOwn } = require('./validate');

// Failures a second try cannot change.
const NEVER_RETRIED = new Set(['ERR_TASK_ABORTED', 'ERR_POOL_CLOSED', 'ERR_DATA_CLONE', 'ERR_HANDLER_NOT_FOUND', 'ERR_QUEUE_FULL']);
const RETRY_KEYS = ['attempts', 'delay', 'backoff', 'maxDelay', 'retryOn'];

/** Validates a retry option; returns the policy, or null for "no retries". Throws TypeError/RangeError. */
function normalizeRetry(name, value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(name, 'an object { attempts, delay, backoff, maxDelay, retryOn }', value);
  const o = readOwn(value, RETRY_KEYS, `${name} option`);
  const p = { attempts: 1, delay: 0, backoff: 'fixed', maxDelay: Infinity, retryOn: null };
  if (o.attempts !== undefined) {
    if (!Number.isInteger(o.attempts)) throw invalid(`${name}.attempts`, 'an integer >= 1', o.attempts, typeof o.attempts === 'number' ? RangeError : TypeError);
    if (o.attempts < 1) throw invalid(`${name}.attempts`, 'an integer >= 1', o.attempts, RangeError);
    p.attempts = o.attempts;
  }
  for (const key of ['delay', 'maxDelay']) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== 'number' || Number.isNaN(o[key])) throw invalid(`${name}.${key}`, 'a number of milliseconds >= 0', o[key]);
    if (o[key] < 0) throw invalid(`${name}.${key}`, 'a number of milliseconds >= 0', o[key], RangeError);
    p[key] = o[key];
  }
  if (o.backoff !== undefined) {
    if (o.backoff !== 'fixed' && o.backoff !== 'exponential') throw invalid(`${name}.backoff`, "'fixed' or 'exponential'", o.backoff);
    p.backoff = o.backoff;
  }
  if (o.retryOn !== undefined) {
    if (typeof o.retryOn !== 'function') throw invalid(`${name}.retryOn`, 'a function (err, attempt) => boolean', o.retryOn);
    p.retryOn = o.retryOn;
  }
  return p.attempts > 1 ? p : null;
}

/** Whether attempt number `attempt` (1-based, just failed with `err`) is tried again. */
function shouldRetry(policy, err, attempt) {
  if (policy === null || attempt >= policy.attempts) return false;
  if (policy.retryOn !== null) {
    try {
      return policy.retryOn(err, attempt) === true;
    } catch {
      return false; // a throwing predicate retries nothing
    }
  }
  return !(err && NEVER_RETRIED.has(err.code));
}

/** Milliseconds to wait before attempt `attempt + 1`. */
function retryDelay(policy, attempt) {
  const d = policy.backoff === 'exponential' ? policy.delay * 2 ** (attempt - 1) : policy.delay;
  return Math.min(d, policy.maxDelay);
}

module.exports = { normalizeRetry, shouldRetry, retryDelay, NEVER_RETRIED };
