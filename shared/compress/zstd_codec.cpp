#include "shared/compress/zstd_codec.h"

#include <zstd.h>

#include <string>

namespace dots::compress {

std::vector<std::uint8_t> compress(std::span<const std::uint8_t> input, int level) {
  std::vector<std::uint8_t> out(ZSTD_compressBound(input.size()));
  std::size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), level);
  // ZSTD_compress cannot fail with a ZSTD_compressBound-sized buffer and a valid level.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> input,
                                             std::size_t max_output) {
  unsigned long long size = ZSTD_getFrameContentSize(input.data(), input.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return fail("bad-compression", "not a zstd frame with a known size");
  }
  if (size > max_output) {
    return fail("oversize", "decompresses to " + std::to_string(size) + " bytes");
  }
  std::vector<std::uint8_t> out(size);
  std::size_t n = ZSTD_decompress(out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n) || n != size) {
    return fail("bad-compression", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch");
  }
  return out;
}

}  // namespace dots::compress
