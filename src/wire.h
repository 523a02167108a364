// wire.h — nativepool's binary format for values crossing threads.
//
// The format carries what structuredClone carries (plus Error names and own
// properties, and Node Buffers as Buffers) as a flat byte string that the
// scheduler can move between threads without touching JavaScript. It has no
// Node headers: the binding (binding/convert_encode.cc, convert_decode.cc) turns JS values into these
// bytes and back, the fuzzer (test/fuzz/wire_decode_fuzz.cc) feeds it garbage.
//
// ## Layout
//
//   message  := MAGIC(0xF5) VERSION(0x01) value            (nothing may follow)
//   varint   := unsigned LEB128, at most 10 bytes, value must fit the field
//   string   := STRING1 varint(n) n*u8                     Latin-1 code units
//             | STRING2 varint(n) [pad] n*u16le            UTF-16 code units;
//               `pad` is one 0x00 byte present iff the payload would otherwise
//               start at an odd offset from the message start.
//   key      := string | INT32 (>= 0) | DOUBLE (integral, 0 .. 2^32-2)
//
//   tag  name         payload (after the tag byte)                    gets an id
//   0x00 UNDEFINED    —
//   0x01 NULL         —
//   0x02 FALSE        —
//   0x03 TRUE         —
//   0x04 INT32        varint(zigzag(v))
//   0x05 DOUBLE       f64 little-endian (any bit pattern: -0, NaN, ...)
//   0x06 BIGINT       u8 sign (0|1), varint(n), n*u64le magnitude words
//   0x07 STRING1      see `string`
//   0x08 STRING2      see `string`
//   0x09 HOLE         —  (only as a dense array element)
//   0x0A ARRAY        varint(length), varint(d), d*(value|HOLE),        yes
//                     varint(p), p*(key value)   d <= length; the other
//                     indices (sparse arrays) and named props are in p
//   0x0B OBJECT       varint(p), p*(key value)                          yes
//   0x0C DATE         f64le time value                                  yes
//   0x0D REGEXP       string(source), varint(flags: d=1 g=2 i=4 m=8     yes
//                     s=16 u=32 v=64 y=128)
//   0x0E MAP          varint(n), n*(value value)                        yes
//   0x0F SET          varint(n), n*value                                yes
//   0x10 ERROR        varint(kind: WireErrorKind), varint(fields:       yes
//                     WireErrorField bits), [string name] [string
//                     message] [string stack] [value cause] [value
//                     errors], varint(p), p*(key value)
//   0x11 ARRAYBUFFER  varint(n), n bytes                                yes
//   0x12 VIEW         u8 kind (WireViewKind), varint(byte_offset),      yes,
//                     varint(length: elements, bytes for DataView),     after
//                     then the buffer: ARRAYBUFFER | BACKREF to an       its
//                     ARRAYBUFFER | EXTERNAL (a SharedArrayBuffer)      buffer
//   0x13 BACKREF      varint(id)
//   0x14 EXTERNAL     varint(slot) — a value carried by a side channel  yes
//
// ## Identity
//
// Every object gets the next id (0, 1, 2, ...) when the writer first meets it,
// in pre-order, so BACKREF(id) can refer to an object that is still being
// written (cycles). A VIEW is the one exception: it takes its id after its
// buffer, since a view cannot contain itself. BACKREF must name an id already
// handed out; a VIEW's buffer must be an ARRAYBUFFER (inline or by BACKREF) or
// an EXTERNAL, and the view must fit in and be aligned within a known buffer.
//
// ## Limits
//
// The decoder never reads past `size`, never allocates more than a small
// multiple of `size`, and fails with a message (never an exception or UB) on
// truncation, trailing bytes, unknown tags, bad version, nesting deeper than
// WireLimits::max_depth, input larger than WireLimits::max_size, counts that
// cannot fit in the remaining bytes, and the id rules above.
//
// References: V8's ValueSerializer (src/objects/value-serializer.cc) for the
// object model; the HTML structured clone algorithm for the semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bytes.h"

