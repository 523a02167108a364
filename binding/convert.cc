// convert.cc — JS value <-> wire bytes. See convert.h for what is carried.
//
// The encoder walks the value recursively with raw napi_* calls (each status
// checked; a failure throws the pending JS exception as Napi::Error). The
// decoder is wire::Decode driving JsBuilder, a visitor that keeps a stack of
// containers being filled. What Node-API cannot do (detect Proxies, iterate a
// Map, build a Buffer over an existing ArrayBuffer) is done by small JS helpers
// compiled once per environment and kept in EnvState.
#include "convert.h"

#include <array>
#include <cstring>
#include <memory>

#include "wire.h"

namespace nativepool {
namespace {

using wire::WireErrorKind;
using wire::WireString;
using wire::WireViewKind;

// --- per-environment state ----------------------------------------------------
//
// Instance data belongs to binding/addon.cc, so this file keeps its own
// per-env state in a thread-local list (an env lives on one thread), removed by
// an env cleanup hook before the env's references become invalid.

constexpr const char kHelpersSource[] = R"JS((function () {
  'use strict';
  const { isProxy, isMap, isSet, isRegExp, isWeakMap, isWeakSet, isPromise } =
      process.getBuiltinModule('util').types;
  const getProto = Object.getPrototypeOf, keys = Object.keys, OP = Object.prototype;
  const defineProperty = Object.defineProperty;
  const mapEntries = Map.prototype.entries, setValues = Set.prototype.values;
  const mapGet = Map.prototype.get, mapSet = Map.prototype.set;
  const WR = globalThis.WeakRef, FR = globalThis.FinalizationRegistry;
  const bufferFrom = Buffer.from;
  const views = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
                 Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array,
                 BigUint64Array, DataView];
  const errors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError,
                  URIError, AggregateError];
  // Identity for large graphs (Encoder::IdentityCall): with an id map, the id
  // v already has, as -1 - id; else v gets `next` and the result is undefined.
  function seen(ids, v, next) {
    if (ids === undefined) return undefined;
    const r = mapGet.call(ids, v);
    if (r !== undefined) return -1 - r;
    mapSet.call(ids, v, next);
    return undefined;
  }
  // Key lists of the last few object shapes. shapeTag(ks) = generation * 4 +
  // slot; EnvState::shapes caches the characters per slot under that tag, so
  // the encoder reads each key once per shape, and a tag it has not seen
  // (a new shape, or any missed update) just makes it read the keys again.
  const shapes = [[], [], [], []], gens = [0, 0, 0, 0];
  let shapeNext = 0;
  function shapeTag(ks) {
    outer: for (let s = 0; s < 4; s++) {
      const c = shapes[s];
      if (c.length !== ks.length) continue;
      for (let i = 0; i < ks.length; i++) if (c[i] !== ks[i]) continue outer;
      return gens[s] * 4 + s;
    }
    const s = shapeNext;
    shapes[s] = ks;
    gens[s] = (gens[s] + 1) & 0xfffffff;
    shapeNext = (s + 1) & 3;
    return gens[s] * 4 + s;
  }
  return {
    // For a plain object [shapeTag(keys), ...values, keys] (own enumerable
    // string keys), else a number:
    // 1 Map, 2 Set, 3 RegExp, 4 uncloneable, 5 external (or see seen()).
    classify(v, ids, next) {
      const r = seen(ids, v, next);
      if (r !== undefined) return r;
      if (isProxy(v)) return 5;
      const p = getProto(v);
      if (p === OP || p === null) {
        const ks = keys(v), n = ks.length, out = new Array(n + 2);
        for (let i = 0; i < n; i++) out[i + 1] = v[ks[i]];
        out[0] = shapeTag(ks);
        out[n + 1] = ks;
        return out;
      }
      if (isMap(v)) return 1;
      if (isSet(v)) return 2;
      if (isRegExp(v)) return 3;
      if (isWeakMap(v) || isWeakSet(v) || isPromise(v) ||
          (WR && v instanceof WR) || (FR && v instanceof FR)) return 4;
      return 5;
    },
    keys,
    // [index key count, own enumerable keys (indices first, as strings),
    //  a Float64Array copy when the array is long, packed and all numbers]
    arrayInfo(a, ids, next) {
      const r = seen(ids, a, next);
      if (r !== undefined) return r;
      const ks = keys(a), n = a.length;
      let lo = 0, hi = ks.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1, k = ks[m];
        if (String(k >>> 0) === k && k !== '4294967295') lo = m + 1; else hi = m;
      }
      let numbers = null;
      if (lo === n && n >= 16) {
        let all = true;
        for (let i = 0; i < n; i++) if (typeof a[i] !== 'number') { all = false; break; }
        if (all) numbers = new Float64Array(a);
      }
      return [lo, ks, numbers];
    },
    // Rest parameters build a packed array in one step.
    arrayOf(...items) { return items; },
    pushItems(a, ...items) { for (let i = 0; i < items.length; i++) a.push(items[i]); },
    // Own data properties, like structuredClone (so '__proto__' stays a key).
    makeObject(...kv) {
      const o = {};
      for (let i = 0; i < kv.length; i += 2) {
        const k = kv[i];
        if (k === '__proto__') defineProperty(o, k, { value: kv[i + 1], writable: true, enumerable: true, configurable: true });
        else o[k] = kv[i + 1];
      }
      return o;
    },
    mapEntries(m) {
      const out = [];
      for (const e of mapEntries.call(m)) out.push(e[0], e[1]);
      return out;
    },
    setValues(s) { return Array.from(setValues.call(s)); },
    // Identity map for large graphs: the id already given to v, or undefined
    // after giving it `id`.
    idOf(ids, v) { return mapGet.call(ids, v); },
    track(ids, v, id) {
      const r = mapGet.call(ids, v);
      if (r === undefined) mapSet.call(ids, v, id);
      return r;
    },
    describe(v) {
      if (typeof v === 'function' || typeof v === 'symbol') return String(v);
      let name = 'Object';
      try {
        const c = getProto(v).constructor;
        if (typeof c === 'function' && c.name) name = c.name;
      } catch {}
      return '#<' + name + '>';
    },
    makeView(kind, buffer, offset, length) {
      if (kind === 12) return bufferFrom(buffer, offset, length);
      return new views[kind](buffer, offset, length);
    },
    makeError(kind, hasMessage, message) {
      const C = errors[kind];
      if (kind === 7) return hasMessage ? new C([], message) : new C([]);
      return hasMessage ? new C(message) : new C();
    },
    bufferProto: Buffer.prototype,
    MapCtor: Map, SetCtor: Set, RegExpCtor: RegExp,
    mapSet, setAdd: Set.prototype.add,
  };
})())JS";

