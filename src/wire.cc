// wire.cc — writer and bounds-checked decoder for the format in wire.h.
#include "wire.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <new>

namespace nativepool::wire {

size_t ViewElementSize(WireViewKind kind) {
  switch (kind) {
    case WireViewKind::kInt16:
    case WireViewKind::kUint16:
      return 2;
    case WireViewKind::kInt32:
    case WireViewKind::kUint32:
    case WireViewKind::kFloat32:
      return 4;
    case WireViewKind::kFloat64:
    case WireViewKind::kBigInt64:
    case WireViewKind::kBigUint64:
      return 8;
    default:
      return 1;
  }
}

const char16_t* Utf16Units(const WireString& s, std::u16string& scratch) {
  if constexpr (std::endian::native == std::endian::little) {
    if (reinterpret_cast<uintptr_t>(s.data) % alignof(char16_t) == 0) {
      return reinterpret_cast<const char16_t*>(s.data);
    }
  }
  scratch.resize(s.length);
  for (uint32_t i = 0; i < s.length; ++i) {
    scratch[i] = static_cast<char16_t>(s.data[2 * i] | (s.data[2 * i + 1] << 8));
  }
  return scratch.data();
}

// --- writer -----------------------------------------------------------------

WireWriter::WireWriter(Bytes& out) : out_(out), start_(out.size()) {
  // A small message in an empty vector would grow it 1, 2, 4, ... 32 bytes:
  // six allocations for a { a, tag }. One reservation covers it.
  if (out_.capacity() - out_.size() < kFirstReserve) out_.reserve(out_.size() + kFirstReserve);
  out_.push_back(kMagic);
  out_.push_back(kVersion);
}

void WireWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}

void WireWriter::Int32(int32_t v) {
  Put(Tag::kInt32);
  const uint32_t u = static_cast<uint32_t>(v);
  Varint((u << 1) ^ static_cast<uint32_t>(-static_cast<int32_t>(u >> 31)));
}

static void PutF64(Bytes& out, double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

void WireWriter::Double(double v) {
  Put(Tag::kDouble);
  PutF64(out_, v);
}

void WireWriter::Number(double v) {
  // Range check first: casting an out-of-range double to int is UB.
  if (v >= -2147483648.0 && v <= 2147483647.0) {
    const int32_t i = static_cast<int32_t>(v);
    if (static_cast<double>(i) == v && !(i == 0 && std::signbit(v))) {
      Int32(i);
      return;
    }
  }
  Double(v);
}

void WireWriter::Numbers(const double* values, size_t count) {
  // At most 9 bytes each (DOUBLE); write through a pointer, then trim.
  const size_t at = out_.size();
  out_.resize(at + 9 * count);
  uint8_t* p = out_.data() + at;
  for (size_t k = 0; k < count; ++k) {
    const double v = values[k];
    if (v >= -2147483648.0 && v <= 2147483647.0) {
      const int32_t i = static_cast<int32_t>(v);
      if (static_cast<double>(i) == v && !(i == 0 && std::signbit(v))) {
        *p++ = static_cast<uint8_t>(Tag::kInt32);
        uint32_t z = (static_cast<uint32_t>(i) << 1) ^ static_cast<uint32_t>(i >> 31);
        while (z >= 0x80) {
          *p++ = static_cast<uint8_t>(z) | 0x80;
          z >>= 7;
        }
        *p++ = static_cast<uint8_t>(z);
        continue;
      }
    }
    *p++ = static_cast<uint8_t>(Tag::kDouble);
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    for (int b = 0; b < 8; ++b) *p++ = static_cast<uint8_t>(bits >> (8 * b));
  }
  out_.resize(static_cast<size_t>(p - out_.data()));
}

void WireWriter::BigInt(bool negative, const uint64_t* words, size_t count) {
  while (count > 0 && words[count - 1] == 0) --count;  // canonical: no top zeros
  Put(Tag::kBigInt);
  out_.push_back(negative && count > 0 ? 1 : 0);
  Varint(count);
  for (size_t w = 0; w < count; ++w) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(words[w] >> (8 * i)));
  }
}

