#include "wire.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace nativepool::wire {
namespace {

// Renders the visitor callbacks as a compact trace, e.g. "[2,2 i1 i2 ]".
class Trace : public WireVisitor {
 public:
  std::string out;
  int stop_after = -1;  // stop on the n-th callback (0-based), -1: never

  bool OnUndefined() override { return Put("u"); }
  bool OnNull() override { return Put("n"); }
  bool OnBool(bool v) override { return Put(v ? "t" : "f"); }
  bool OnInt32(int32_t v) override { return Put("i" + std::to_string(v)); }
  bool OnDouble(double v) override {
    if (std::isnan(v)) return Put("dNaN");
    if (v == 0 && std::signbit(v)) return Put("d-0");
    return Put("d" + std::to_string(v));
  }
  bool OnBigInt(bool negative, const uint64_t* words, size_t count) override {
    std::string s = negative ? "big-" : "big";
    for (size_t i = 0; i < count; ++i) s += (i ? ":" : "") + std::to_string(words[i]);
    return Put(s);
  }
  bool OnString(const WireString& s) override { return Put("s" + Text(s)); }
  bool OnHole() override { return Put("_"); }
  bool BeginArray(uint32_t length, uint32_t dense) override {
    return Put("[" + std::to_string(length) + "," + std::to_string(dense));
  }
  bool EndArray() override { return Put("]"); }
  bool BeginObject(uint32_t n) override { return Put("{" + std::to_string(n)); }
  bool EndObject() override { return Put("}"); }
  bool OnDate(double t) override { return Put("date" + std::to_string(static_cast<int64_t>(t))); }
  bool OnRegExp(const WireString& source, uint32_t flags) override {
    return Put("re/" + Text(source) + "/" + std::to_string(flags));
  }
  bool BeginMap(uint32_t n) override { return Put("map" + std::to_string(n)); }
  bool EndMap() override { return Put("/map"); }
  bool BeginSet(uint32_t n) override { return Put("set" + std::to_string(n)); }
  bool EndSet() override { return Put("/set"); }
  bool BeginError(const WireErrorHeader& h) override {
    std::string s = "err" + std::to_string(static_cast<int>(h.kind)) + "." + std::to_string(h.fields);
    if (h.fields & kErrorHasName) s += ",name=" + Text(h.name);
    if (h.fields & kErrorHasMessage) s += ",msg=" + Text(h.message);
    if (h.fields & kErrorHasStack) s += ",stack=" + Text(h.stack);
    return Put(s);
  }
  bool EndError() override { return Put("/err"); }
  bool OnArrayBuffer(const uint8_t* data, size_t length) override {
    std::string s = "ab";
    for (size_t i = 0; i < length; ++i) s += (i ? "." : ":") + std::to_string(data[i]);
    return Put(s);
  }
  bool BeginView(WireViewKind kind, uint64_t offset, uint64_t length) override {
    return Put("view" + std::to_string(static_cast<int>(kind)) + "@" + std::to_string(offset) +
               "+" + std::to_string(length));
  }
  bool EndView() override { return Put("/view"); }
  bool OnBackRef(uint32_t id) override { return Put("ref" + std::to_string(id)); }
  bool OnExternal(uint32_t slot) override { return Put("ext" + std::to_string(slot)); }

