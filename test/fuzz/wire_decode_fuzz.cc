// libFuzzer target: wire::Decode on arbitrary bytes, with a visitor that
// counts callbacks and checks the structure it is told (every Begin* has its
// End*, back-references name ids already handed out, string and buffer
// payloads lie inside the input). Any failure traps; ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "wire.h"

namespace {

using namespace nativepool::wire;

class CountingVisitor final : public WireVisitor {
 public:
  CountingVisitor(const uint8_t* data, size_t size) : begin_(data), end_(data + size) {}

  bool OnUndefined() override { return Leaf(); }
  bool OnNull() override { return Leaf(); }
  bool OnBool(bool) override { return Leaf(); }
  bool OnInt32(int32_t) override { return Leaf(); }
  bool OnDouble(double) override { return Leaf(); }
  bool OnBigInt(bool, const uint64_t* words, size_t count) override {
    uint64_t x = 0;
    for (size_t i = 0; i < count; ++i) x ^= words[i];  // touch every word
    sink_ ^= x;
    return Leaf();
  }
  bool OnString(const WireString& s) override {
    Inside(s.data, s.two_byte ? 2 * size_t{s.length} : s.length);
    if (s.two_byte) {
      const char16_t* u = Utf16Units(s, scratch_);
      for (uint32_t i = 0; i < s.length; ++i) sink_ += u[i];
    }
    return Leaf();
  }
  bool OnHole() override { return Leaf(); }
  bool BeginArray(uint32_t length, uint32_t dense) override {
    if (dense > length) std::abort();
    return Open('a', true);
  }
  bool EndArray() override { return Close('a'); }
  bool BeginObject(uint32_t) override { return Open('o', true); }
  bool EndObject() override { return Close('o'); }
  bool OnDate(double) override { return NewId() && Leaf(); }
  bool OnRegExp(const WireString& source, uint32_t) override {
    Inside(source.data, source.two_byte ? 2 * size_t{source.length} : source.length);
    return NewId() && Leaf();
  }
  bool BeginMap(uint32_t) override { return Open('m', true); }
  bool EndMap() override { return Close('m'); }
  bool BeginSet(uint32_t) override { return Open('s', true); }
  bool EndSet() override { return Close('s'); }
  bool BeginError(const WireErrorHeader& h) override {
    if ((h.kind == WireErrorKind::kCustom) != ((h.fields & kErrorHasName) != 0)) std::abort();
    return Open('e', true);
  }
  bool EndError() override { return Close('e'); }
  bool OnArrayBuffer(const uint8_t* data, size_t length) override {
    Inside(data, length);
    for (size_t i = 0; i < length; ++i) sink_ += data[i];
    return NewId() && Leaf();
  }
  bool BeginView(WireViewKind kind, uint64_t, uint64_t) override {
    if (static_cast<uint8_t>(kind) >= kViewKindCount) std::abort();
    return Open('v', false);  // a view takes its id after its buffer
  }
  bool EndView() override { return Close('v') && NewId(); }
  bool OnBackRef(uint32_t id) override {
    if (id >= ids_) std::abort();
    return Leaf();
  }
  bool OnExternal(uint32_t) override { return NewId() && Leaf(); }

  void Finish(bool ok) const {
    if (ok && !open_.empty()) std::abort();  // success means every container closed
  }

 private:
  bool Leaf() {
    ++calls_;
    return true;
  }
  bool NewId() {
    ++ids_;
    return true;
  }
  bool Open(char kind, bool id) {
    open_.push_back(kind);
    if (id) ++ids_;
    return Leaf();
  }
  bool Close(char kind) {
    if (open_.empty() || open_.back() != kind) std::abort();
    open_.pop_back();
    return Leaf();
  }
  void Inside(const uint8_t* p, size_t n) const {
    if (n == 0) return;
    if (p < begin_ || p > end_ || n > static_cast<size_t>(end_ - p)) std::abort();
  }

  const uint8_t* begin_;
  const uint8_t* end_;
  std::vector<char> open_;
  std::u16string scratch_;
  uint64_t ids_ = 0, calls_ = 0, sink_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CountingVisitor v(data, size);
  std::string error;
  WireLimits limits;
  limits.max_depth = 256;  // keep ASan's larger frames well inside the stack
  const bool ok = Decode(data, size, v, &error, limits);
  if (!ok && error.empty()) std::abort();  // failures always say why
  v.Finish(ok);
  // Whatever IsFlatRecord accepts (lib decodes it in JS, trusting the
  // check), the decoder accepts too.
  if (size >= 2 && data[0] == kMagic && data[1] == kVersion && IsFlatRecord(data + 2, size - 2) && !ok) std::abort();
  return 0;
}