namespace nativepool::wire {

inline constexpr uint8_t kMagic = 0xF5;
inline constexpr uint8_t kVersion = 0x01;

enum class Tag : uint8_t {
  kUndefined = 0x00,
  kNull = 0x01,
  kFalse = 0x02,
  kTrue = 0x03,
  kInt32 = 0x04,
  kDouble = 0x05,
  kBigInt = 0x06,
  kString1 = 0x07,
  kString2 = 0x08,
  kHole = 0x09,
  kArray = 0x0A,
  kObject = 0x0B,
  kDate = 0x0C,
  kRegExp = 0x0D,
  kMap = 0x0E,
  kSet = 0x0F,
  kError = 0x10,
  kArrayBuffer = 0x11,
  kView = 0x12,
  kBackRef = 0x13,
  kExternal = 0x14,
};

// Error classes with a built-in constructor; kCustom carries its name string.
enum class WireErrorKind : uint8_t {
  kError = 0,
  kEvalError,
  kRangeError,
  kReferenceError,
  kSyntaxError,
  kTypeError,
  kURIError,
  kAggregateError,
  kCustom,  // constructed as Error, with an own non-enumerable `name`
};
inline constexpr uint8_t kErrorKindCount = 9;

enum WireErrorField : uint32_t {
  kErrorHasName = 1u << 0,  // required iff kind == kCustom
  kErrorHasMessage = 1u << 1,
  kErrorHasStack = 1u << 2,
  kErrorHasCause = 1u << 3,
  kErrorHasErrors = 1u << 4,  // AggregateError#errors
};
inline constexpr uint32_t kErrorFieldMask = 0x1F;

// The first eleven match napi_typedarray_type's numbering on purpose.
enum class WireViewKind : uint8_t {
  kInt8 = 0,
  kUint8,
  kUint8Clamped,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kFloat32,
  kFloat64,
  kBigInt64,
  kBigUint64,
  kDataView,
  kNodeBuffer,  // a Uint8Array with Buffer.prototype; decoded as a Buffer
};
inline constexpr uint8_t kViewKindCount = 13;
size_t ViewElementSize(WireViewKind kind);  // 1 for DataView and Buffer

inline constexpr uint32_t kRegExpFlagMask = 0xFF;

struct WireLimits {
  // Nested containers (arrays, objects, ...). The binding recurses natively
  // and calls small JS helpers at every level, so V8's stack limit (~1 MB by
  // default) must hold the whole depth: 1000 leaves room under ASan too.
  uint32_t max_depth = 1000;
  size_t max_size = size_t{1} << 31;  // whole message, bytes
};

// A string as stored: `length` code units at `data`, one byte each (Latin-1)
// or two bytes each (UTF-16LE). Two-byte data may be unaligned: use
// Utf16Units() to get an aligned pointer.
struct WireString {
  const uint8_t* data = nullptr;
  uint32_t length = 0;
  bool two_byte = false;
};
// Aligned UTF-16 code units of `s` (two-byte only): `s.data` itself when it
// is aligned and the host is little-endian, otherwise a copy in `scratch`.
const char16_t* Utf16Units(const WireString& s, std::u16string& scratch);

struct WireErrorHeader {
  WireErrorKind kind = WireErrorKind::kError;
  uint32_t fields = 0;  // WireErrorField bits
  WireString name;      // valid iff fields & kErrorHasName
  WireString message;   // valid iff fields & kErrorHasMessage
  WireString stack;     // valid iff fields & kErrorHasStack
};

// ---------------------------------------------------------------------------
// Writer. Callers emit a well-formed sequence (the binding does); the writer
// does not validate structure. Strings are chosen one- or two-byte by content.

class WireWriter {
 public:
  explicit WireWriter(Bytes& out);  // appends the header
  static constexpr size_t kFirstReserve = 64;  // bytes made room for up front

  void Undefined() { Put(Tag::kUndefined); }
  void Null() { Put(Tag::kNull); }
  void Bool(bool v) { Put(v ? Tag::kTrue : Tag::kFalse); }
  void Int32(int32_t v);
  void Double(double v);
  // Writes INT32 when `v` is an int32 other than -0, else DOUBLE.
  void Number(double v);
  // Number() for each of `count` values (a fast path for numeric arrays).
  void Numbers(const double* values, size_t count);
  void BigInt(bool negative, const uint64_t* words, size_t count);
  void String1(const uint8_t* data, size_t length);
  void String2(const char16_t* data, size_t length);
  // Latin-1 if every unit is < 0x100, else UTF-16.
  void String(const char16_t* data, size_t length);
  void Hole() { Put(Tag::kHole); }
  void BeginArray(uint32_t length, uint32_t dense_count);
  void ArrayProps(uint32_t prop_count) { Varint(prop_count); }  // after dense
  void BeginObject(uint32_t prop_count);
  void Date(double time);
  void RegExp(const char16_t* source, size_t length, uint32_t flags);
  void BeginMap(uint32_t entry_count);
  void BeginSet(uint32_t size);
  // Then: name/message/stack strings as flagged (via String*), then cause and
  // errors values as flagged, then ErrorProps(p) and p key/value pairs.
  void BeginError(WireErrorKind kind, uint32_t fields);
  void ErrorProps(uint32_t prop_count) { Varint(prop_count); }
  void ArrayBuffer(const void* data, size_t length);
  // Then exactly one buffer value (ArrayBuffer / BackRef / External).
  void BeginView(WireViewKind kind, uint64_t byte_offset, uint64_t length);
  void BackRef(uint32_t id);
  void External(uint32_t slot);