void WireWriter::String1(const uint8_t* data, size_t length) {
  Put(Tag::kString1);
  Varint(length);
  out_.insert(out_.end(), data, data + length);
}

void WireWriter::String2(const char16_t* data, size_t length) {
  Put(Tag::kString2);
  Varint(length);
  if ((out_.size() - start_) % 2 != 0) out_.push_back(0);
  const size_t at = out_.size();
  out_.resize(at + 2 * length);
  uint8_t* p = out_.data() + at;
  if constexpr (std::endian::native == std::endian::little) {
    if (length) std::memcpy(p, data, 2 * length);
  } else {
    for (size_t i = 0; i < length; ++i) {
      p[2 * i] = static_cast<uint8_t>(data[i]);
      p[2 * i + 1] = static_cast<uint8_t>(data[i] >> 8);
    }
  }
}

void WireWriter::String(const char16_t* data, size_t length) {
  char16_t any = 0;
  for (size_t i = 0; i < length; ++i) any |= data[i];
  if (any < 0x100) {
    Put(Tag::kString1);
    Varint(length);
    const size_t at = out_.size();
    out_.resize(at + length);
    uint8_t* p = out_.data() + at;
    for (size_t i = 0; i < length; ++i) p[i] = static_cast<uint8_t>(data[i]);
  } else {
    String2(data, length);
  }
}

void WireWriter::BeginArray(uint32_t length, uint32_t dense_count) {
  Put(Tag::kArray);
  Varint(length);
  Varint(dense_count);
}

void WireWriter::BeginObject(uint32_t prop_count) {
  Put(Tag::kObject);
  Varint(prop_count);
}

void WireWriter::Date(double time) {
  Put(Tag::kDate);
  PutF64(out_, time);
}

void WireWriter::RegExp(const char16_t* source, size_t length, uint32_t flags) {
  Put(Tag::kRegExp);
  String(source, length);
  Varint(flags);
}

void WireWriter::BeginMap(uint32_t entry_count) {
  Put(Tag::kMap);
  Varint(entry_count);
}

void WireWriter::BeginSet(uint32_t size) {
  Put(Tag::kSet);
  Varint(size);
}

void WireWriter::BeginError(WireErrorKind kind, uint32_t fields) {
  Put(Tag::kError);
  Varint(static_cast<uint8_t>(kind));
  Varint(fields);
}

void WireWriter::ArrayBuffer(const void* data, size_t length) {
  Put(Tag::kArrayBuffer);
  Varint(length);
  const auto* p = static_cast<const uint8_t*>(data);
  if (length) out_.insert(out_.end(), p, p + length);
}

void WireWriter::BeginView(WireViewKind kind, uint64_t byte_offset, uint64_t length) {
  Put(Tag::kView);
  out_.push_back(static_cast<uint8_t>(kind));
  Varint(byte_offset);
  Varint(length);
}

void WireWriter::BackRef(uint32_t id) {
  Put(Tag::kBackRef);
  Varint(id);
}

void WireWriter::External(uint32_t slot) {
  Put(Tag::kExternal);
  Varint(slot);
}

// --- decoder ----------------------------------------------------------------
//
// Recursive descent with an explicit depth bound. Invariant: pos_ <= size_;
// every read checks Remaining() first. Counts read from the input are checked
// against Remaining() before any loop or allocation that depends on them
// (each element takes at least one byte), so memory stays O(size).

namespace {

enum class IdKind : uint8_t { kObject, kArrayBuffer, kExternal };
inline constexpr uint64_t kUnknownLength = ~uint64_t{0};

// The kind of every id given so far, in id order: the first kInline in the
// object itself, so decoding a small value allocates nothing for them.
class IdKinds {
 public:
  void push_back(IdKind k) {
    if (spill_.empty() && n_ < kInline) {
      inline_[n_++] = k;
      return;
    }
    if (spill_.empty()) spill_.assign(inline_, inline_ + n_);
    spill_.push_back(k);
  }
  size_t size() const { return spill_.empty() ? n_ : spill_.size(); }
  IdKind operator[](size_t i) const { return spill_.empty() ? inline_[i] : spill_[i]; }

