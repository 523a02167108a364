// convert_encode.cc — JS value -> wire bytes (the decoder is convert_decode.cc). See convert.h for what is carried.
//
// The encoder walks the value recursively with raw napi_* calls (each status
// checked; a failure throws the pending JS exception as Napi::Error). The
// decoder is wire::Decode driving JsBuilder, a visitor that keeps a stack of
// containers being filled. What Node-API cannot do (detect Proxies, iterate a
// Map, build a Buffer over an existing ArrayBuffer) is done by small JS helpers
// compiled once per environment and kept in EnvState.
#include <array>
#include <cstring>
#include <memory>
#include <utility>

#include "convert.h"
#include "constants.h"
#include "convert_env.h"
#include "wire.h"

namespace nativepool {
namespace {

using namespace convert_detail;
using wire::WireErrorKind;
using wire::WireString;
using wire::WireViewKind;

// --- encoder ----------------------------------------------------------------

class Encoder {
 public:
  Encoder(napi_env env, EnvState& state, Bytes& out, EncodeHooks& hooks)
      : env_(env), s_(state), w_(out), hooks_(hooks) {}

  void Value(napi_value v) {
    napi_valuetype t;
    Check(napi_typeof(env_, v, &t));
    switch (t) {
      case napi_undefined: w_.Undefined(); return;
      case napi_null: w_.Null(); return;
      case napi_boolean: {
        bool b;
        Check(napi_get_value_bool(env_, v, &b));
        w_.Bool(b);
        return;
      }
      case napi_number: {
        double d;
        Check(napi_get_value_double(env_, v, &d));
        w_.Number(d);
        return;
      }
      case napi_string: String(v); return;
      case napi_bigint: BigInt(v); return;
      case napi_object: Object(v); return;
      case napi_symbol:
      case napi_function:
      case napi_external: throw Uncloneable(v);
    }
    throw Uncloneable(v);
  }

 private:
  void Check(napi_status s) {
    if (s != napi_ok) throw Napi::Error::New(Napi::Env(env_));
  }

  napi_value Call(napi_ref fn, std::initializer_list<napi_value> args) {
    napi_value f = s_.Get(fn), undef, result;
    Check(napi_get_undefined(env_, &undef));
    Check(napi_call_function(env_, undef, f, args.size(), args.begin(), &result));
    return result;
  }

  Napi::Error Uncloneable(napi_value v) {
    std::string what = "value";
    Napi::Value d(env_, Call(s_.describe, {v}));
    if (d.IsString()) what = d.As<Napi::String>().Utf8Value();
    return MakeDataCloneError(Napi::Env(env_), what + " could not be cloned.");
  }

  void String(napi_value v) {
    char16_t stack_buf[128];
    size_t len;
    Check(napi_get_value_string_utf16(env_, v, stack_buf, std::size(stack_buf), &len));
    if (len < std::size(stack_buf) - 1) {
      w_.String(stack_buf, len);
      return;
    }
    Check(napi_get_value_string_utf16(env_, v, nullptr, 0, &len));
    scratch_.resize(len + 1);
    Check(napi_get_value_string_utf16(env_, v, scratch_.data(), len + 1, &len));
    w_.String(scratch_.data(), len);
  }

  void BigInt(napi_value v) {
    size_t count = 0;
    int sign = 0;
    Check(napi_get_value_bigint_words(env_, v, nullptr, &count, nullptr));
    std::vector<uint64_t> words(count > 0 ? count : 1);  // napi rejects a null buffer
    Check(napi_get_value_bigint_words(env_, v, &sign, &count, words.data()));
    w_.BigInt(sign != 0, words.data(), count);
  }

