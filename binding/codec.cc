#include "codec.h"

#include <cstring>

#include "constants.h"
#include "convert.h"
#include "wire.h"

namespace nativepool::binding {

namespace {
constexpr uint8_t kPlain = 'W';
constexpr uint8_t kWithExternals = 'X';

Napi::Error Malformed(Napi::Env env) {
  Napi::Error e = Napi::Error::New(env, "nativepool: malformed task frame");
  e.Set("code", Napi::String::New(env, "ERR_WIRE_MALFORMED"));
  return e;
}
}  // namespace

void SideHooks::Set(Napi::Object options) {
  Napi::Value p = options.Get("pack");
  Napi::Value u = options.Get("unpack");
  if (p.IsFunction()) pack = Napi::Persistent(p.As<Napi::Function>());
  if (u.IsFunction()) unpack = Napi::Persistent(u.As<Napi::Function>());
}

void FrameRecord(const uint8_t* record, size_t size, Bytes& out) {
  out.reserve(out.size() + 3 + size);
  out.push_back(kPlain);
  out.push_back(wire::kMagic);
  out.push_back(wire::kVersion);
  out.insert(out.end(), record, record + size);
}

void Encode(Napi::Env env, Napi::Value value, Bytes& out, SideHooks& side,
            Napi::Value moving, Napi::Value classified) {
  if (!classified.IsEmpty() && classified.IsNumber()) {  // lib wrote the record
    size_t n = 0;
    const uint8_t* record = FlatRecord(env, classified.As<Napi::Number>().DoubleValue(), &n);
    if (record == nullptr) throw Napi::RangeError::New(env, "nativepool: not an encodeTask() answer");
    FrameRecord(record, n, out);
    return;
  }
  const size_t frame = out.size();
  // Room for a small message at once (WireWriter reserves as much, but after
  // this byte would have made a first allocation of its own).
  if (out.capacity() - out.size() < wire::WireWriter::kFirstReserve + 1)
    out.reserve(out.size() + wire::WireWriter::kFirstReserve + 1);
  out.push_back(kPlain);
  Napi::Array externals;
  uint32_t count = 0;
  EncodeHooks hooks;
  if (!side.pack.IsEmpty()) {
    hooks.external = [&](Napi::Env e, Napi::Value v) -> uint32_t {
      if (count == 0) externals = Napi::Array::New(e);
      externals.Set(count, v);
      return count++;
    };
  }
  if (!moving.IsEmpty() && moving.IsArray() && !side.pack.IsEmpty()) {
    Napi::Array list = moving.As<Napi::Array>();
    const uint32_t n = list.Length();
    if (n > 0) {
      hooks.transfer = [list, n](Napi::Env, Napi::Value buffer) {
        for (uint32_t i = 0; i < n; ++i)
          if (list.Get(i).StrictEquals(buffer)) return true;
        return false;
      };
    }
  }
  if (!classified.IsEmpty() && classified.IsArray()) hooks.classified = classified;
  EncodeValue(env, value, out, hooks);
  if (count == 0) return;
  // Re-frame: 'X', the main message's length, the main message, then the
  // descriptors lib made for the externals (plain data: no hooks).
  Napi::Value descriptors = side.pack.Call({externals});
  const uint32_t n = static_cast<uint32_t>(out.size() - frame - 1);
  uint8_t len[4];
  std::memcpy(len, &n, 4);
  out[frame] = kWithExternals;
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(frame + 1), len, len + 4);
  EncodeHooks none;
  EncodeValue(env, descriptors, out, none);
}

Napi::Value FlatInbox::View(Napi::Env env) {
  if (buffer_.IsEmpty()) {
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, kInboxBytes);
    buffer_ = Napi::Persistent(ab);
    data_ = static_cast<uint8_t*>(ab.Data());
  }
  return Napi::Uint8Array::New(env, kInboxBytes, buffer_.Value(), 0);
}

double FlatInbox::Put(const Bytes& frame) {
  // A plain frame: 'W', the message header (magic, version), the record.
  if (data_ == nullptr || frame.size() <= 3 || frame[0] != kPlain || frame[1] != wire::kMagic ||
      frame[2] != wire::kVersion)
    return -1;
  const size_t n = frame.size() - 3;
  if (n > kInboxBytes - used_ || !wire::IsFlatRecord(frame.data() + 3, n)) return -1;
  std::memcpy(data_ + used_, frame.data() + 3, n);
  const size_t at = used_;
  used_ += n;
  return static_cast<double>(at);
}

Napi::Value Decode(Napi::Env env, const uint8_t* p, size_t size, SideHooks& side) {
  if (size == 0) throw Malformed(env);
  DecodeHooks hooks;
  if (p[0] == kPlain) return DecodeValue(env, p + 1, size - 1, hooks);
  if (p[0] != kWithExternals || size < 5) throw Malformed(env);
  uint32_t n;
  std::memcpy(&n, p + 1, 4);
  if (size - 5 < n) throw Malformed(env);
  if (side.unpack.IsEmpty()) {
    Napi::Error e = Napi::Error::New(env, "nativepool: this value needs the side channel, which is not set up here");
    e.Set("code", Napi::String::New(env, "ERR_WIRE_EXTERNAL"));
    throw e;
  }
  Napi::Value descriptors = DecodeValue(env, p + 5 + n, size - 5 - n, hooks);
  Napi::Value values = side.unpack.Call({descriptors});
  if (!values.IsArray()) throw Napi::TypeError::New(env, "nativepool: unpack must return an array");
  Napi::Array list = values.As<Napi::Array>();
  hooks.resolve = [&](Napi::Env, uint32_t slot) -> Napi::Value {
    if (slot >= list.Length()) throw Malformed(env);
    return list.Get(slot);
  };
  return DecodeValue(env, p + 5, n, hooks);
}

}  // namespace nativepool::binding
