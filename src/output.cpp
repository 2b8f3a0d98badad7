#include "output.h"

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>

#include "error.h"

namespace losscalc {

void write_out(std::ostream& out, std::string_view text) {
  if (!out) throw data_error("standard output", "", "write error: an earlier write failed");
  errno = 0;
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  if (out) return;
  const int e = errno;
  if (e == EPIPE) throw BrokenPipe{};
  throw data_error("standard output", "", std::string("write error: ") + (e ? std::strerror(e) : "the write failed"));
}

}  // namespace losscalc