  void Varint(uint64_t v);
  // Bytes already in wire form (one whole value, position-independent: no
  // STRING2), e.g. a flat object lib/wire-helpers.js wrote.
  void Raw(const uint8_t* data, size_t n) { out_.insert(out_.end(), data, data + n); }
  Bytes& bytes() { return out_; }

 private:
  void Put(Tag t) { out_.push_back(static_cast<uint8_t>(t)); }
  Bytes& out_;
  size_t start_;
};

// ---------------------------------------------------------------------------
// Decoder. Drives a visitor in document order. Callbacks return false to stop
// (the decoder then returns false and leaves `*error` alone if the visitor
// has set it, else sets "stopped by visitor"). Containers are announced with
// Begin*, their children follow as ordinary callbacks, then End*:
//   array : d element values (OnHole for holes), then key/value pairs
//   object: p key/value pairs        map: n key/value pairs     set: n values
//   error : [cause] [errors] then key/value pairs     view: one buffer value
// (The number of pairs of an array or error is written after its elements or
// fields, so the visitor is not told it up front: pairs run until End*.)
// Keys arrive as OnString, OnInt32 or OnDouble.

class WireVisitor {
 public:
  virtual ~WireVisitor() = default;
  virtual bool OnUndefined() = 0;
  virtual bool OnNull() = 0;
  virtual bool OnBool(bool v) = 0;
  virtual bool OnInt32(int32_t v) = 0;
  virtual bool OnDouble(double v) = 0;
  // `words` is aligned, least significant first; count may be 0 (zero).
  virtual bool OnBigInt(bool negative, const uint64_t* words, size_t count) = 0;
  virtual bool OnString(const WireString& s) = 0;
  virtual bool OnHole() = 0;
  virtual bool BeginArray(uint32_t length, uint32_t dense_count) = 0;
  virtual bool EndArray() = 0;
  virtual bool BeginObject(uint32_t prop_count) = 0;
  virtual bool EndObject() = 0;
  virtual bool OnDate(double time) = 0;
  virtual bool OnRegExp(const WireString& source, uint32_t flags) = 0;
  virtual bool BeginMap(uint32_t entry_count) = 0;
  virtual bool EndMap() = 0;
  virtual bool BeginSet(uint32_t size) = 0;
  virtual bool EndSet() = 0;
  virtual bool BeginError(const WireErrorHeader& header) = 0;
  virtual bool EndError() = 0;
  virtual bool OnArrayBuffer(const uint8_t* data, size_t length) = 0;
  virtual bool BeginView(WireViewKind kind, uint64_t byte_offset, uint64_t length) = 0;
  virtual bool EndView() = 0;
  virtual bool OnBackRef(uint32_t id) = 0;
  virtual bool OnExternal(uint32_t slot) = 0;
};

// Decodes one message. Returns true on success. On failure returns false and,
// if `error` is non-null, stores a message naming the byte offset. The decoder
// itself never throws (allocation failure is reported as an error); an
// exception thrown by the visitor propagates unchanged (the decoder holds
// only RAII state, so unwinding through it is safe).
bool Decode(const uint8_t* data, size_t size, WireVisitor& visitor, std::string* error,
            const WireLimits& limits = WireLimits{});

// A flat record: UNDEFINED, NULL, FALSE, TRUE, INT32, DOUBLE, a STRING1, or
// an OBJECT of at most kFlatMaxKeys entries whose keys are STRING1 and whose
// values are any of those but OBJECT — the records lib/wire-helpers.js
// encodes and decodes itself (encodeFlat, decodeFlat). True if `record`
// (the bytes after the message header) is exactly one, well formed.
inline constexpr uint32_t kFlatMaxKeys = 64;
bool IsFlatRecord(const uint8_t* record, size_t size);

}  // namespace nativepool::wire
