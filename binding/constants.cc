#include "constants.h"

#include <iterator>

#include "frame.h"
#include "task.h"
#include "wire.h"

namespace nativepool::binding {

static_assert(static_cast<uint32_t>(kHandlerExclusive) == frame::kHandlerExclusive,
              "a child's take batch marks an exclusive task as a worker thread's does");

namespace {
template <typename E>
void Put(Napi::Object o, const char* name, E value) {
  o.Set(name, Napi::Number::New(o.Env(), static_cast<double>(value)));
}
}  // namespace

Napi::Object Constants(Napi::Env env) {
  Napi::Object status = Napi::Object::New(env);
  Put(status, "OK", Status::kOk);
  Put(status, "ERROR", Status::kError);
  Put(status, "CANCELLED", Status::kCancelled);
  Put(status, "WORKER_EXITED", Status::kWorkerExited);
  Put(status, "SHUTDOWN", Status::kShutdown);

  Napi::Object slot = Napi::Object::New(env);
  Put(slot, "FREE", SlotState::kFree);
  Put(slot, "TAKEN", SlotState::kTaken);
  Put(slot, "RUNNING", SlotState::kRunning);
  Put(slot, "CANCELLED", SlotState::kCancelled);
  Put(slot, "COMPLETING", SlotState::kCompleting);

  Napi::Object cancel = Napi::Object::New(env);
  Put(cancel, "REMOVED", CancelResult::kRemoved);
  Put(cancel, "NOT_STARTED", CancelResult::kNotStarted);
  Put(cancel, "RUNNING", CancelResult::kRunning);
  Put(cancel, "FINISHED", CancelResult::kFinished);

  Napi::Object classify = Napi::Object::New(env);
  Put(classify, "MAP", Classify::kMap);
  Put(classify, "SET", Classify::kSet);
  Put(classify, "REGEXP", Classify::kRegExp);
  Put(classify, "UNCLONEABLE", Classify::kUncloneable);
  Put(classify, "EXTERNAL", Classify::kExternal);
  Put(classify, "FLAT", Classify::kFlat);

  // The order of WireViewKind and WireErrorKind (src/wire.h).
  static constexpr const char* kViews[] = {"Int8Array",    "Uint8Array",    "Uint8ClampedArray",
                                           "Int16Array",   "Uint16Array",   "Int32Array",
                                           "Uint32Array",  "Float32Array",  "Float64Array",
                                           "BigInt64Array", "BigUint64Array", "DataView", "Buffer"};
  static_assert(std::size(kViews) == wire::kViewKindCount, "one name per WireViewKind");
  static_assert(static_cast<int>(wire::WireViewKind::kNodeBuffer) == 12 && static_cast<int>(wire::WireViewKind::kDataView) == 11,
                "kViews follows WireViewKind");
  static constexpr const char* kErrors[] = {"Error",       "EvalError", "RangeError", "ReferenceError",
                                            "SyntaxError", "TypeError", "URIError",   "AggregateError"};
  static_assert(std::size(kErrors) + 1 == wire::kErrorKindCount, "one name per built-in WireErrorKind");
  Napi::Array views = Napi::Array::New(env, std::size(kViews));
  for (uint32_t i = 0; i < std::size(kViews); ++i) views.Set(i, Napi::String::New(env, kViews[i]));
  Napi::Array errors = Napi::Array::New(env, std::size(kErrors));
  for (uint32_t i = 0; i < std::size(kErrors); ++i) errors.Set(i, Napi::String::New(env, kErrors[i]));

  Napi::Object wire = Napi::Object::New(env);
  wire.Set("classify", classify);
  wire.Set("viewKinds", views);
  wire.Set("errorKinds", errors);

  Napi::Object submit = Napi::Object::New(env);
  Put(submit, "TRACK", kSubmitTrack);
  Put(submit, "RETAIN", kSubmitRetain);
  Put(submit, "EXCLUSIVE", kSubmitExclusive);

  Napi::Object out = Napi::Object::New(env);
  out.Set("submit", submit);
  out.Set("handlerExclusive", Napi::Number::New(env, kHandlerExclusive));
  out.Set("handlerInbox", Napi::Number::New(env, kHandlerInbox));
  out.Set("statusInbox", Napi::Number::New(env, kStatusInbox));
  out.Set("status", status);
  out.Set("slot", slot);
  out.Set("cancel", cancel);
  out.Set("maxBatch", Napi::Number::New(env, kMaxBatch));
  out.Set("settleStride", Napi::Number::New(env, kSettleStride));
  out.Set("takeStride", Napi::Number::New(env, kTakeStride));
  out.Set("badValue", Napi::Number::New(env, kBadValue));
  out.Set("wire", wire);
  out.Freeze();
  return out;
}

}  // namespace nativepool::binding