 private:
  static std::string Text(const WireString& s) {
    std::string r;
    std::u16string scratch;
    if (!s.two_byte) {
      r.assign(reinterpret_cast<const char*>(s.data), s.length);
    } else {
      const char16_t* u = Utf16Units(s, scratch);
      for (uint32_t i = 0; i < s.length; ++i) {
        if (u[i] < 0x80) r += static_cast<char>(u[i]);
        else r += "\\u" + std::to_string(u[i]);
      }
    }
    return r;
  }
  bool Put(const std::string& s) {
    if (calls_++ == stop_after) return false;
    if (!out.empty()) out += ' ';
    out += s;
    return true;
  }
  int calls_ = 0;
};

std::string Decoded(const Bytes& bytes, const WireLimits& limits = {}) {
  Trace t;
  std::string error;
  if (!Decode(bytes.data(), bytes.size(), t, &error, limits)) return "ERROR: " + error;
  return t.out;
}

template <typename F>
Bytes Write(F&& f) {
  Bytes out;
  WireWriter w(out);
  f(w);
  return out;
}

// A message using every tag, for the truncation test.
Bytes EverythingMessage() {
  return Write([](WireWriter& w) {
    w.BeginArray(20, 19);
    w.Undefined();
    w.Null();
    w.Bool(true);
    w.Bool(false);
    w.Int32(-7);
    w.Double(-0.0);
    const uint64_t words[] = {1, 2};
    w.BigInt(true, words, 2);
    w.String(u"latin", 5);
    w.String(u"\u20ac\xD800", 2);
    w.Hole();
    w.BeginObject(1);
    w.String(u"k", 1);
    w.BackRef(0);
    w.Date(1000);
    w.RegExp(u"a+", 2, 6);
    w.BeginMap(1);
    w.Int32(1);
    w.Int32(2);
    w.BeginSet(1);
    w.Null();
    w.BeginError(WireErrorKind::kCustom, kErrorHasName | kErrorHasMessage | kErrorHasCause);
    w.String(u"MyError", 7);
    w.String(u"boom", 4);
    w.Int32(3);
    w.ErrorProps(1);
    w.String(u"code", 4);
    w.String(u"E1", 2);
    const uint8_t bytes[] = {1, 2, 3, 4};
    w.BeginView(WireViewKind::kUint16, 2, 1);
    w.ArrayBuffer(bytes, 4);
    w.BeginView(WireViewKind::kDataView, 0, 4);
    w.BackRef(7);  // the ArrayBuffer: ids 0 array, 1 object, 2 date, 3 regexp, 4 map, 5 set, 6 error
    w.External(5);
    w.ArrayProps(2);
    w.Int32(19);
    w.String(u"x", 1);
    w.String(u"named", 5);
    w.Int32(1);
  });
}

TEST(Wire, RoundTripsEveryTag) {
  EXPECT_EQ(Decoded(EverythingMessage()),
            "[20,19 u n t f i-7 d-0 big-1:2 slatin s\\u8364\\u55296 _ {1 sk ref0 } date1000 "
            "re/a+/6 map1 i1 i2 /map set1 n /set err8.11,name=MyError,msg=boom i3 scode sE1 "
            "/err view4@2+1 ab:1.2.3.4 /view view11@0+4 ref7 /view ext5 i19 sx snamed i1 ]");
}

TEST(Wire, NumberPicksInt32ExceptForMinusZeroAndFractions) {
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(21); })), "i21");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(-0.0); })), "d-0");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(2147483648.0); })), "d2147483648.000000");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(-2147483648.0); })), "i-2147483648");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(std::nan("")); })), "dNaN");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Number(1e300 * 1e10); })), "dinf");
  EXPECT_EQ(Decoded(Write([](WireWriter& w) { w.Int32(INT32_MAX); })), "i2147483647");
}

TEST(Wire, NumbersMatchNumberOneByOne) {
  const double values[] = {0, -0.0, 1, -1, 63, 64, -65, 2147483647, -2147483648.0, 2147483648.0,
                           0.5, std::nan(""), 1e300 * 1e10, -1e-300};
  const auto batch = Write([&](WireWriter& w) {
    w.Numbers(values, std::size(values));
    w.Numbers(values, 0);
  });
  const auto single = Write([&](WireWriter& w) {
    for (double v : values) w.Number(v);
  });
  EXPECT_EQ(batch, single);
}

TEST(Wire, DoublesKeepTheirBitPattern) {
  const double payload_nan = std::bit_cast<double>(uint64_t{0x7FF8DEADBEEF0001});
  class Bits final : public Trace {
   public:
    uint64_t bits = 0;
    bool OnDouble(double v) override {
      bits = std::bit_cast<uint64_t>(v);
      return true;
    }
  } t;
  const auto bytes = Write([&](WireWriter& w) { w.Double(payload_nan); });
  ASSERT_TRUE(Decode(bytes.data(), bytes.size(), t, nullptr));
  EXPECT_EQ(t.bits, 0x7FF8DEADBEEF0001u);
}

