// convert_env.cc — the JS helpers the converter compiles once per
// environment, and the thread-local list that holds them.
#include "convert_env.h"

#include "convert.h"

namespace nativepool::convert_detail {

namespace {

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

}  // namespace

EnvState::EnvState(napi_env env) : env_(env) {
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

}  // namespace nativepool::convert_detail

namespace nativepool {

Napi::Error MakeDataCloneError(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  o.DefineProperty(Napi::PropertyDescriptor::Value(
      "name", Napi::String::New(env, "DataCloneError"),
      static_cast<napi_property_attributes>(napi_writable | napi_configurable)));
  o.Set("code", Napi::String::New(env, "ERR_DATA_CLONE"));
  return e;
}

}  // namespace nativepool
