// The addon's state in one environment (the main thread and every worker
// thread each load the addon and get their own): better-sqlite3's `Addon`.
// Never a bare global or a thread-local: one AddonData per napi_env, set as
// instance data in Init, with one env cleanup hook that closes everything
// still open in that environment.
//
// Why one hook is enough: Node runs every env cleanup hook before it closes
// any handle, so our hook runs while the TSFNs our objects own are still
// allocated (merely marked closing); after it, no producer thread rings them.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <unordered_map>

namespace nativepool::convert_detail {
class EnvState;
}

namespace nativepool::binding {

struct AddonData {
  AddonData();
  ~AddonData();

  // The converter's JS helpers (lib/wire-helpers.js), from initialize().
  std::unique_ptr<convert_detail::EnvState> wire;

  // Objects to close when the environment goes away, by owner. An object
  // registers itself when it opens and forgets itself when it closes first.
  void Track(const void* owner, std::function<void()> close) { open_[owner] = std::move(close); }
  void Forget(const void* owner) { open_.erase(owner); }

  static AddonData* Get(napi_env env);
  static void Cleanup(void* arg);  // the env cleanup hook

 private:
  std::unordered_map<const void*, std::function<void()>> open_;
};

}  // namespace nativepool::binding
