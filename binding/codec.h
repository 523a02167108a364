// Task arguments and results <-> bytes: the wire format (convert.h) plus the
// side channel for what the wire does not carry.
//
// A frame is one of
//   'W' <wire message>                        everything went on the wire
//   'X' <u32 n> <n bytes: wire message> <wire message: descriptors>
// In an 'X' frame the first message holds EXTERNAL(slot) for values the wire
// does not carry (SharedArrayBuffers, views over them, class instances,
// MessagePorts, ...). lib's pack(values) turned those values into plain
// descriptors (the second message); on the receiving side lib's
// unpack(descriptors) turns them back into values, and slot i resolves to
// the i-th. Descriptors name SharedArrayBuffers by id and carry side-channel
// references; see lib/channel.js.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "bytes.h"

namespace nativepool::binding {

// The JS side of the side channel, per pool (main thread) or per worker.
struct SideHooks {
  Napi::FunctionReference pack;    // (values[]) -> descriptors[]
  Napi::FunctionReference unpack;  // (descriptors[]) -> values[]
  // Reads `pack` and `unpack` from options; missing ones stay empty, and
  // then a value that needs the side channel is a DataCloneError.
  void Set(Napi::Object options);
};

// Appends the frame of `value` to `out`. Throws a DataCloneError (Napi::Error)
// for a value that cannot cross threads; `out` is then unspecified.
// `moving`: an array of ArrayBuffers that lib decided to move rather than
// copy; they go to pack() like other externals (or undefined: copy all).
// `classified`: lib's encodeTask()/classify() answer for `value`: a plain
// object whose values it read already (an array, see
// EncodeHooks::classified), FLAT + n when lib wrote value's whole record
// into its `flat` bytes (then `value` is not read), or empty.
void Encode(Napi::Env env, Napi::Value value, Bytes& out, SideHooks& hooks,
            Napi::Value moving = Napi::Value(), Napi::Value classified = Napi::Value());
// Appends the frame of a value lib encoded itself: `record` is its wire
// record (lib/wire-helpers.js encodeTask), without the message header.
void FrameRecord(const uint8_t* record, size_t size, Bytes& out);
// Where flat records go for lib to decode (lib/wire-helpers.js decodeFlat):
// a worker's take() puts a batch's arguments there, a settle batch its
// results. Empty (Put() declines) until lib asks for View().
class FlatInbox {
 public:
  // The buffer as a Uint8Array of kInboxBytes (made on the first call).
  Napi::Value View(Napi::Env env);
  // A new batch: the buffer is reused from the start.
  void Reset() { used_ = 0; }
  // Copies the record of `frame` if it is a plain frame whose record is
  // flat (src/wire.h IsFlatRecord) and fits; its offset, or -1.
  double Put(const Bytes& frame);

 private:
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  uint8_t* data_ = nullptr;
  size_t used_ = 0;
};

// Rebuilds a value from a frame made by Encode in any environment.
Napi::Value Decode(Napi::Env env, const uint8_t* data, size_t size, SideHooks& hooks);

}  // namespace nativepool::binding
