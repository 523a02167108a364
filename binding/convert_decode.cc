// convert_decode.cc — wire bytes -> JS value: wire::Decode driving
// JsBuilder, a visitor that keeps a stack of containers being filled. See
// convert.h for what is carried; the encoder is convert_encode.cc.
#include <array>
#include <cstring>
#include <memory>

#include "bytes.h"
#include "convert.h"
#include "convert_env.h"
#include "wire.h"

namespace nativepool {
namespace {

using namespace convert_detail;
using wire::WireErrorKind;
using wire::WireString;
using wire::WireViewKind;

// --- decoder ----------------------------------------------------------------

// Arrays and plain objects are built in batch: their elements are collected in
// `pending_` and the object is made by one JS call at End* (arrayOf /
// makeObject), far cheaper than a napi_set_* per element. If the object is
// needed before its end (a back-reference into it, i.e. a cycle; a hole; a
// named property on an array; too many elements), it is materialized: created
// empty, filled with what was collected, and filled directly from then on.
class JsBuilder final : public wire::WireVisitor {
 public:
  struct Frame;
  // The builder's working vectors. DecodeValue keeps one set per thread
  // between decodes: a fresh set cost ~5 allocations per small value (on
  // the main thread per result, on a worker per argument).
  struct Scratch {
    std::vector<Frame> stack;
    std::vector<napi_value> ids;
    std::vector<napi_value> pending;
    bool busy = false;
  };

  JsBuilder(napi_env env, EnvState& state, DecodeHooks& hooks, Scratch& scratch)
      : env_(env), s_(state), hooks_(hooks), stack_(scratch.stack), ids_(scratch.ids), pending_(scratch.pending) {}

  napi_value result() const { return result_; }