TEST(Wire, StringsAreOneByteUnlessAUnitNeedsTwo) {
  const auto one = Write([](WireWriter& w) { w.String(u"caf\u00e9", 4); });
  EXPECT_EQ(one[2], static_cast<uint8_t>(Tag::kString1));
  const auto two = Write([](WireWriter& w) { w.String(u"\u0100", 1); });
  EXPECT_EQ(two[2], static_cast<uint8_t>(Tag::kString2));
  EXPECT_EQ(Decoded(two), "s\\u256");
}

TEST(Wire, TwoByteStringsDecodeFromAnUnalignedBuffer) {
  const auto bytes = Write([](WireWriter& w) { w.String(u"\u4e2d\u6587", 2); });
  Bytes shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  Trace t;
  ASSERT_TRUE(Decode(shifted.data() + 1, bytes.size(), t, nullptr));
  EXPECT_EQ(t.out, "s\\u20013\\u25991");
}

TEST(Wire, BigIntsAreCanonical) {
  const uint64_t words[] = {5, 0, 0};
  EXPECT_EQ(Decoded(Write([&](WireWriter& w) { w.BigInt(false, words, 3); })), "big5");
  const uint64_t zero[] = {0};
  EXPECT_EQ(Decoded(Write([&](WireWriter& w) { w.BigInt(true, zero, 1); })), "big");
  Bytes neg_zero = {kMagic, kVersion, static_cast<uint8_t>(Tag::kBigInt), 1, 0};
  EXPECT_NE(Decoded(neg_zero).find("negative zero bigint"), std::string::npos);
  Bytes top_zero = {kMagic, kVersion, static_cast<uint8_t>(Tag::kBigInt), 0, 1,
                                   0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NE(Decoded(top_zero).find("non-canonical"), std::string::npos);
}

TEST(Wire, TruncatedInputFailsAtEveryLength) {
  const auto full = EverythingMessage();
  for (size_t n = 0; n < full.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan catches any over-read.
    Bytes part(full.begin(), full.begin() + n);
    Trace t;
    std::string error;
    EXPECT_FALSE(Decode(part.data(), part.size(), t, &error)) << "length " << n;
    EXPECT_FALSE(error.empty()) << "length " << n;
  }
  Trace t;
  EXPECT_TRUE(Decode(full.data(), full.size(), t, nullptr));
}

TEST(Wire, TrailingBytesFail) {
  auto bytes = Write([](WireWriter& w) { w.Null(); });
  bytes.push_back(0);
  EXPECT_NE(Decoded(bytes).find("trailing bytes"), std::string::npos);
}

TEST(Wire, BadMagicAndVersionFail) {
  auto bytes = Write([](WireWriter& w) { w.Null(); });
  bytes[1] = kVersion + 1;
  EXPECT_NE(Decoded(bytes).find("unsupported wire version 2"), std::string::npos);
  bytes[0] = 0;
  EXPECT_NE(Decoded(bytes).find("bad magic"), std::string::npos);
  EXPECT_NE(Decoded({}).find("truncated header"), std::string::npos);
}

TEST(Wire, UnknownTagFails) {
  Bytes bytes = {kMagic, kVersion, 0x7F};
  EXPECT_NE(Decoded(bytes).find("unknown tag 127"), std::string::npos);
}

Bytes NestedArrays(int depth) {
  return Write([&](WireWriter& w) {
    for (int i = 0; i < depth; ++i) w.BeginArray(1, 1);
    w.Null();
    for (int i = 0; i < depth; ++i) w.ArrayProps(0);
  });
}

TEST(Wire, DepthLimitFailsCleanly) {
  WireLimits limits;
  limits.max_depth = 10;
  EXPECT_EQ(Decoded(NestedArrays(10), limits).rfind("ERROR", 0), std::string::npos);
  EXPECT_NE(Decoded(NestedArrays(11), limits).find("depth limit"), std::string::npos);
  // The default limit holds against input far deeper than the stack allows.
  EXPECT_NE(Decoded(NestedArrays(1'000'000)).find("depth limit"), std::string::npos);
}

TEST(Wire, SizeLimitFailsCleanly) {
  WireLimits limits;
  limits.max_size = 8;
  const auto bytes = Write([](WireWriter& w) { w.String(u"0123456789", 10); });
  EXPECT_NE(Decoded(bytes, limits).find("size limit"), std::string::npos);
  EXPECT_EQ(Decoded(bytes), "s0123456789");
}

TEST(Wire, CountsLargerThanTheInputFailWithoutAllocating) {
  Bytes bytes = {kMagic, kVersion, static_cast<uint8_t>(Tag::kArrayBuffer),
                                0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  EXPECT_NE(Decoded(bytes).find("count exceeds"), std::string::npos);
  bytes = {kMagic, kVersion, static_cast<uint8_t>(Tag::kArray), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,
           0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  EXPECT_NE(Decoded(bytes).find("count exceeds"), std::string::npos);
  bytes = {kMagic, kVersion, static_cast<uint8_t>(Tag::kInt32), 0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  EXPECT_NE(Decoded(bytes).find("out of range"), std::string::npos);
}

TEST(Wire, BackRefMustNameAnAssignedId) {
  EXPECT_NE(Decoded(Write([](WireWriter& w) { w.BackRef(0); })).find("unknown id"),
            std::string::npos);
  const auto self = Write([](WireWriter& w) {
    w.BeginArray(1, 1);
    w.BackRef(0);
    w.ArrayProps(0);
  });
  EXPECT_EQ(Decoded(self), "[1,1 ref0 ]");
  const auto ahead = Write([](WireWriter& w) {
    w.BeginArray(1, 1);
    w.BackRef(1);
    w.ArrayProps(0);
  });
  EXPECT_NE(Decoded(ahead).find("unknown id"), std::string::npos);
}

// The decoder keeps the first ids in a table inside itself and moves them to
// the heap past it (32): ids on both sides of that line still resolve, and a
// view still checks that the id it names is a buffer.
TEST(Wire, IdsPastTheDecodersInlineTableResolveAsBefore) {
  const uint8_t bytes[4] = {1, 2, 3, 4};
  // ids: 0 the array, 1..38 empty objects, 39 the buffer, 40 the view over it.
  auto graph = [&](uint32_t view_over) {
    return Write([&](WireWriter& w) {
      w.BeginArray(42, 42);
      for (int i = 0; i < 38; ++i) w.BeginObject(0);
      w.ArrayBuffer(bytes, 4);
      w.BeginView(WireViewKind::kUint8, 0, 4);
      w.BackRef(view_over);
      w.BackRef(3);   // before the line
      w.BackRef(40);  // past it: the view
      w.ArrayProps(0);
    });
  };
  const std::string ok = Decoded(graph(39));
  EXPECT_NE(ok.find("ab:1.2.3.4 view1@0+4 ref39 /view ref3 ref40 ]"), std::string::npos) << ok;
  EXPECT_NE(Decoded(graph(37)).find("view over a non-buffer"), std::string::npos);
  EXPECT_NE(Decoded(graph(41)).find("unknown id"), std::string::npos);
}

TEST(Wire, ViewsMustFitAlignedInABuffer) {
  const uint8_t bytes[8] = {};
  const auto ok = Write([&](WireWriter& w) {
    w.BeginView(WireViewKind::kFloat32, 4, 1);
    w.ArrayBuffer(bytes, 8);
  });
  EXPECT_EQ(Decoded(ok), "view7@4+1 ab:0.0.0.0.0.0.0.0 /view");
  const auto too_long = Write([&](WireWriter& w) {
    w.BeginView(WireViewKind::kFloat32, 4, 2);
    w.ArrayBuffer(bytes, 8);
  });
  EXPECT_NE(Decoded(too_long).find("bounds"), std::string::npos);
  const auto misaligned = Write([&](WireWriter& w) {
    w.BeginView(WireViewKind::kFloat32, 2, 1);
    w.ArrayBuffer(bytes, 8);
  });
  EXPECT_NE(Decoded(misaligned).find("misaligned"), std::string::npos);
  const auto over_object = Write([&](WireWriter& w) {
    w.BeginArray(1, 1);
    w.BeginView(WireViewKind::kUint8, 0, 0);
    w.BackRef(0);
    w.ArrayProps(0);
  });
  EXPECT_NE(Decoded(over_object).find("non-buffer"), std::string::npos);
  const auto over_null = Write([&](WireWriter& w) {
    w.BeginView(WireViewKind::kUint8, 0, 0);
    w.Null();
  });
  EXPECT_NE(Decoded(over_null).find("ArrayBuffer or external"), std::string::npos);
  const auto over_external = Write([&](WireWriter& w) {
    w.BeginView(WireViewKind::kBigInt64, 8, 100);
    w.External(0);
  });
  EXPECT_EQ(Decoded(over_external), "view9@8+100 ext0 /view");
}

TEST(Wire, ViewTakesItsIdAfterItsBuffer) {
  const uint8_t bytes[2] = {7, 8};
  const auto m = Write([&](WireWriter& w) {
    w.BeginArray(3, 3);
    w.BeginView(WireViewKind::kUint8, 0, 2);
    w.ArrayBuffer(bytes, 2);  // id 1
    w.BackRef(2);             // the view
    w.BackRef(1);             // the buffer
    w.ArrayProps(0);
  });
  EXPECT_EQ(Decoded(m), "[3,3 view1@0+2 ab:7.8 /view ref2 ref1 ]");
}

TEST(Wire, KeysMustBeStringsOrIndices) {
  const auto neg = Write([](WireWriter& w) {
    w.BeginObject(1);
    w.Int32(-1);
    w.Null();
  });
  EXPECT_NE(Decoded(neg).find("negative integer key"), std::string::npos);
  const auto frac = Write([](WireWriter& w) {
    w.BeginObject(1);
    w.Double(1.5);
    w.Null();
  });
  EXPECT_NE(Decoded(frac).find("bad number key"), std::string::npos);
  const auto obj = Write([](WireWriter& w) {
    w.BeginObject(1);
    w.Null();
    w.Null();
  });
  EXPECT_NE(Decoded(obj).find("bad key tag"), std::string::npos);
  const auto big = Write([](WireWriter& w) {
    w.BeginObject(1);
    w.Double(4294967294.0);
    w.Null();
  });
  EXPECT_EQ(Decoded(big), "{1 d4294967294.000000 n }");
}

TEST(Wire, HoleOnlyInsideADenseArray) {
  EXPECT_NE(Decoded(Write([](WireWriter& w) { w.Hole(); })).find("hole outside"), std::string::npos);
  const auto in_props = Write([](WireWriter& w) {
    w.BeginArray(2, 0);
    w.ArrayProps(1);
    w.Int32(1);
    w.Hole();
  });
  EXPECT_NE(Decoded(in_props).find("hole outside"), std::string::npos);
}

TEST(Wire, ErrorNameIffCustomKind) {
  const auto custom_without_name = Write([](WireWriter& w) {
    w.BeginError(WireErrorKind::kCustom, 0);
    w.ErrorProps(0);
  });
  EXPECT_NE(Decoded(custom_without_name).find("name iff custom"), std::string::npos);
  const auto bad_kind = Write([](WireWriter& w) {
    w.BeginError(static_cast<WireErrorKind>(kErrorKindCount), 0);
    w.ErrorProps(0);
  });
  EXPECT_NE(Decoded(bad_kind).find("bad error kind"), std::string::npos);
  const auto agg = Write([](WireWriter& w) {
    w.BeginError(WireErrorKind::kAggregateError, kErrorHasMessage | kErrorHasErrors);
    w.String(u"m", 1);
    w.BeginArray(1, 1);
    w.BackRef(0);
    w.ArrayProps(0);
    w.ErrorProps(0);
  });
  EXPECT_EQ(Decoded(agg), "err7.18,msg=m [1,1 ref0 ] /err");
}

TEST(Wire, VisitorCanStopDecoding) {
  const auto bytes = EverythingMessage();
  for (int n = 0; n < 5; ++n) {
    Trace t;
    t.stop_after = n;
    std::string error;
    EXPECT_FALSE(Decode(bytes.data(), bytes.size(), t, &error));
    EXPECT_NE(error.find("stopped by visitor"), std::string::npos);
  }
}

TEST(Wire, VarintRejectsOverlongEncodings) {
  Bytes bytes = {kMagic, kVersion, static_cast<uint8_t>(Tag::kBackRef)};
  for (int i = 0; i < 11; ++i) bytes.push_back(0x80);
  bytes.push_back(0);
  EXPECT_NE(Decoded(bytes).find("varint"), std::string::npos);
}

// IsFlatRecord looks at the record after the two header bytes.
bool Flat(const Bytes& message) { return IsFlatRecord(message.data() + 2, message.size() - 2); }

TEST(Wire, FlatRecordsAreScalarsOrObjectsOfScalarsWithLatin1Keys) {
  EXPECT_TRUE(Flat(Write([](WireWriter& w) { w.Undefined(); })));
  EXPECT_TRUE(Flat(Write([](WireWriter& w) { w.Int32(-7); })));
  EXPECT_TRUE(Flat(Write([](WireWriter& w) { w.Double(0.5); })));
  EXPECT_TRUE(Flat(Write([](WireWriter& w) { w.String1(reinterpret_cast<const uint8_t*>("tag"), 3); })));
  const Bytes object = Write([](WireWriter& w) {
    w.BeginObject(4);
    w.String1(reinterpret_cast<const uint8_t*>("a"), 1);
    w.Int32(1);
    w.String1(reinterpret_cast<const uint8_t*>("t"), 1);
    w.Bool(true);
    w.String1(reinterpret_cast<const uint8_t*>("n"), 1);
    w.Null();
    w.String1(reinterpret_cast<const uint8_t*>("d"), 1);
    w.Double(1.5);
  });
  EXPECT_TRUE(Flat(object));
  // Truncated anywhere, or with a byte after it: not a record.
  for (size_t cut = 2; cut < object.size(); ++cut) EXPECT_FALSE(IsFlatRecord(object.data() + 2, cut - 2)) << cut;
  Bytes longer = object;
  longer.push_back(0);
  EXPECT_FALSE(Flat(longer));
}

TEST(Wire, FlatRecordsLeaveTheRestToTheDecoder) {
  const char16_t two[] = u"\u20ac";
  EXPECT_FALSE(Flat(Write([&](WireWriter& w) { w.String2(two, 1); })));
  EXPECT_FALSE(Flat(Write([](WireWriter& w) { w.BeginArray(0, 0); })));
  EXPECT_FALSE(Flat(Write([](WireWriter& w) {  // an object in an object
    w.BeginObject(1);
    w.String1(reinterpret_cast<const uint8_t*>("o"), 1);
    w.BeginObject(0);
  })));
  EXPECT_FALSE(Flat(Write([](WireWriter& w) {  // an index key
    w.BeginObject(1);
    w.Int32(0);
    w.Int32(1);
  })));
  EXPECT_FALSE(Flat(Write([](WireWriter& w) {  // past kFlatMaxKeys
    w.BeginObject(kFlatMaxKeys + 1);
    for (uint32_t i = 0; i <= kFlatMaxKeys; ++i) {
      const std::string k = "k" + std::to_string(i);
      w.String1(reinterpret_cast<const uint8_t*>(k.data()), k.size());
      w.Int32(static_cast<int32_t>(i));
    }
  })));
  EXPECT_FALSE(IsFlatRecord(nullptr, 0));
  // A string whose length runs past the end, and a varint that never ends.
  const uint8_t long_string[] = {static_cast<uint8_t>(Tag::kString1), 5, 'a', 'b'};
  EXPECT_FALSE(IsFlatRecord(long_string, sizeof long_string));
  const uint8_t endless[] = {static_cast<uint8_t>(Tag::kInt32), 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  EXPECT_FALSE(IsFlatRecord(endless, sizeof endless));
}

}  // namespace
}  // namespace nativepool::wire
