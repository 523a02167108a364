'use strict';
// Listening to a run() signal: an AbortSignal, or an EventEmitter that emits
// 'abort' (Piscina accepts both).

function listen(signal, fn) {
  if (typeof signal.addEventListener === 'function') signal.addEventListener('abort', fn, { once: true });
  else if (typeof signal.once === 'function') signal.once('abort', fn);
  else signal.on('abort', fn);
}

function unlisten(signal, fn) {
  if (typeof signal.removeEventListener === 'function') signal.removeEventListener('abort', fn);
  else if (typeof signal.off === 'function') signal.off('abort', fn);
  else if (typeof signal.removeListener === 'function') signal.removeListener('abort', fn);
}

module.exports = { listen, unlisten };