  bool OnUndefined() override {
    napi_value v;
    Check(napi_get_undefined(env_, &v));
    return Emit(v);
  }
  bool OnNull() override {
    napi_value v;
    Check(napi_get_null(env_, &v));
    return Emit(v);
  }
  bool OnBool(bool b) override {
    napi_value v;
    Check(napi_get_boolean(env_, b, &v));
    return Emit(v);
  }
  bool OnInt32(int32_t i) override {
    napi_value v;
    Check(napi_create_int32(env_, i, &v));
    return Emit(v);
  }
  bool OnDouble(double d) override {
    napi_value v;
    Check(napi_create_double(env_, d, &v));
    return Emit(v);
  }
  bool OnBigInt(bool negative, const uint64_t* words, size_t count) override {
    napi_value v;
    static const uint64_t kZero = 0;
    if (count == 0) Check(napi_create_bigint_words(env_, 0, 1, &kZero, &v));
    else Check(napi_create_bigint_words(env_, negative ? 1 : 0, count, words, &v));
    return Emit(v);
  }
  bool OnString(const WireString& s) override {
    napi_value v = Str(s);
    last_was_proto_ = !s.two_byte && s.length == 9 && std::memcmp(s.data, "__proto__", 9) == 0;
    return Emit(v);
  }
  bool OnHole() override {
    Frame& f = stack_.back();
    Materialize(stack_.size() - 1);
    ++f.index;
    --f.dense_left;
    return true;
  }
  bool BeginArray(uint32_t length, uint32_t dense_count) override {
    Begin(Frame::kArray, nullptr, dense_count, length);
    if (length != dense_count) Materialize(stack_.size() - 1);  // trailing holes
    return true;
  }
  bool EndArray() override {
    Frame f = Pop();
    if (!f.obj) return Emit(Finish(f, s_.array_of));
    if (f.chunked) {
      stack_.push_back(f);  // FlushChunk works on a frame in the stack
      FlushChunk(stack_.size() - 1);
      stack_.pop_back();
    }
    if (f.length != f.dense_initial) {
      napi_value len;
      Check(napi_create_uint32(env_, f.length, &len));
      Check(napi_set_named_property(env_, f.obj, "length", len));
    }
    return Emit(f.obj);
  }
  bool BeginObject(uint32_t prop_count) override {
    Begin(Frame::kObject, nullptr);
    if (prop_count > kMaxBatch / 2) Materialize(stack_.size() - 1);
    return true;
  }
  bool EndObject() override {
    Frame f = Pop();
    return Emit(f.obj ? f.obj : Finish(f, s_.make_object));
  }
  bool OnDate(double t) override {
    napi_value v;
    Check(napi_create_date(env_, t, &v));
    ids_.push_back(v);
    return Emit(v);
  }
  bool OnRegExp(const WireString& source, uint32_t flags) override {
    char fl[9];
    size_t n = 0;
    for (int i = 0; i < 8; ++i) {
      if (flags & (1u << i)) fl[n++] = kRegExpFlags[i];
    }
    napi_value args[2] = {Str(source), nullptr}, v;
    Check(napi_create_string_latin1(env_, fl, n, &args[1]));
    Check(napi_new_instance(env_, s_.Get(s_.regexp_ctor), 2, args, &v));
    ids_.push_back(v);
    return Emit(v);
  }
  bool BeginMap(uint32_t) override {
    napi_value m;
    Check(napi_new_instance(env_, s_.Get(s_.map_ctor), 0, nullptr, &m));
    Begin(Frame::kMap, m);
    return true;
  }
  bool EndMap() override { return Emit(Pop().obj); }
  bool BeginSet(uint32_t) override {
    napi_value m;
    Check(napi_new_instance(env_, s_.Get(s_.set_ctor), 0, nullptr, &m));
    Begin(Frame::kSet, m);
    return true;
  }
  bool EndSet() override { return Emit(Pop().obj); }
  bool BeginError(const wire::WireErrorHeader& h) override {
    const bool custom = h.kind == WireErrorKind::kCustom;
    napi_value args[3], e, undef;
    Check(napi_create_uint32(env_, custom ? 0 : static_cast<uint32_t>(h.kind), &args[0]));
    Check(napi_get_boolean(env_, (h.fields & wire::kErrorHasMessage) != 0, &args[1]));
    if (h.fields & wire::kErrorHasMessage) args[2] = Str(h.message);
    else Check(napi_get_undefined(env_, &args[2]));
    Check(napi_get_undefined(env_, &undef));
    Check(napi_call_function(env_, undef, s_.Get(s_.make_error), 3, args, &e));
    if (custom) Define(e, Key("name"), Str(h.name), false);
    if (h.fields & wire::kErrorHasStack) Define(e, Key("stack"), Str(h.stack), false);
    Begin(Frame::kError, e);
    Frame& fr = stack_.back();
    fr.cause = (h.fields & wire::kErrorHasCause) != 0;
    fr.errors = (h.fields & wire::kErrorHasErrors) != 0;
    return true;
  }
  bool EndError() override { return Emit(Pop().obj); }
  bool OnArrayBuffer(const uint8_t* data, size_t length) override {
    napi_value ab = length >= ByteCache::kMinBytes ? WarmArrayBuffer(data, length) : nullptr;
    if (ab == nullptr) {
      void* dst;
      Check(napi_create_arraybuffer(env_, length, &dst, &ab));
      if (length) std::memcpy(dst, data, length);
    }
    ids_.push_back(ab);
    return Emit(ab);
  }
  // A large buffer goes into a warm block from ByteCache (bytes.h), owned by
  // an external ArrayBuffer that gives it back when collected: no page
  // faults on the copy. nullptr where external buffers are not allowed.
  napi_value WarmArrayBuffer(const uint8_t* data, size_t length) {
    void* block = ByteCache::acquire(length);
    std::memcpy(block, data, length);
    auto* size = new size_t(length);
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(
        env_, block, length,
        [](napi_env, void* p, void* hint) {
          auto* n = static_cast<size_t*>(hint);
          ByteCache::release(p, *n);
          delete n;
        },
        size, &ab);
    if (st == napi_ok) return ab;
    delete size;
    ByteCache::release(block, length);
    return nullptr;
  }
  bool BeginView(WireViewKind kind, uint64_t byte_offset, uint64_t length) override {
    Frame f;
    f.kind = Frame::kView;
    f.view_kind = kind;
    f.offset = byte_offset;
    f.view_length = length;
    f.start = pending_.size();
    stack_.push_back(f);
    return true;
  }
  bool EndView() override {
    Frame f = Pop();
    bool is_ab = false;
    napi_value v;
    Check(napi_is_arraybuffer(env_, f.obj, &is_ab));
    if (is_ab && f.view_kind == WireViewKind::kDataView) {
      Check(napi_create_dataview(env_, f.view_length, f.obj, f.offset, &v));
    } else if (is_ab && f.view_kind < WireViewKind::kDataView) {
      Check(napi_create_typedarray(env_, static_cast<napi_typedarray_type>(f.view_kind),
                                   f.view_length, f.obj, f.offset, &v));
    } else {  // a Buffer, or a view over an external SharedArrayBuffer
      napi_value args[4], undef;
      args[1] = f.obj;
      Check(napi_create_uint32(env_, static_cast<uint32_t>(f.view_kind), &args[0]));
      Check(napi_create_double(env_, static_cast<double>(f.offset), &args[2]));
      Check(napi_create_double(env_, static_cast<double>(f.view_length), &args[3]));
      Check(napi_get_undefined(env_, &undef));
      Check(napi_call_function(env_, undef, s_.Get(s_.make_view), 4, args, &v));
    }
    ids_.push_back(v);
    return Emit(v);
  }
  bool OnBackRef(uint32_t id) override {
    if (id < ids_.size() && !ids_[id]) {  // an array or object still being collected: a cycle
      for (size_t i = stack_.size(); i-- > 0;) {
        if (stack_[i].id == id && (stack_[i].kind == Frame::kArray || stack_[i].kind == Frame::kObject)) {
          Materialize(i);
          break;
        }
      }
    }
    if (id >= ids_.size() || !ids_[id]) throw Napi::Error::New(Napi::Env(env_), "nativepool wire: bad back-reference");
    return Emit(ids_[id]);
  }
  bool OnExternal(uint32_t slot) override {
    if (!hooks_.resolve) {
      Napi::Error e = Napi::Error::New(Napi::Env(env_), "nativepool wire: no resolver for external slot " +
                                                            std::to_string(slot));
      e.Set("code", "ERR_WIRE_EXTERNAL");
      throw e;
    }
    Napi::Value v = hooks_.resolve(Napi::Env(env_), slot);
    ids_.push_back(v);
    return Emit(v);
  }