class EnvState {
 public:
  explicit EnvState(napi_env env) : env_(env) {
    napi_value script, result;
    Check(napi_create_string_utf8(env, kHelpersSource, NAPI_AUTO_LENGTH, &script));
    Check(napi_run_script(env, script, &result));
    Napi::Object h(env, result);
    classify = Ref(h, "classify");
    keys = Ref(h, "keys");
    array_info = Ref(h, "arrayInfo");
    array_of = Ref(h, "arrayOf");
    push_items = Ref(h, "pushItems");
    make_object = Ref(h, "makeObject");
    map_entries = Ref(h, "mapEntries");
    set_values = Ref(h, "setValues");
    track = Ref(h, "track");
    id_of = Ref(h, "idOf");
    describe = Ref(h, "describe");
    make_view = Ref(h, "makeView");
    make_error = Ref(h, "makeError");
    buffer_proto = Ref(h, "bufferProto");
    map_ctor = Ref(h, "MapCtor");
    set_ctor = Ref(h, "SetCtor");
    regexp_ctor = Ref(h, "RegExpCtor");
    map_set = Ref(h, "mapSet");
    set_add = Ref(h, "setAdd");
  }

  napi_value Get(napi_ref r) const {
    napi_value v;
    Check(napi_get_reference_value(env_, r, &v));
    return v;
  }
  void Check(napi_status s) const {
    if (s != napi_ok) throw Napi::Error::New(Napi::Env(env_));
  }

  // The characters of the keys of each of the helpers' shape slots, with the
  // shapeTag they were read under.
  using KeyNames = std::vector<std::u16string>;
  struct Shape {
    uint32_t tag = UINT32_MAX;
    std::shared_ptr<const KeyNames> names;
  };
  std::array<Shape, 4> shapes;

  napi_ref classify, keys, array_info, array_of, push_items, make_object, map_entries, set_values,
      track, id_of, describe, make_view, make_error, buffer_proto, map_ctor, set_ctor, regexp_ctor,
      map_set, set_add;

 private:
  napi_ref Ref(Napi::Object h, const char* name) {
    napi_ref r;
    Check(napi_create_reference(env_, h.Get(name), 1, &r));
    refs_.push_back(Napi::Reference<Napi::Value>(env_, r));
    return r;
  }
  napi_env env_;
  std::vector<Napi::Reference<Napi::Value>> refs_;  // owns the refs above
};

