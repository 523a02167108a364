'use strict';
// The task table's records by id. Ids are handed out in increasing order
// (TaskTable.nextId), and most tasks settle soon after the ones before them,
// so a ring indexed by the id's low bits finds a record with one array load;
// a Map keeps the few that outlive a lap of the ring. A JS Map for every
// task cost a tenth of the main thread's time in a burst (hashing, its
// rehashes as it grows and shrinks).
const MIN_RING = 1024;
const MAX_RING = 1 << 20; // 8 MB of slots at most; beyond, the Map takes the rest
// An empty index gives back a ring larger than this (2 MB): one that a burst
// of 100,000 grew to stays for the next.
const SHRINK_ABOVE = 1 << 18;

class RecordIndex {
  #ring = new Array(MIN_RING).fill(undefined);
  #mask = MIN_RING - 1;
  #inRing = 0;
  #laps = new Map(); // id -> record, for records that outlived a lap of the ring

  get size() {
    return this.#inRing + this.#laps.size;
  }

  /** Adds `record` under record.id (not already present). */
  set(record) {
    const at = record.id & this.#mask;
    const old = this.#ring[at];
    if (old !== undefined) {
      // A full lap since `old` was added. A busy ring grows; a sparse one
      // moves the old record aside (it is long-lived: a slow task).
      if (this.#inRing >= this.#ring.length >> 1 && this.#ring.length < MAX_RING) {
        this.#grow();
        this.set(record);
        return;
      }
      this.#laps.set(old.id, old);
      this.#inRing--;
    }
    this.#ring[at] = record;
    this.#inRing++;
  }

  get(id) {
    const r = this.#ring[id & this.#mask];
    if (r !== undefined && r.id === id) return r;
    return this.#laps.size === 0 ? undefined : this.#laps.get(id);
  }

  /** Removes the record of `id`; true if there was one. */
  delete(id) {
    const at = id & this.#mask;
    const r = this.#ring[at];
    if (r !== undefined && r.id === id) {
      this.#ring[at] = undefined;
      if (--this.#inRing === 0 && this.#laps.size === 0 && this.#ring.length > SHRINK_ABOVE) this.#reset();
      return true;
    }
    return this.#laps.delete(id);
  }

  /** Every id present, in increasing order (the order tasks were added). */
  ids() {
    const ids = [...this.#laps.keys()];
    for (const r of this.#ring) if (r !== undefined) ids.push(r.id);
    return ids.sort((a, b) => a - b);
  }

  #grow() {
    const old = this.#ring;
    this.#ring = new Array(old.length * 2).fill(undefined);
    this.#mask = this.#ring.length - 1;
    // Distinct low bits under the old mask stay distinct under the wider one.
    for (const r of old) if (r !== undefined) this.#ring[r.id & this.#mask] = r;
  }

  #reset() {
    this.#ring = new Array(MIN_RING).fill(undefined);
    this.#mask = MIN_RING - 1;
  }
}

module.exports = { RecordIndex };