 private:
  static constexpr size_t kMaxBatch = 4096;  // JS call arguments per batch

 public:
  struct Frame {
    enum Kind : uint8_t { kArray, kObject, kMap, kSet, kError, kView } kind;
    napi_value obj = nullptr;  // null while an array/object is being collected
    napi_value key = nullptr;  // pending key of a pair (direct mode)
    bool key_is_proto = false;
    bool chunked = false;  // array made, elements still collected in pending_
    uint32_t id = 0;
    size_t start = 0;  // first of this frame's items in pending_ (batch mode)
    uint32_t index = 0, dense_left = 0, dense_initial = 0, length = 0;
    bool cause = false, errors = false;
    WireViewKind view_kind = WireViewKind::kUint8;
    uint64_t offset = 0, view_length = 0;
  };

 private:

  void Check(napi_status s) {
    if (s != napi_ok) throw Napi::Error::New(Napi::Env(env_));
  }

  napi_value Str(const WireString& s) {
    napi_value v;
    if (s.two_byte) {
      Check(napi_create_string_utf16(env_, wire::Utf16Units(s, scratch_), s.length, &v));
    } else {
      Check(napi_create_string_latin1(env_, reinterpret_cast<const char*>(s.data), s.length, &v));
    }
    return v;
  }
  napi_value Key(const char* ascii) {
    napi_value v;
    Check(napi_create_string_utf8(env_, ascii, NAPI_AUTO_LENGTH, &v));
    return v;
  }
  void Define(napi_value obj, napi_value key, napi_value value, bool enumerable) {
    napi_valuetype t;
    Check(napi_typeof(env_, key, &t));
    if (t != napi_string) Check(napi_coerce_to_string(env_, key, &key));  // index keys
    napi_property_descriptor d{};
    d.name = key;
    d.value = value;
    d.attributes = enumerable ? napi_default_jsproperty
                              : static_cast<napi_property_attributes>(napi_writable | napi_configurable);
    Check(napi_define_properties(env_, obj, 1, &d));
  }
  napi_value CallHelper(napi_ref fn, size_t argc, const napi_value* argv) {
    napi_value undef, r;
    Check(napi_get_undefined(env_, &undef));
    Check(napi_call_function(env_, undef, s_.Get(fn), argc, argv, &r));
    return r;
  }