 private:
  static constexpr size_t kInline = 32;
  IdKind inline_[kInline];
  size_t n_ = 0;
  std::vector<IdKind> spill_;
};

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size, WireVisitor& v, const WireLimits& limits)
      : data_(data), size_(size), v_(v), limits_(limits) {}

  bool Run() {
    if (size_ > limits_.max_size) return Fail("message larger than the size limit");
    if (size_ < 2) return Fail("truncated header");
    if (data_[0] != kMagic) return Fail("bad magic byte");
    if (data_[1] != kVersion) {
      return Fail("unsupported wire version " + std::to_string(data_[1]));
    }
    pos_ = 2;
    if (!Value(0)) return false;
    if (pos_ != size_) return Fail("trailing bytes after the value");
    return true;
  }

  std::string error;

 private:
  size_t Remaining() const { return size_ - pos_; }

  bool Fail(std::string msg) {
    if (error.empty()) error = msg + " at offset " + std::to_string(pos_);
    return false;
  }
  bool Stop() { return Fail("stopped by visitor"); }

  bool ReadByte(uint8_t* out) {
    if (Remaining() < 1) return Fail("truncated");
    *out = data_[pos_++];
    return true;
  }

  bool ReadVarint(uint64_t* out, uint64_t max) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (Remaining() < 1) return Fail("truncated varint");
      const uint8_t b = data_[pos_++];
      if (shift == 63 && b > 1) return Fail("varint overflow");
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        if (v > max) return Fail("varint out of range");
        *out = v;
        return true;
      }
    }
    return Fail("varint too long");
  }
  bool ReadU32(uint32_t* out) {
    uint64_t v = 0;
    if (!ReadVarint(&v, UINT32_MAX)) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }
  // A count of items that each take at least `min_bytes` bytes.
  bool ReadCount(uint32_t* out, size_t min_bytes) {
    if (!ReadU32(out)) return false;
    if (*out > Remaining() / min_bytes) return Fail("count exceeds the remaining bytes");
    return true;
  }

  bool ReadF64(double* out) {
    if (Remaining() < 8) return Fail("truncated double");
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 8;
    *out = std::bit_cast<double>(bits);
    return true;
  }

  // After the STRING1/STRING2 tag byte.
  bool ReadStringBody(bool two_byte, WireString* s) {
    uint32_t n;
    if (!ReadU32(&n)) return false;
    if (two_byte) {
      if ((pos_ % 2) != 0) {
        if (Remaining() < 1) return Fail("truncated string padding");
        if (data_[pos_] != 0) return Fail("bad string padding");
        ++pos_;
      }
      if (n > Remaining() / 2) return Fail("truncated string");
    } else if (n > Remaining()) {
      return Fail("truncated string");
    }
    s->data = data_ + pos_;
    s->length = n;
    s->two_byte = two_byte;
    pos_ += two_byte ? 2 * size_t{n} : n;
    return true;
  }
  bool ReadString(WireString* s) {
    uint8_t tag = 0;
    if (!ReadByte(&tag)) return false;
    if (tag != static_cast<uint8_t>(Tag::kString1) && tag != static_cast<uint8_t>(Tag::kString2)) {
      --pos_;
      return Fail("expected a string");
    }
    return ReadStringBody(tag == static_cast<uint8_t>(Tag::kString2), s);
  }

  bool NewId(IdKind kind, uint64_t length = kUnknownLength) {
    ids_.push_back(kind);
    if (kind == IdKind::kArrayBuffer) buffer_lengths_.emplace_back(ids_.size() - 1, length);
    return true;
  }
  uint64_t BufferLength(uint32_t id) const {
    // buffer_lengths_ is sorted by id: binary search.
    size_t lo = 0, hi = buffer_lengths_.size();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (buffer_lengths_[mid].first < id) lo = mid + 1; else hi = mid;
    }
    return lo < buffer_lengths_.size() && buffer_lengths_[lo].first == id
               ? buffer_lengths_[lo].second : kUnknownLength;
  }

  bool Key(uint32_t depth) {
    if (Remaining() < 1) return Fail("truncated key");
    const uint8_t tag = data_[pos_];
    if (tag == static_cast<uint8_t>(Tag::kString1) || tag == static_cast<uint8_t>(Tag::kString2)) {
      return Value(depth);
    }
    if (tag == static_cast<uint8_t>(Tag::kInt32)) {
      ++pos_;
      uint64_t z = 0;
      if (!ReadVarint(&z, UINT32_MAX)) return false;
      const int32_t v = static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
      if (v < 0) return Fail("negative integer key");
      return v_.OnInt32(v) || Stop();
    }
    if (tag == static_cast<uint8_t>(Tag::kDouble)) {
      ++pos_;
      double d = 0;
      if (!ReadF64(&d)) return false;
      if (!(d >= 0 && d <= 4294967294.0) || d != std::floor(d)) return Fail("bad number key");
      return v_.OnDouble(d) || Stop();
    }
    return Fail("bad key tag");
  }

  bool Pairs(uint32_t count, uint32_t depth, bool keys) {
    for (uint32_t i = 0; i < count; ++i) {
      if (!(keys ? Key(depth) : Value(depth)) || !Value(depth)) return false;
    }
    return true;
  }

  bool Value(uint32_t depth) {
    uint8_t tag = 0;
    if (!ReadByte(&tag)) return false;
    switch (static_cast<Tag>(tag)) {
      case Tag::kUndefined: return v_.OnUndefined() || Stop();
      case Tag::kNull: return v_.OnNull() || Stop();
      case Tag::kFalse: return v_.OnBool(false) || Stop();
      case Tag::kTrue: return v_.OnBool(true) || Stop();
      case Tag::kInt32: {
        uint64_t z = 0;
        if (!ReadVarint(&z, UINT32_MAX)) return false;
        const uint32_t u = static_cast<uint32_t>(z);
        return v_.OnInt32(static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1))) || Stop();
      }
      case Tag::kDouble: {
        double d = 0;
        if (!ReadF64(&d)) return false;
        return v_.OnDouble(d) || Stop();
      }
      case Tag::kBigInt: {
        uint8_t sign = 0;
        if (!ReadByte(&sign)) return false;
        if (sign > 1) return Fail("bad bigint sign");
        uint32_t n;
        if (!ReadCount(&n, 8)) return false;
        if (sign == 1 && n == 0) return Fail("negative zero bigint");
        words_.resize(n);
        for (uint32_t w = 0; w < n; ++w) {
          uint64_t x = 0;
          for (int i = 0; i < 8; ++i) x |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
          pos_ += 8;
          words_[w] = x;
        }
        if (n > 0 && words_[n - 1] == 0) return Fail("non-canonical bigint");
        return v_.OnBigInt(sign == 1, words_.data(), n) || Stop();
      }
      case Tag::kString1:
      case Tag::kString2: {
        WireString s;
        if (!ReadStringBody(tag == static_cast<uint8_t>(Tag::kString2), &s)) return false;
        return v_.OnString(s) || Stop();
      }
      case Tag::kHole:
        --pos_;
        return Fail("hole outside a dense array");
      case Tag::kArray: {
        if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
        uint32_t length, dense, props;
        if (!ReadU32(&length)) return false;
        if (!ReadCount(&dense, 1)) return false;
        if (dense > length) return Fail("dense count exceeds array length");
        NewId(IdKind::kObject);
        if (!v_.BeginArray(length, dense)) return Stop();
        for (uint32_t i = 0; i < dense; ++i) {
          if (Remaining() >= 1 && data_[pos_] == static_cast<uint8_t>(Tag::kHole)) {
            ++pos_;
            if (!v_.OnHole()) return Stop();
          } else if (!Value(depth + 1)) {
            return false;
          }
        }
        if (!ReadCount(&props, 2)) return false;
        if (!Pairs(props, depth + 1, true)) return false;
        return v_.EndArray() || Stop();
      }
      case Tag::kObject: {
        if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
        uint32_t props;
        if (!ReadCount(&props, 2)) return false;
        NewId(IdKind::kObject);
        if (!v_.BeginObject(props)) return Stop();
        if (!Pairs(props, depth + 1, true)) return false;
        return v_.EndObject() || Stop();
      }
      case Tag::kDate: {
        double t = 0;
        if (!ReadF64(&t)) return false;
        NewId(IdKind::kObject);
        return v_.OnDate(t) || Stop();
      }
      case Tag::kRegExp: {
        WireString source;
        uint32_t flags;
        if (!ReadString(&source) || !ReadU32(&flags)) return false;
        if (flags & ~kRegExpFlagMask) return Fail("bad regexp flags");
        NewId(IdKind::kObject);
        return v_.OnRegExp(source, flags) || Stop();
      }
      case Tag::kMap: {
        if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
        uint32_t n;
        if (!ReadCount(&n, 2)) return false;
        NewId(IdKind::kObject);
        if (!v_.BeginMap(n)) return Stop();
        if (!Pairs(n, depth + 1, false)) return false;
        return v_.EndMap() || Stop();
      }
      case Tag::kSet: {
        if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
        uint32_t n;
        if (!ReadCount(&n, 1)) return false;
        NewId(IdKind::kObject);
        if (!v_.BeginSet(n)) return Stop();
        for (uint32_t i = 0; i < n; ++i) {
          if (!Value(depth + 1)) return false;
        }
        return v_.EndSet() || Stop();
      }
      case Tag::kError: return Error(depth);
      case Tag::kArrayBuffer: {
        uint32_t n;
        if (!ReadCount(&n, 1)) return false;
        const uint8_t* p = data_ + pos_;
        pos_ += n;
        NewId(IdKind::kArrayBuffer, n);
        return v_.OnArrayBuffer(p, n) || Stop();
      }
      case Tag::kView: return View(depth);
      case Tag::kBackRef: {
        uint32_t id;
        if (!ReadU32(&id)) return false;
        if (id >= ids_.size()) return Fail("back-reference to an unknown id");
        return v_.OnBackRef(id) || Stop();
      }
      case Tag::kExternal: {
        uint32_t slot;
        if (!ReadU32(&slot)) return false;
        NewId(IdKind::kExternal);
        return v_.OnExternal(slot) || Stop();
      }
    }
    --pos_;
    return Fail("unknown tag " + std::to_string(tag));
  }

  bool Error(uint32_t depth) {
    if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
    WireErrorHeader h;
    uint32_t kind;
    if (!ReadU32(&kind) || !ReadU32(&h.fields)) return false;
    if (kind >= kErrorKindCount) return Fail("bad error kind");
    if (h.fields & ~kErrorFieldMask) return Fail("bad error fields");
    h.kind = static_cast<WireErrorKind>(kind);
    const bool custom = h.kind == WireErrorKind::kCustom;
    if (custom != ((h.fields & kErrorHasName) != 0)) return Fail("error name iff custom kind");
    if ((h.fields & kErrorHasName) && !ReadString(&h.name)) return false;
    if ((h.fields & kErrorHasMessage) && !ReadString(&h.message)) return false;
    if ((h.fields & kErrorHasStack) && !ReadString(&h.stack)) return false;
    NewId(IdKind::kObject);
    // The visitor creates the error now so that cause/errors/props may refer
    // back to it.
    if (!v_.BeginError(h)) return Stop();
    if ((h.fields & kErrorHasCause) && !Value(depth + 1)) return false;
    if ((h.fields & kErrorHasErrors) && !Value(depth + 1)) return false;
    uint32_t props;
    if (!ReadCount(&props, 2)) return false;
    if (!Pairs(props, depth + 1, true)) return false;
    return v_.EndError() || Stop();
  }

  bool View(uint32_t depth) {
    if (depth >= limits_.max_depth) return Fail("nesting deeper than the depth limit");
    uint8_t kind_byte = 0;
    uint64_t offset, length;
    if (!ReadByte(&kind_byte)) return false;
    if (kind_byte >= kViewKindCount) return Fail("bad view kind");
    if (!ReadVarint(&offset, kMaxSafeInteger) || !ReadVarint(&length, kMaxSafeInteger)) {
      return false;
    }
    const auto kind = static_cast<WireViewKind>(kind_byte);
    const uint64_t elem = ViewElementSize(kind);
    if (offset % elem != 0) return Fail("misaligned view offset");
    if (length > kMaxSafeInteger / elem) return Fail("view length too large");
    const uint64_t bytes = length * elem;
    if (!v_.BeginView(kind, offset, length)) return Stop();
    // The buffer: inline ARRAYBUFFER, BACKREF to one, or EXTERNAL.
    if (Remaining() < 1) return Fail("truncated view buffer");
    const auto btag = static_cast<Tag>(data_[pos_]);
    uint64_t buffer_length = kUnknownLength;
    if (btag == Tag::kBackRef) {
      const size_t at = pos_;
      ++pos_;
      uint32_t id;
      if (!ReadU32(&id)) return false;
      pos_ = at;
      if (id < ids_.size()) {
        if (ids_[id] == IdKind::kObject) return Fail("view over a non-buffer");
        buffer_length = BufferLength(id);
      }
    } else if (btag != Tag::kArrayBuffer && btag != Tag::kExternal) {
      return Fail("view buffer must be an ArrayBuffer or external");
    }
    const size_t ids_before = ids_.size();
    if (!Value(depth + 1)) return false;
    if (btag == Tag::kArrayBuffer) buffer_length = BufferLength(static_cast<uint32_t>(ids_before));
    if (buffer_length != kUnknownLength &&
        (offset > buffer_length || bytes > buffer_length - offset)) {
      return Fail("view out of its buffer's bounds");
    }
    NewId(IdKind::kObject);
    return v_.EndView() || Stop();
  }

  static constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  WireVisitor& v_;
  const WireLimits& limits_;
  IdKinds ids_;
  std::vector<std::pair<uint32_t, uint64_t>> buffer_lengths_;
  std::vector<uint64_t> words_;
};

}  // namespace

