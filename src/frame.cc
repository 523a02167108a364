#include "frame.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

namespace nativepool::frame {

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    // MSG_NOSIGNAL: a dead peer is an error return here, not a SIGPIPE.
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

size_t ReadSome(int fd, Reader& reader, size_t hint) {
  size_t room = hint;
  uint8_t* at = reader.Space(&room);
  for (;;) {
    ssize_t r = ::read(fd, at, room);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    reader.Commit(static_cast<size_t>(r));
    return static_cast<size_t>(r);
  }
}

}  // namespace nativepool::frame
