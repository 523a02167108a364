#include "buffers.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

#include "convert_util.h"

namespace nativepool::binding {

namespace {

struct Block {
  std::atomic<int32_t> refs{1};
  size_t size = 0;
  void* data = nullptr;
};

// Every live block by data pointer (to recognise pool buffers) and every
// block in flight by handle. Touched once per allocation, transfer and free.
std::mutex g_mu;
std::unordered_map<const void*, Block*> g_live;
std::unordered_map<uint64_t, Block*> g_flight;
uint64_t g_next_handle = 1;

void Unref(Block* b) {
  if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_live.erase(b->data);
  }
  std::free(b->data);
  delete b;
}

void Finalize(napi_env, void*, void* hint) { Unref(static_cast<Block*>(hint)); }

// An ArrayBuffer over `b` that owns one reference (already counted).
Napi::Value Wrap(Napi::Env env, Block* b) {
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, b->data, b->size, Finalize, b, &ab);
  if (st == napi_ok) return Napi::Value(env, ab);
  // External buffers forbidden here: an ordinary copy, and drop our ref.
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, b->size);
  if (b->size > 0) std::memcpy(copy.Data(), b->data, b->size);
  Unref(b);
  return copy;
}

Block* LiveBlock(Napi::Env env, Napi::Value v) {
  if (!v.IsArrayBuffer()) return nullptr;
  Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
  if (ab.IsDetached()) return nullptr;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_live.find(ab.Data());
  if (it == g_live.end() || it->second->size != ab.ByteLength()) return nullptr;
  (void)env;
  return it->second;
}

Napi::Value AllocBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double size = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(size >= 0 && size <= 4294967295.0) || static_cast<double>(static_cast<uint64_t>(size)) != size)
    throw Napi::RangeError::New(env, "Expected an integer from 0 to 4294967295 for size");
  auto* b = new Block();
  b->size = static_cast<size_t>(size);
  b->data = std::calloc(b->size > 0 ? b->size : 1, 1);
  if (b->data == nullptr) {
    delete b;
    throw Napi::RangeError::New(env, "nativepool: cannot allocate a buffer of that size");
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_live[b->data] = b;
  }
  return Wrap(env, b);
}

Napi::Value IsPoolBuffer(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), LiveBlock(info.Env(), info[0]) != nullptr);
}

// adoptBuffer(ab) -> handle, or -1 if `ab` is not a live pool buffer.
Napi::Value AdoptBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Block* b = LiveBlock(env, info[0]);
  if (b == nullptr) return Napi::Number::New(env, -1);
  b->refs.fetch_add(1, std::memory_order_relaxed);  // the handle's reference
  info[0].As<Napi::ArrayBuffer>().Detach();
  std::lock_guard<std::mutex> lock(g_mu);
  uint64_t h = g_next_handle++;
  g_flight[h] = b;
  return Napi::Number::New(env, static_cast<double>(h));
}

Block* TakeFlight(Napi::Env env, Napi::Value v) {
  uint64_t h = CheckedUint64(env, v, "handle");
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_flight.find(h);
  if (it == g_flight.end()) return nullptr;
  Block* b = it->second;
  g_flight.erase(it);
  return b;
}

Napi::Value ClaimBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Block* b = TakeFlight(env, info[0]);
  if (b == nullptr) throw Napi::Error::New(env, "nativepool: unknown or already claimed buffer handle");
  return Wrap(env, b);
}

Napi::Value DiscardBuffer(const Napi::CallbackInfo& info) {
  if (Block* b = TakeFlight(info.Env(), info[0])) Unref(b);
  return info.Env().Undefined();
}

}  // namespace

void InitBuffers(Napi::Env env, Napi::Object exports) {
  exports.Set("allocBuffer", Napi::Function::New<AllocBuffer>(env, "allocBuffer"));
  exports.Set("isPoolBuffer", Napi::Function::New<IsPoolBuffer>(env, "isPoolBuffer"));
  exports.Set("adoptBuffer", Napi::Function::New<AdoptBuffer>(env, "adoptBuffer"));
  exports.Set("claimBuffer", Napi::Function::New<ClaimBuffer>(env, "claimBuffer"));
  exports.Set("discardBuffer", Napi::Function::New<DiscardBuffer>(env, "discardBuffer"));
}

}  // namespace nativepool::binding