  // Identity: a linear scan with strict equality for small graphs (ids equal
  // indices in seen_), then a JS Map (helpers.track). Returns the existing id, or -1 after assigning
  // the next id to `v`.
  int64_t FindOrAdd(napi_value v) {
    const uint32_t id = next_id_;
    if (!id_map_) {
      for (size_t i = 0; i < nseen_; ++i) {
        bool eq;
        Check(napi_strict_equals(env_, seen_[i], v, &eq));
        if (eq) return static_cast<int64_t>(i);
      }
      if (nseen_ < kLinearIdLimit) {
        seen_[nseen_++] = v;
        ++next_id_;
        return -1;
      }
      Check(napi_new_instance(env_, s_.Get(s_.map_ctor), 0, nullptr, &id_map_));
      for (size_t i = 0; i < nseen_; ++i) Track(seen_[i], static_cast<uint32_t>(i));
      nseen_ = 0;
    }
    napi_value r = Track(v, id);
    napi_valuetype t;
    Check(napi_typeof(env_, r, &t));
    if (t == napi_number) {
      uint32_t existing;
      Check(napi_get_value_uint32(env_, r, &existing));
      return existing;
    }
    ++next_id_;
    return -1;
  }
  napi_value Track(napi_value v, uint32_t id) {
    napi_value idv;
    Check(napi_create_uint32(env_, id, &idv));
    return Call(s_.track, {id_map_, v, idv});
  }
  // Views take their id after their buffer (see wire.h), so look up without
  // adding first.
  bool Seen(napi_value v, uint32_t* id) {
    if (!id_map_) {
      for (size_t i = 0; i < nseen_; ++i) {
        bool eq;
        Check(napi_strict_equals(env_, seen_[i], v, &eq));
        if (eq) {
          *id = static_cast<uint32_t>(i);
          return true;
        }
      }
      return false;
    }
    napi_value r = Call(s_.id_of, {id_map_, v});
    napi_valuetype t;
    Check(napi_typeof(env_, r, &t));
    if (t != napi_number) return false;
    Check(napi_get_value_uint32(env_, r, id));
    return true;
  }

  struct DepthGuard {
    explicit DepthGuard(Encoder& e) : e(e) {
      if (++e.depth_ > e.limits_.max_depth) {
        throw MakeDataCloneError(Napi::Env(e.env_),
                                 "Value nesting exceeds the limit of " +
                                     std::to_string(e.limits_.max_depth) + " and could not be cloned.");
      }
    }
    ~DepthGuard() { --e.depth_; }
    Encoder& e;
  };

  void External(napi_value v) {
    if (!hooks_.external) throw Uncloneable(v);
    const uint32_t slot = hooks_.external(Napi::Env(env_), Napi::Value(env_, v));
    w_.External(slot);
  }

  void Object(napi_value v) {
    if (hooks_.classified != nullptr && depth_ == 0) {
      // The top-level plain object lib classified itself: id 0, as
      // IdentityCall would give it, then its values as classify read them.
      napi_value kv = std::exchange(hooks_.classified, nullptr);
      FindOrAdd(v);
      return PlainObject(kv);
    }
    bool is = false;
    Check(napi_is_typedarray(env_, v, &is));
    if (is) return TypedArray(v);
    Check(napi_is_dataview(env_, v, &is));
    if (is) return DataView(v);
    Check(napi_is_array(env_, v, &is));
    if (is) {
      napi_value info = IdentityCall(s_.array_info, v);
      if (info) Array(v, info);
      return;
    }
    Check(napi_is_arraybuffer(env_, v, &is));
    const bool is_buffer = is;
    bool is_date = false, is_error = false;
    if (!is_buffer) Check(napi_is_date(env_, v, &is_date));
    if (!is_buffer && !is_date) Check(napi_is_error(env_, v, &is_error));
    if (is_buffer || is_date || is_error) {
      const int64_t existing = FindOrAdd(v);
      if (existing >= 0) {
        w_.BackRef(static_cast<uint32_t>(existing));
        return;
      }
      if (is_buffer) return ArrayBuffer(v);
      if (is_error) return Error(v);
      double t;
      Check(napi_get_date_value(env_, v, &t));
      w_.Date(t);
      return;
    }

    napi_value c = IdentityCall(s_.classify, v);
    if (!c) return;
    napi_valuetype t;
    Check(napi_typeof(env_, c, &t));
    if (t == napi_object) return PlainObject(c);
    uint32_t code = 0;
    Check(napi_get_value_uint32(env_, c, &code));
    if (code >= static_cast<uint32_t>(binding::Classify::kFlat)) return FlatObject(code - static_cast<uint32_t>(binding::Classify::kFlat));
    switch (static_cast<binding::Classify>(code)) {
      case binding::Classify::kMap: return MapOrSet(v, true);
      case binding::Classify::kSet: return MapOrSet(v, false);
      case binding::Classify::kRegExp: return RegExp(v);
      case binding::Classify::kUncloneable: throw Uncloneable(v);
      default: return External(v);
    }
  }

