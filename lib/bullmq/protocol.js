'use strict';
// Names producers and consumers of one queue agree on (beyond BullMQ's own).

/** Custom event a producer publishes to abort a running job. */
const CANCEL_EVENT = 'nativepool:cancel';
/** Cancel events kept in their stream (oldest trimmed first). */
const CANCEL_MAXLEN = 1000;

/**
 * Where cancel events go: a QueueEvents stream of their own,
 * `<prefix>:<queue>:nativepool:cancel:events`, so consumers do not read every
 * job event of the queue to hear about the rare abort. A stream, not pub/sub:
 * a consumer that reconnects reads what it missed.
 */
function cancelStream(prefix, queue) {
  return { name: 'cancel', prefix: `${prefix}:${queue}:nativepool` };
}

module.exports = { CANCEL_EVENT, CANCEL_MAXLEN, cancelStream };
