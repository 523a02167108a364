// thread.cc — exports.niceThread(increment): lowers the calling thread's
// scheduling priority (Piscina's niceIncrement). On Linux nice values are per
// thread, so a worker thread calls it for itself at start. Returns the new
// nice value, or null where threads have no nice value of their own.
#include <napi.h>

#include <cerrno>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "convert_util.h"

namespace nativepool::binding {

namespace {
Napi::Value NiceThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t increment = CheckedUint32(env, info[0], "increment");
#if defined(__linux__)
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) throw Napi::Error::New(env, "nativepool: getpriority failed");
  const int target = current + static_cast<int>(increment) > 19 ? 19 : current + static_cast<int>(increment);
  if (setpriority(PRIO_PROCESS, tid, target) != 0) throw Napi::Error::New(env, "nativepool: setpriority failed");
  return Napi::Number::New(env, target);
#else
  (void)increment;
  return env.Null();
#endif
}
}  // namespace

void InitThread(Napi::Env env, Napi::Object exports) {
  exports.Set("niceThread", Napi::Function::New(env, NiceThread, "niceThread"));
}

}  // namespace nativepool::binding