  // Calls helper `fn` (classify or arrayInfo) on a new-or-seen object and
  // does the identity bookkeeping: in a small graph by FindOrAdd first, in a
  // large one inside the same JS call (saving a call per object). Returns
  // null after writing a BACKREF, else the helper's result.
  napi_value IdentityCall(napi_ref fn, napi_value v) {
    if (!id_map_) {
      const int64_t existing = FindOrAdd(v);
      if (existing >= 0) {
        w_.BackRef(static_cast<uint32_t>(existing));
        return nullptr;
      }
      return Call(fn, {v});
    }
    napi_value next;
    Check(napi_create_uint32(env_, next_id_, &next));
    napi_value r = Call(fn, {v, id_map_, next});
    napi_valuetype t;
    Check(napi_typeof(env_, r, &t));
    if (t == napi_number) {
      double d;
      Check(napi_get_value_double(env_, r, &d));
      if (d < 0) {
        w_.BackRef(static_cast<uint32_t>(-1 - d));
        return nullptr;
      }
    }
    ++next_id_;
    return r;
  }

  uint32_t Length(napi_value array) {
    uint32_t n;
    Check(napi_get_array_length(env_, array, &n));
    return n;
  }
  napi_value Element(napi_value array, uint32_t i) {
    napi_value r;
    Check(napi_get_element(env_, array, i, &r));
    return r;
  }

  // Pairs for keys [from, keys.length): key, then obj[key].
  void Props(napi_value obj, napi_value keys, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; ++i) {
      napi_value k = Element(keys, i), val;
      napi_valuetype t;
      Check(napi_typeof(env_, k, &t));
      if (t == napi_number) {
        double d;
        Check(napi_get_value_double(env_, k, &d));
        w_.Number(d);
      } else {
        String(k);
      }
      Check(napi_get_property(env_, obj, k, &val));
      Value(val);
    }
  }

  // classify() wrote the object's whole OBJECT record (flat values only) into
  // the helpers' `flat` bytes: copy them before any other JS runs.
  void FlatObject(uint32_t n) {
    DepthGuard g(*this);
    if (s_.flat == nullptr || n < 2 || n > s_.flat_size)
      throw Napi::Error::New(Napi::Env(env_), "nativepool: classify() answered a flat record of a bad size");
    w_.Raw(s_.flat, n);
  }

  // `kv` is classify's [shapeTag, ...values, keys]: see shapeTag().
  void PlainObject(napi_value kv) {
    DepthGuard g(*this);
    const uint32_t n = Length(kv) - 2;
    uint32_t tag;
    Check(napi_get_value_uint32(env_, Element(kv, 0), &tag));
    EnvState::Shape& shape = s_.shapes[tag & 3];
    if (shape.tag != tag) {
      napi_value keys = Element(kv, n + 1);
      auto names = std::make_shared<EnvState::KeyNames>();
      names->reserve(n);
      for (uint32_t i = 0; i < n; ++i) names->push_back(Utf16(Element(keys, i)));
      shape.tag = UINT32_MAX;
      shape.names = std::move(names);
      shape.tag = tag;
    }
    // Our own reference: a nested object may replace the slot.
    const std::shared_ptr<const EnvState::KeyNames> names = shape.names;
    w_.BeginObject(n);
    for (uint32_t i = 0; i < n; ++i) {
      const std::u16string& k = (*names)[i];
      w_.String(k.data(), k.size());
      Value(Element(kv, i + 1));
    }
  }