struct EnvEntry {
  napi_env env;
  std::unique_ptr<EnvState> state;
};
thread_local std::vector<EnvEntry> tls_envs;

void RemoveEnv(void* arg) {
  auto env = static_cast<napi_env>(arg);
  for (auto it = tls_envs.begin(); it != tls_envs.end(); ++it) {
    if (it->env == env) {
      tls_envs.erase(it);
      return;
    }
  }
}

EnvState& StateFor(napi_env env) {
  for (auto& e : tls_envs) {
    if (e.env == env) return *e.state;
  }
  auto state = std::make_unique<EnvState>(env);
  if (napi_add_env_cleanup_hook(env, RemoveEnv, env) != napi_ok) {
    throw Napi::Error::New(Napi::Env(env), "nativepool: cannot add env cleanup hook");
  }
  tls_envs.push_back({env, std::move(state)});
  return *tls_envs.back().state;
}

constexpr const char* kErrorNames[] = {"Error",       "EvalError",     "RangeError",
                                       "ReferenceError", "SyntaxError", "TypeError",
                                       "URIError",    "AggregateError"};
constexpr char kRegExpFlags[] = "dgimsuvy";  // bit i <-> kRegExpFlags[i]

// --- encoder ----------------------------------------------------------------

class Encoder {
 public:
  Encoder(napi_env env, EnvState& state, std::vector<uint8_t>& out, EncodeHooks& hooks)
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
      for (size_t i = 0; i < seen_.size(); ++i) {
        bool eq;
        Check(napi_strict_equals(env_, seen_[i], v, &eq));
        if (eq) return static_cast<int64_t>(i);
      }
      if (seen_.size() < kLinearIdLimit) {
        seen_.push_back(v);
        ++next_id_;
        return -1;
      }
      Check(napi_new_instance(env_, s_.Get(s_.map_ctor), 0, nullptr, &id_map_));
      for (size_t i = 0; i < seen_.size(); ++i) Track(seen_[i], static_cast<uint32_t>(i));
      seen_.clear();
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
      for (size_t i = 0; i < seen_.size(); ++i) {
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
    switch (code) {
      case 1: return MapOrSet(v, true);
      case 2: return MapOrSet(v, false);
      case 3: return RegExp(v);
      case 4: throw Uncloneable(v);
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
  std::vector<napi_value> seen_;
  napi_value id_map_ = nullptr;
  std::u16string scratch_;
};

// --- decoder ----------------------------------------------------------------

// Arrays and plain objects are built in batch: their elements are collected in
// `pending_` and the object is made by one JS call at End* (arrayOf /
// makeObject), far cheaper than a napi_set_* per element. If the object is
// needed before its end (a back-reference into it, i.e. a cycle; a hole; a
// named property on an array; too many elements), it is materialized: created
// empty, filled with what was collected, and filled directly from then on.
class JsBuilder final : public wire::WireVisitor {
 public:
  JsBuilder(napi_env env, EnvState& state, DecodeHooks& hooks)
      : env_(env), s_(state), hooks_(hooks) {}

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
    void* dst;
    napi_value ab;
    Check(napi_create_arraybuffer(env_, length, &dst, &ab));
    if (length) std::memcpy(dst, data, length);
    ids_.push_back(ab);
    return Emit(ab);
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
  std::vector<Frame> stack_;
  std::vector<napi_value> ids_;
  std::vector<napi_value> pending_;
  napi_value result_ = nullptr;
  bool last_was_proto_ = false;
  std::u16string scratch_;
};

}  // namespace

Napi::Error MakeDataCloneError(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  o.DefineProperty(Napi::PropertyDescriptor::Value(
      "name", Napi::String::New(env, "DataCloneError"),
      static_cast<napi_property_attributes>(napi_writable | napi_configurable)));
  o.Set("code", Napi::String::New(env, "ERR_DATA_CLONE"));
  return e;
}

void EncodeValue(Napi::Env env, Napi::Value value, std::vector<uint8_t>& out, EncodeHooks& hooks) {
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

Napi::Value DecodeValue(Napi::Env env, const uint8_t* data, size_t size, DecodeHooks& hooks) {
  EnvState& state = StateFor(env);
  JsBuilder builder(env, state, hooks);
  std::string error;
  if (!wire::Decode(data, size, builder, &error)) {
    Napi::Error e = Napi::Error::New(env, "nativepool wire: malformed message: " + error);
    e.Set("code", "ERR_WIRE_MALFORMED");
    throw e;
  }
  return Napi::Value(env, builder.result());
}

}  // namespace nativepool
