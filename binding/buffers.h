// Buffers the pool allocates: memory owned by the addon, not by one V8
// isolate, so a transfer moves the pointer and never copies the bytes.
//
//   allocBuffer(size) -> ArrayBuffer   external, over a refcounted block
//   adoptBuffer(ab)   -> handle        detaches `ab` here; the block is in flight
//   claimBuffer(h)    -> ArrayBuffer   the same bytes, owned by this isolate
//   isPoolBuffer(ab)  -> boolean
//
// A block is freed when its last ArrayBuffer is collected. A handle that is
// never claimed (its task was cancelled) is freed by discardBuffer(h).
// Where a runtime forbids external buffers, allocBuffer returns an ordinary
// ArrayBuffer and transfers of it fall back to copying.
#pragma once

#include <napi.h>

namespace nativepool::binding {

void InitBuffers(Napi::Env env, Napi::Object exports);

}  // namespace nativepool::binding