bool Decode(const uint8_t* data, size_t size, WireVisitor& visitor, std::string* error,
            const WireLimits& limits) {
  Decoder d(data, size, visitor, limits);
  bool ok = false;
  try {
    ok = d.Run();
  } catch (const std::bad_alloc&) {
    d.error = "out of memory";
  }
  if (!ok && error) *error = d.error;
  return ok;
}

namespace {
// A varint of at most 5 bytes whose value fits in 32 bits (what the
// decoder's ReadU32 accepts, less its overlong forms).
bool FlatVarint(const uint8_t* p, size_t n, size_t& at, uint32_t& out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (at >= n) return false;
    const uint8_t b = p[at++];
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      if (v > UINT32_MAX) return false;
      out = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

bool FlatScalar(const uint8_t* p, size_t n, size_t& at) {
  if (at >= n) return false;
  uint32_t v = 0;
  switch (static_cast<Tag>(p[at++])) {
    case Tag::kUndefined:
    case Tag::kNull:
    case Tag::kFalse:
    case Tag::kTrue:
      return true;
    case Tag::kInt32:
      return FlatVarint(p, n, at, v);
    case Tag::kDouble:
      if (n - at < 8) return false;
      at += 8;
      return true;
    case Tag::kString1:
      if (!FlatVarint(p, n, at, v) || v > n - at) return false;
      at += v;
      return true;
    default:
      return false;
  }
}
}  // namespace

bool IsFlatRecord(const uint8_t* p, size_t n) {
  size_t at = 0;
  if (n == 0) return false;
  if (p[0] == static_cast<uint8_t>(Tag::kObject)) {
    at = 1;
    uint32_t count = 0;
    if (!FlatVarint(p, n, at, count) || count > kFlatMaxKeys) return false;
    for (uint32_t i = 0; i < count; ++i) {
      if (at >= n || p[at] != static_cast<uint8_t>(Tag::kString1)) return false;
      if (!FlatScalar(p, n, at) || !FlatScalar(p, n, at)) return false;  // key, value
    }
  } else if (!FlatScalar(p, n, at)) {
    return false;
  }
  return at == n;
}

}  // namespace nativepool::wire