  // `info` is arrayInfo's result: the own keys (Object.keys: faster than
  // napi_get_all_property_names, which dedups through a hash set) and, for
  // long all-number arrays, the elements as doubles.
  void Array(napi_value v, napi_value info) {
    DepthGuard g(*this);
    const uint32_t length = Length(v);
    uint32_t indices;
    Check(napi_get_value_uint32(env_, Element(info, 0), &indices));
    napi_value keys = Element(info, 1), numbers = Element(info, 2);
    const uint32_t nkeys = Length(keys);
    bool is_numbers = false;
    Check(napi_is_typedarray(env_, numbers, &is_numbers));
    if (is_numbers) {
      napi_typedarray_type type;
      size_t n, offset;
      void* data;
      napi_value ab;
      Check(napi_get_typedarray_info(env_, numbers, &type, &n, &data, &ab, &offset));
      if (type != napi_float64_array || n != length) {
        throw Napi::Error::New(Napi::Env(env_), "nativepool: array changed while being encoded");
      }
      const double* d = static_cast<const double*>(data);
      w_.BeginArray(length, length);
      w_.Numbers(d, n);
      w_.ArrayProps(nkeys - indices);
      Props(v, keys, indices, nkeys);
      return;
    }
    const bool dense = indices == length || length <= 8 || indices >= length / 2;
    if (dense) {
      w_.BeginArray(length, length);
      const bool holes = indices != length;
      for (uint32_t i = 0; i < length; ++i) {
        napi_value e = Element(v, i);
        if (holes) {
          napi_valuetype t;
          Check(napi_typeof(env_, e, &t));
          bool has = true;
          if (t == napi_undefined) Check(napi_has_element(env_, v, i, &has));
          if (!has) {
            w_.Hole();
            continue;
          }
        }
        Value(e);
      }
      w_.ArrayProps(nkeys - indices);
      Props(v, keys, indices, nkeys);
    } else {  // sparse: every key, indices as strings
      w_.BeginArray(length, 0);
      w_.ArrayProps(nkeys);
      Props(v, keys, 0, nkeys);
    }
  }

  void MapOrSet(napi_value v, bool is_map) {
    DepthGuard g(*this);
    napi_value items = Call(is_map ? s_.map_entries : s_.set_values, {v});
    const uint32_t n = Length(items);
    if (is_map) w_.BeginMap(n / 2); else w_.BeginSet(n);
    for (uint32_t i = 0; i < n; ++i) Value(Element(items, i));
  }

  std::u16string Utf16(napi_value s) {
    size_t len;
    Check(napi_get_value_string_utf16(env_, s, nullptr, 0, &len));
    std::u16string out(len, u'\0');
    Check(napi_get_value_string_utf16(env_, s, out.data(), len + 1, &len));
    return out;
  }

  void RegExp(napi_value v) {
    napi_value source, flags;
    Check(napi_get_named_property(env_, v, "source", &source));
    Check(napi_get_named_property(env_, v, "flags", &flags));
    const std::u16string src = Utf16(source), fl = Utf16(flags);
    uint32_t bits = 0;
    for (char16_t c : fl) {
      const char* at = c < 0x80 ? std::strchr(kRegExpFlags, static_cast<char>(c)) : nullptr;
      if (at && c) bits |= 1u << (at - kRegExpFlags);
    }
    w_.RegExp(src.data(), src.size(), bits);
  }

  bool HasOwn(napi_value obj, const char* name) {
    napi_value key;
    bool has;
    Check(napi_create_string_utf8(env_, name, NAPI_AUTO_LENGTH, &key));
    Check(napi_has_own_property(env_, obj, key, &has));
    return has;
  }
  napi_value Get(napi_value obj, const char* name) {
    napi_value r;
    Check(napi_get_named_property(env_, obj, name, &r));
    return r;
  }
  bool IsString(napi_value v) {
    napi_valuetype t;
    Check(napi_typeof(env_, v, &t));
    return t == napi_string;
  }

  void Error(napi_value v) {
    DepthGuard g(*this);
    // Class by `name`, as V8's serializer does; other names are kept as such.
    napi_value name = Get(v, "name");
    WireErrorKind kind = WireErrorKind::kError;
    std::u16string custom;
    if (IsString(name)) {
      custom = Utf16(name);
      kind = WireErrorKind::kCustom;
      for (size_t i = 0; i < std::size(kErrorNames); ++i) {
        if (custom.size() == std::strlen(kErrorNames[i]) &&
            std::equal(custom.begin(), custom.end(), kErrorNames[i])) {
          kind = static_cast<WireErrorKind>(i);
        }
      }
    }
    uint32_t fields = 0;
    napi_value message = nullptr, stack = nullptr;
    if (kind == WireErrorKind::kCustom) fields |= wire::kErrorHasName;
    if (HasOwn(v, "message")) {
      Check(napi_coerce_to_string(env_, Get(v, "message"), &message));
      fields |= wire::kErrorHasMessage;
    }
    stack = Get(v, "stack");
    if (IsString(stack)) fields |= wire::kErrorHasStack;
    const bool cause = HasOwn(v, "cause");
    if (cause) fields |= wire::kErrorHasCause;
    const bool errors = kind == WireErrorKind::kAggregateError && HasOwn(v, "errors");
    if (errors) fields |= wire::kErrorHasErrors;

    w_.BeginError(kind, fields);
    if (fields & wire::kErrorHasName) w_.String(custom.data(), custom.size());
    if (fields & wire::kErrorHasMessage) String(message);
    if (fields & wire::kErrorHasStack) String(stack);
    if (cause) Value(Get(v, "cause"));
    if (errors) Value(Get(v, "errors"));
    napi_value keys = Call(s_.keys, {v});
    const uint32_t n = Length(keys);
    w_.ErrorProps(n);
    Props(v, keys, 0, n);
  }

