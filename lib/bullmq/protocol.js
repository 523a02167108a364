'use strict';
// Names producers and consumers of one queue agree on (beyond BullMQ's own).

/** Custom event a producer publishes on the queue's event stream to abort a running job. */
const CANCEL_EVENT = 'nativepool:cancel';
/** MAXLEN for events we publish: BullMQ's default for the queue's stream (publishEvent's own default, 1000, would trim it). */
const EVENTS_MAXLEN = 10000;

module.exports = { CANCEL_EVENT, EVENTS_MAXLEN };
