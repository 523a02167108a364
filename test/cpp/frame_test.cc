// frame.h: the length-prefixed frames between the pool and a child process.
#include "frame.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace nativepool::frame {
namespace {

Bytes SomeFrames() {
  Bytes out;
  const size_t at = Begin(out, Kind::kTake);
  PutU32(out, 32);
  PutU8(out, 1);
  End(out, at);
  const uint8_t body[] = {1, 2, 3, 4, 5};
  PutFrame(out, Kind::kPost, body, sizeof body);
  PutFrame(out, Kind::kNotify);
  return out;
}

// Feeds `bytes` into a reader in pieces of `piece` bytes, collecting frames.
std::vector<std::pair<Kind, Bytes>> Feed(const Bytes& bytes, size_t piece, Reader::Result* last) {
  Reader r;
  std::vector<std::pair<Kind, Bytes>> got;
  size_t at = 0;
  *last = Reader::kNeedMore;
  while (at < bytes.size()) {
    size_t room = piece;
    uint8_t* dst = r.Space(&room);
    const size_t n = std::min({piece, room, bytes.size() - at});
    std::memcpy(dst, bytes.data() + at, n);
    r.Commit(n);
    at += n;
    View f;
    while ((*last = r.Next(&f)) == Reader::kFrame) got.emplace_back(f.kind, Bytes(f.body, f.body + f.size));
    if (*last == Reader::kMalformed) break;
  }
  return got;
}

TEST(FrameReader, ReassemblesFramesSplitAtEveryByteBoundary) {
  const Bytes bytes = SomeFrames();
  for (size_t piece = 1; piece <= bytes.size(); ++piece) {
    Reader::Result last;
    auto got = Feed(bytes, piece, &last);
    ASSERT_EQ(last, Reader::kNeedMore) << "piece " << piece;
    ASSERT_EQ(got.size(), 3u) << "piece " << piece;
    EXPECT_EQ(got[0].first, Kind::kTake);
    Cursor c{got[0].second.data(), got[0].second.size()};
    EXPECT_EQ(c.U32(), 32u);
    EXPECT_EQ(c.U8(), 1u);
    EXPECT_TRUE(c.AtEnd());
    EXPECT_EQ(got[1].first, Kind::kPost);
    EXPECT_EQ(got[1].second, (Bytes{1, 2, 3, 4, 5}));
    EXPECT_EQ(got[2].first, Kind::kNotify);
    EXPECT_TRUE(got[2].second.empty());
  }
}

TEST(FrameReader, RejectsAnUnknownKindAZeroSizeAndAnOversizedFrame) {
  Reader::Result last;
  Bytes unknown = {1, 0, 0, 0, 99};
  EXPECT_TRUE(Feed(unknown, 8, &last).empty());
  EXPECT_EQ(last, Reader::kMalformed);
  Bytes zero = {0, 0, 0, 0};
  Feed(zero, 8, &last);
  EXPECT_EQ(last, Reader::kMalformed);
  Bytes huge;
  PutU32(huge, kMaxFrame + 1);
  PutU8(huge, static_cast<uint8_t>(Kind::kPost));
  Feed(huge, 8, &last);
  EXPECT_EQ(last, Reader::kMalformed) << "a size above kMaxFrame is refused before anything is allocated";
}

TEST(FrameReader, KeepsAPartialFrameAcrossCompactionAndGrowsForALargeOne) {
  Bytes bytes;
  Bytes big(3 << 20);
  std::mt19937 rng(7);
  for (auto& b : big) b = static_cast<uint8_t>(rng());
  PutFrame(bytes, Kind::kNotify);
  PutFrame(bytes, Kind::kReply, big.data(), big.size());
  PutFrame(bytes, Kind::kNotify);
  Reader::Result last;
  auto got = Feed(bytes, 4093, &last);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].first, Kind::kReply);
  EXPECT_EQ(got[1].second, big);
}

TEST(FrameCursor, AReadPastTheEndFailsAndYieldsZeros) {
  const uint8_t body[] = {7, 0, 0};
  Cursor c{body, sizeof body};
  EXPECT_EQ(c.U8(), 7u);
  EXPECT_EQ(c.U32(), 0u);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.Take(1), nullptr);
  EXPECT_FALSE(c.AtEnd());
}

TEST(FrameSocket, WriteAllAndReadSomeCarryFramesAcrossASocketpair) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Bytes bytes;
  Bytes big(1 << 20, 0xAB);
  for (int i = 0; i < 4; ++i) PutFrame(bytes, Kind::kReply, big.data(), big.size());
  std::thread writer([&] { EXPECT_TRUE(WriteAll(sv[0], bytes.data(), bytes.size())); close(sv[0]); });
  Reader r;
  int frames = 0;
  while (ReadSome(sv[1], r) > 0) {
    View f;
    while (r.Next(&f) == Reader::kFrame) {
      EXPECT_EQ(f.size, big.size());
      ++frames;
    }
  }
  writer.join();
  EXPECT_EQ(frames, 4);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_FALSE(WriteAll(sv[1], bytes.data(), 8)) << "the peer is closed: an error, not SIGPIPE";
  close(sv[1]);
}

}  // namespace
}  // namespace nativepool::frame
