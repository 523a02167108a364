// Every number that crosses between the binding and lib/, in one table:
// exported as `addon.constants` and mirrored by lib/protocol.js, which a test
// checks against this table.
#pragma once

#include <napi.h>

#include <cstdint>

namespace nativepool::binding {

// What lib/wire-helpers.js classify() answers for an object that is not a
// plain object (a plain object comes back as its keys and values, or as
// kFlat + n: its whole OBJECT record is in the helpers' `flat` bytes [0, n)).
enum class Classify : uint32_t { kMap = 1, kSet = 2, kRegExp = 3, kUncloneable = 4, kExternal = 5, kFlat = 1u << 20 };

// The most tasks one take() hands a worker thread.
inline constexpr uint32_t kMaxBatch = 256;
// Entries per task in a take batch: [slot, handler, value] (lib/protocol.js TAKE_STRIDE);
// handler kBadValue: the value could not be rebuilt and is { error }.
inline constexpr uint32_t kTakeStride = 3;
inline constexpr int32_t kBadValue = -1;
// submit()'s flags (lib/protocol.js SUBMIT):
//   kTrack      the task may be cancelled (a signal, a timeout, a retry)
//   kRetain     it may run again: a failed attempt keeps its bytes
//   kExclusive  it runs alone on its worker (an abortable task: stopping it
//               must cost no other task; Piscina's rule)
inline constexpr uint32_t kSubmitTrack = 1;
inline constexpr uint32_t kSubmitRetain = 2;
inline constexpr uint32_t kSubmitExclusive = 4;
// In a take batch, the handler of an exclusive task has this bit set.
inline constexpr int32_t kHandlerExclusive = 1 << 30;
// ... and of a task whose value is a flat record in the port's inbox (the
// value is the record's offset there; lib/wire-helpers.js decodeFlat).
inline constexpr int32_t kHandlerInbox = 1 << 29;
// The inbox's size: a batch's records beyond it are decoded natively.
inline constexpr uint32_t kInboxBytes = 64 * 1024;
// Numbers per task in the settle batch's meta array: [id, status, consumer].
inline constexpr uint32_t kSettleStride = 3;
// In a settle batch, a status with this bit set: the task's value is the
// offset of its flat record in the pool's inbox (lib/wire-helpers.js decodeFlat).
inline constexpr uint32_t kStatusInbox = 1 << 8;

// { status, slot, cancel, maxBatch, wire: { classify, viewKinds, errorKinds } }
Napi::Object Constants(Napi::Env env);

}  // namespace nativepool::binding