  void ArrayBuffer(napi_value v) {
    if (hooks_.transfer && hooks_.transfer(Napi::Env(env_), Napi::Value(env_, v))) return External(v);
    bool detached = false;
    Check(napi_is_detached_arraybuffer(env_, v, &detached));
    if (detached) {
      throw MakeDataCloneError(Napi::Env(env_), "An ArrayBuffer is detached and could not be cloned.");
    }
    void* data;
    size_t len;
    Check(napi_get_arraybuffer_info(env_, v, &data, &len));
    w_.ArrayBuffer(data, len);
  }

  // A view: header, then its buffer (inline or BACKREF), then the view's id.
  void View(napi_value v, WireViewKind kind, size_t offset, size_t length, napi_value buffer) {
    uint32_t id;
    if (Seen(v, &id)) {
      w_.BackRef(id);
      return;
    }
    bool is_ab = false;
    Check(napi_is_arraybuffer(env_, buffer, &is_ab));
    if (!is_ab) {  // SharedArrayBuffer: the side channel carries the view
      FindOrAdd(v);
      return External(v);
    }
    DepthGuard g(*this);
    w_.BeginView(kind, offset, length);
    Object(buffer);
    FindOrAdd(v);
  }

  void TypedArray(napi_value v) {
    napi_typedarray_type type;
    size_t length, offset;
    void* data;
    napi_value buffer;
    Check(napi_get_typedarray_info(env_, v, &type, &length, &data, &buffer, &offset));
    auto kind = static_cast<WireViewKind>(type);
    if (type == napi_uint8_array) {
      napi_value proto;
      bool eq;
      Check(napi_get_prototype(env_, v, &proto));
      Check(napi_strict_equals(env_, proto, s_.Get(s_.buffer_proto), &eq));
      if (eq) kind = WireViewKind::kNodeBuffer;
    }
    if (static_cast<uint8_t>(kind) >= wire::kViewKindCount) throw Uncloneable(v);
    View(v, kind, offset, length, buffer);
  }

  void DataView(napi_value v) {
    size_t length, offset;
    void* data;
    napi_value buffer;
    Check(napi_get_dataview_info(env_, v, &length, &data, &buffer, &offset));
    View(v, WireViewKind::kDataView, offset, length, buffer);
  }

  static constexpr size_t kLinearIdLimit = 16;

  napi_env env_;
  EnvState& s_;
  wire::WireWriter w_;
  EncodeHooks& hooks_;
  wire::WireLimits limits_;
  uint32_t depth_ = 0;
  uint32_t next_id_ = 0;
  // The first kLinearIdLimit objects, by id (then id_map_): inline, so a
  // small value's encode allocates nothing for its identities.
  napi_value seen_[kLinearIdLimit];
  size_t nseen_ = 0;
  napi_value id_map_ = nullptr;
  std::u16string scratch_;
};

}  // namespace

void EncodeValue(Napi::Env env, Napi::Value value, Bytes& out, EncodeHooks& hooks) {
  EnvState& state = StateFor(env);
  const size_t start = out.size();
  Encoder enc(env, state, out, hooks);
  try {
    enc.Value(value);
  } catch (...) {
    out.resize(start);  // no partial message
    throw;
  }
  if (out.size() - start > wire::WireLimits{}.max_size) {
    out.resize(start);
    throw MakeDataCloneError(env, "Value is larger than the wire size limit of " +
                                      std::to_string(wire::WireLimits{}.max_size) +
                                      " bytes and could not be cloned.");
  }
}

}  // namespace nativepool
