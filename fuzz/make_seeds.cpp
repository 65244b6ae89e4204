// Writes the binary seeds of fuzz/corpus/envelope/: envelopes sealed under the fuzz key, batch
// plaintexts and a zstd frame, each prefixed by the mode byte envelope_fuzz.cpp expects.
// Usage: make_seeds <dir>
#include <fstream>
#include <iostream>

#include "shared/codec/batch_codec.h"
#include "shared/compress/zstd_codec.h"
#include "shared/seal/envelope.h"

namespace {
void write(const std::string& path, std::uint8_t mode, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.put(static_cast<char>(mode));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

dots::Batch sampleBatch(bool mixed) {
  dots::Batch b;
  b.historical = mixed;
  for (int i = 0; i < 5; ++i) {
    dots::Reading r;
    r.name = "room" + std::to_string(i % 2) + ":temp";
    r.unit = "Cel";
    r.time_ms = 1'700'000'000'000 + i * 1000;
    r.value = 20.5 + i;
    b.readings.push_back(r);
  }
  if (mixed) {
    dots::Reading t{"door:label", "", 1'700'000'000'500, dots::ValueKind::kText, 0, "east", {}};
    dots::Reading s{"meter:energy", "J", 1'700'000'001'000, dots::ValueKind::kNumber, 1, "", 42.5};
    b.readings.push_back(t);
    b.readings.push_back(s);
  }
  return b;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds <dir>\n";
    return 2;
  }
  std::string dir = argv[1];
  dots::seal::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x42 + i);
  dots::seal::AesGcm gcm(key);
  int n = 0;
  for (bool mixed : {false, true}) {
    auto plain = dots::codec::encodeBatch(sampleBatch(mixed));
    for (bool zstd : {false, true}) {
      dots::seal::EnvelopeHeader h{"gw-fuzz", 1, 7, static_cast<std::uint64_t>(n)};
      write(dir + "/sealed-" + std::to_string(n++), 0,
            dots::seal::sealEnvelope(gcm, h, plain, zstd));
    }
    write(dir + "/batch-" + std::to_string(mixed), 1, plain);
    write(dir + "/zstd-" + std::to_string(mixed), 2, dots::compress::compress(plain));
  }
  write(dir + "/batch-empty", 1, dots::codec::encodeBatch(dots::Batch{}));
  return 0;
}