  void Begin(Frame::Kind kind, napi_value obj, uint32_t dense = 0, uint32_t length = 0) {
    Frame f;
    f.kind = kind;
    f.obj = obj;
    f.dense_left = f.dense_initial = dense;
    f.length = length;
    f.id = static_cast<uint32_t>(ids_.size());
    f.start = pending_.size();
    stack_.push_back(f);
    ids_.push_back(obj);  // null until made, for a batched array/object
  }
  Frame Pop() {
    Frame f = stack_.back();
    stack_.pop_back();
    return f;
  }

  // Makes a batched array/object from its collected items (top frame).
  napi_value Finish(const Frame& f, napi_ref helper) {
    const size_t n = pending_.size() - f.start;
    napi_value obj = CallHelper(helper, n, pending_.data() + f.start);
    pending_.resize(f.start);
    ids_[f.id] = obj;
    return obj;
  }

  // Appends the collected elements of chunked array frame i to it.
  void FlushChunk(size_t i) {
    Frame& f = stack_[i];
    const size_t end = i + 1 < stack_.size() ? stack_[i + 1].start : pending_.size();
    std::vector<napi_value> argv;
    argv.reserve(end - f.start + 1);
    argv.push_back(f.obj);
    argv.insert(argv.end(), pending_.begin() + f.start, pending_.begin() + end);
    CallHelper(s_.push_items, argv.size(), argv.data());
    f.index += static_cast<uint32_t>(argv.size() - 1);
    const size_t removed = end - f.start;
    pending_.erase(pending_.begin() + f.start, pending_.begin() + end);
    for (size_t j = i + 1; j < stack_.size(); ++j) stack_[j].start -= removed;
  }
  // A long array in batch mode: make it from the first chunk, then append
  // chunks (top frame).
  void StartChunks(Frame& f) {
    const size_t n = pending_.size() - f.start;
    f.obj = CallHelper(s_.array_of, n, pending_.data() + f.start);
    f.index = static_cast<uint32_t>(n);
    ids_[f.id] = f.obj;
    pending_.resize(f.start);
    f.chunked = true;
  }

  // Switches frame i (an array or object in batch mode) to direct mode.
  void Materialize(size_t i) {
    Frame& f = stack_[i];
    if (f.chunked) {
      FlushChunk(i);
      f.chunked = false;
      return;
    }
    if (f.obj) return;
    const size_t end = i + 1 < stack_.size() ? stack_[i + 1].start : pending_.size();
    if (f.kind == Frame::kArray) {
      Check(napi_create_array_with_length(env_, f.dense_initial, &f.obj));
      for (size_t k = f.start; k < end; ++k) Check(napi_set_element(env_, f.obj, f.index++, pending_[k]));
    } else {
      Check(napi_create_object(env_, &f.obj));
      for (size_t k = f.start; k + 1 < end; k += 2) Set(f.obj, pending_[k], pending_[k + 1], IsProtoKey(pending_[k]));
      if ((end - f.start) % 2) {  // a key waiting for its value
        f.key = pending_[end - 1];
        f.key_is_proto = IsProtoKey(f.key);
      }
    }
    ids_[f.id] = f.obj;
    const size_t removed = end - f.start;
    pending_.erase(pending_.begin() + f.start, pending_.begin() + end);
    for (size_t j = i + 1; j < stack_.size(); ++j) stack_[j].start -= removed;
  }
  bool IsProtoKey(napi_value key) {
    napi_valuetype t;
    Check(napi_typeof(env_, key, &t));
    if (t != napi_string) return false;
    char buf[11];
    size_t len;
    Check(napi_get_value_string_latin1(env_, key, buf, sizeof buf, &len));
    return len == 9 && std::memcmp(buf, "__proto__", 9) == 0;
  }
  // obj[key] = value as an own data property (never the __proto__ setter).
  void Set(napi_value obj, napi_value key, napi_value value, bool is_proto) {
    if (is_proto) Define(obj, key, value, true);
    else Check(napi_set_property(env_, obj, key, value));
  }

