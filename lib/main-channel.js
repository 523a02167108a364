'use strict';
// The pool's side of the side channel (lib/channel.js): the SharedArrayBuffers
// it knows by id, side-channel values held for workers to ask for, and values
// workers posted with their results. One per pool; workers reach it over
// their control ports.
const { SabTable, makeCodecHooks } = require('./channel');
const { errors } = require('./errors');

class MainChannel {
  #sabs = new SabTable('m');
  #sideOut = new Map(); // seq -> { value, transfer }: held until a worker asks
  #sideIn = new Map(); // seq -> value a worker posted with a result
  #sideSeq = 0;
  #byTask = new Map(); // task id -> seqs it holds in #sideOut
  #current = 0; // the task being encoded, whose side values are recorded
  #sabGone = new FinalizationRegistry((id) => this.#releaseSab(id));
  #ports; // () => iterable of { control, exited } (the worker set's members)

  constructor(ports) {
    this.#ports = ports;
    this.#sabs.weak = true; // the main thread never keeps a caller's SAB alive
    this.hooks = makeCodecHooks(this.#sabs, {
      announce: (sab, id) => this.#announce(sab, id, null),
      drain: () => this.drain(),
      onMint: (sab, id) => this.#sabGone.register(sab, id),
      sendSide: (value, transfer) => {
        const seq = `m${++this.#sideSeq}`;
        this.#sideOut.set(seq, { value, transfer });
        if (this.#current !== 0) {
          const list = this.#byTask.get(this.#current);
          if (list) list.push(seq);
          else this.#byTask.set(this.#current, [seq]);
        }
        return seq;
      },
      takeSide: (seq) => {
        if (!this.#sideIn.has(seq)) this.drain();
        if (!this.#sideIn.has(seq)) throw errors.dataClone('A transferred result', 'its message was not received');
        const v = this.#sideIn.get(seq);
        this.#sideIn.delete(seq);
        return v;
      },
    });
  }

  /** Side values made while encoding task `id` belong to it (see taskDone). */
  encoding(id) {
    this.#current = id;
  }

  /** Task `id` settled: drop side values no worker asked for. */
  taskDone(id) {
    if (this.#byTask.size === 0) return;
    const seqs = this.#byTask.get(id);
    if (seqs === undefined) return;
    this.#byTask.delete(id);
    for (const seq of seqs) this.#sideOut.delete(seq);
  }

  /** [id, sab] of every live SAB, for a new worker's init message. */
  liveSabs() {
    const out = [];
    for (const [id, ref] of this.#sabs.byId) {
      const sab = ref.deref();
      if (sab !== undefined) out.push([id, sab]);
    }
    return out;
  }

  get sharedBufferIds() {
    return this.#sabs.byId.size;
  }

  #announce(sab, id, except) {
    for (const w of this.#ports()) {
      if (w !== except && !w.exited) w.control.postMessage({ sab, id });
    }
  }

  #releaseSab(id) {
    this.#sabs.release(id);
    for (const w of this.#ports()) if (!w.exited) w.control.postMessage({ release: id });
  }

  /** Reads what workers posted on their control ports, synchronously. */
  drain() {
    let any = false;
    for (const w of this.#ports()) {
      if (w.exited) continue;
      for (let m = w.rw.receive(); m !== undefined; m = w.rw.receive()) {
        any = true;
        w.onControl(m.message);
      }
    }
    return any;
  }

  /**
   * A worker's control message about data: a SAB it minted (recorded,
   * watched for collection, passed on to the other workers), a value it
   * moved with a result, or a request for a value this side holds.
   * Returns false for messages that are not about data.
   */
  onControl(w, msg) {
    if (msg.sab !== undefined) {
      if (this.#sabs.lookup(msg.id) === undefined) {
        this.#sabs.learn(msg.id, msg.sab);
        this.#sabGone.register(msg.sab, msg.id);
        this.#announce(msg.sab, msg.id, w);
      }
      return true;
    }
    if (msg.seq !== undefined) {
      this.#sideIn.set(msg.seq, msg.value);
      return true;
    }
    if (msg.want !== undefined) {
      const entry = this.#sideOut.get(msg.want);
      this.#sideOut.delete(msg.want);
      if (entry) w.control.postMessage({ seq: msg.want, value: entry.value }, entry.transfer);
      else w.control.postMessage({ seq: msg.want, missing: true });
      Atomics.store(msg.flag, 0, 1);
      Atomics.notify(msg.flag, 0);
      return true;
    }
    return false;
  }
}

module.exports = { MainChannel };