  bool Emit(napi_value v) {
    const bool was_proto = last_was_proto_;
    last_was_proto_ = false;
    if (stack_.empty()) {
      result_ = v;
      return true;
    }
    Frame& f = stack_.back();
    switch (f.kind) {
      case Frame::kArray:
        if (f.dense_left > 0) {
          --f.dense_left;
          if (!f.obj || f.chunked) {
            pending_.push_back(v);
            if (pending_.size() - f.start >= kMaxBatch) {
              if (f.chunked) FlushChunk(stack_.size() - 1); else StartChunks(f);
            }
          } else {
            Check(napi_set_element(env_, f.obj, f.index++, v));
          }
          return true;
        }
        Materialize(stack_.size() - 1);  // a named property: direct from now
        return Pair(f, v, was_proto);
      case Frame::kObject:
        if (!f.obj) {
          pending_.push_back(v);
          return true;
        }
        return Pair(f, v, was_proto);
      case Frame::kMap: {
        if (!f.key) {
          f.key = v;
          return true;
        }
        napi_value args[2] = {f.key, v}, r;
        f.key = nullptr;
        Check(napi_call_function(env_, f.obj, s_.Get(s_.map_set), 2, args, &r));
        return true;
      }
      case Frame::kSet: {
        napi_value r;
        Check(napi_call_function(env_, f.obj, s_.Get(s_.set_add), 1, &v, &r));
        return true;
      }
      case Frame::kError:
        if (f.cause) {
          f.cause = false;
          Define(f.obj, Key("cause"), v, false);
          return true;
        }
        if (f.errors) {
          f.errors = false;
          Define(f.obj, Key("errors"), v, false);
          return true;
        }
        if (!f.key) {
          f.key = v;
          return true;
        }
        Define(f.obj, f.key, v, true);
        f.key = nullptr;
        return true;
      case Frame::kView:
        f.obj = v;
        return true;
    }
    return false;
  }
  bool Pair(Frame& f, napi_value v, bool was_proto) {
    if (!f.key) {
      f.key = v;
      f.key_is_proto = was_proto;
      return true;
    }
    Set(f.obj, f.key, v, f.key_is_proto);
    f.key = nullptr;
    return true;
  }

  napi_env env_;
  EnvState& s_;
  DecodeHooks& hooks_;
  std::vector<Frame>& stack_;
  std::vector<napi_value>& ids_;
  std::vector<napi_value>& pending_;
  napi_value result_ = nullptr;
  bool last_was_proto_ = false;
  std::u16string scratch_;
};

}  // namespace

Napi::Value DecodeValue(Napi::Env env, const uint8_t* data, size_t size, DecodeHooks& hooks) {
  EnvState& state = StateFor(env);
  // Nothing a decode calls decodes again, but if something ever does, it
  // gets a scratch of its own.
  thread_local JsBuilder::Scratch kept;
  JsBuilder::Scratch fresh;
  JsBuilder::Scratch& scratch = kept.busy ? fresh : kept;
  struct Release {
    JsBuilder::Scratch& s;
    ~Release() {
      s.busy = false;
      // Kept small: one huge value must not pin its working memory.
      constexpr size_t kKeep = 1024;
      if (s.stack.capacity() > kKeep) std::vector<JsBuilder::Frame>().swap(s.stack);
      if (s.ids.capacity() > kKeep) std::vector<napi_value>().swap(s.ids);
      if (s.pending.capacity() > kKeep) std::vector<napi_value>().swap(s.pending);
      s.stack.clear();
      s.ids.clear();
      s.pending.clear();
    }
  } release{scratch};
  scratch.busy = true;
  JsBuilder builder(env, state, hooks, scratch);
  std::string error;
  if (!wire::Decode(data, size, builder, &error)) {
    Napi::Error e = Napi::Error::New(env, "nativepool wire: malformed message: " + error);
    e.Set("code", "ERR_WIRE_MALFORMED");
    throw e;
  }
  return Napi::Value(env, builder.result());
}


}  // namespace nativepool
