#include "shared/codec/batch_codec.h"

#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include "dots/wire/batch_generated.h"
#include "shared/codec/aligned_bytes.h"

namespace dots::codec {

namespace {

struct SeriesKey {
  std::string_view name;
  std::string_view unit;
  bool operator==(const SeriesKey&) const = default;
};

struct SeriesKeyHash {
  std::size_t operator()(const SeriesKey& k) const {
    return std::hash<std::string_view>()(k.name) * 31 + std::hash<std::string_view>()(k.unit);
  }
};

}  // namespace

std::vector<std::uint8_t> encodeBatch(const Batch& batch) {
  return encodeReadings(batch.readings, batch.historical);
}

std::vector<std::uint8_t> encodeReadings(std::span<const Reading> readings, bool historical) {
  flatbuffers::FlatBufferBuilder fbb(256 + readings.size() * 24);

  std::unordered_map<SeriesKey, std::uint32_t, SeriesKeyHash> index;
  std::vector<flatbuffers::Offset<wire::Series>> series;
  std::vector<std::uint32_t> series_index;
  series_index.reserve(readings.size());
  std::int64_t base = readings.empty() ? 0 : readings.front().time_ms;
  for (const Reading& r : readings) base = std::min(base, r.time_ms);

  std::vector<std::int64_t> deltas;
  std::vector<double> values;
  std::vector<wire::ValueKind> kinds;
  std::vector<flatbuffers::Offset<flatbuffers::String>> texts;
  std::vector<double> sums;
  deltas.reserve(readings.size());
  values.reserve(readings.size());
  bool any_kind = false;
  bool any_sum = false;
  for (const Reading& r : readings) {
    any_kind = any_kind || r.kind != ValueKind::kNumber;
    any_sum = any_sum || r.sum.has_value();
  }

  for (const Reading& r : readings) {
    auto [it, inserted] =
        index.try_emplace(SeriesKey{r.name, r.unit}, static_cast<std::uint32_t>(series.size()));
    if (inserted) {
      auto name = fbb.CreateString(r.name);
      auto unit =
          r.unit.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(r.unit);
      series.push_back(wire::CreateSeries(fbb, name, unit));
    }
    series_index.push_back(it->second);
    deltas.push_back(r.time_ms - base);
    values.push_back(r.kind == ValueKind::kText || r.kind == ValueKind::kData ? 0.0 : r.value);
    if (any_kind) kinds.push_back(static_cast<wire::ValueKind>(r.kind));
    if (r.kind == ValueKind::kText || r.kind == ValueKind::kData) {
      texts.push_back(fbb.CreateString(r.text));
    }
    if (any_sum) sums.push_back(r.sum.value_or(std::numeric_limits<double>::quiet_NaN()));
  }

  auto series_vec = fbb.CreateVector(series);
  auto index_vec = fbb.CreateVector(series_index);
  auto delta_vec = fbb.CreateVector(deltas);
  auto value_vec = fbb.CreateVector(values);
  flatbuffers::Offset<flatbuffers::Vector<wire::ValueKind>> kind_vec;
  if (any_kind) kind_vec = fbb.CreateVector(kinds);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> text_vec;
  if (!texts.empty()) text_vec = fbb.CreateVector(texts);
  flatbuffers::Offset<flatbuffers::Vector<double>> sum_vec;
  if (any_sum) sum_vec = fbb.CreateVector(sums);

  auto root = wire::CreateBatch(fbb, kBatchVersion, historical, base, series_vec, index_vec,
                                delta_vec, value_vec, kind_vec, text_vec, sum_vec);
  wire::FinishBatchBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

Result<Batch> decodeBatch(std::span<const std::uint8_t> received) {
  if (received.size() > kMaxBatchBytes)
    return fail("oversize", "batch of " + std::to_string(received.size()) + " bytes");
  AlignedBytes aligned(received);
  std::span<const std::uint8_t> bytes = aligned.span();
  // Depth: Batch -> vector -> Series -> string is 4 levels; allow a little slack.
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/8,
                                 /*max_tables=*/kMaxReadingsPerBatch + 16);
  if (!wire::VerifyBatchBuffer(verifier)) {
    return fail("malformed", "batch fails FlatBuffers verification");
  }
  const wire::Batch* fb = wire::GetBatch(bytes.data());
  if (fb->version() != kBatchVersion) {
    return fail("version", "batch version " + std::to_string(fb->version()));
  }
  const auto* series = fb->series();
  const auto* index = fb->series_index();
  const auto* deltas = fb->time_delta_ms();
  const auto* values = fb->values();
  std::size_t n = index ? index->size() : 0;
  if ((deltas ? deltas->size() : 0) != n || (values ? values->size() : 0) != n) {
    return fail("malformed", "per-reading vectors differ in length");
  }
  if (n > kMaxReadingsPerBatch) return fail("oversize", std::to_string(n) + " readings");
  const auto* kinds = fb->kinds();
  const auto* texts = fb->texts();
  const auto* sums = fb->sums();
  if (kinds && kinds->size() != n) return fail("malformed", "kinds length");
  if (sums && sums->size() != n) return fail("malformed", "sums length");
  // The verifier checks a vector's length field, not that 8-byte elements are aligned; our
  // encoder always aligns them, so anything else is crafted and is not read.
  auto misaligned = [](const auto* v) {
    return v && v->size() > 0 && reinterpret_cast<std::uintptr_t>(v->data()) % 8 != 0;
  };
  if (misaligned(deltas) || misaligned(values) || misaligned(sums)) {
    return fail("malformed", "misaligned 8-byte vector");
  }
  std::size_t series_count = series ? series->size() : 0;
  // Times stay within ±kMaxAbsTimeMs, which also keeps base + delta far from overflow.
  auto within = [](std::int64_t v, std::int64_t limit) { return v >= -limit && v <= limit; };
  const std::int64_t base = fb->base_time_ms();
  if (n > 0 && !within(base, kMaxAbsTimeMs)) {
    return fail("malformed", "reading time out of range");
  }

  // Bounds, once per series and text, before anything is made: the memory the readings will
  // take (a string longer than the small-string buffer is a heap block per reading).
  auto heap = [](std::size_t length) { return length > 15 ? length + 1 : 0; };
  std::vector<std::size_t> series_bytes(series_count);
  for (std::size_t s = 0; s < series_count; ++s) {
    const wire::Series* sr = series->Get(static_cast<flatbuffers::uoffset_t>(s));
    std::size_t name = sr->name()->size();
    std::size_t unit = sr->unit() ? sr->unit()->size() : 0;
    if (name > kMaxSeriesNameBytes)
      return fail("oversize", "series name of " + std::to_string(name) + " bytes");
    if (unit > kMaxUnitBytes) return fail("oversize", "unit of " + std::to_string(unit) + " bytes");
    series_bytes[s] = heap(name) + heap(unit);
  }
  std::size_t decoded = n * sizeof(Reading);
  for (std::size_t i = 0; i < n && decoded <= kMaxDecodedBytes; ++i) {
    std::uint32_t s = index->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (s >= series_count) return fail("malformed", "series index out of range");
    decoded += series_bytes[s];
  }
  if (texts) {
    for (const auto* t : *texts) {
      if (t->size() > kMaxTextBytes)
        return fail("oversize", "text value of " + std::to_string(t->size()) + " bytes");
      decoded += heap(t->size());
    }
  }
  if (decoded > kMaxDecodedBytes) {
    return fail("oversize", "readings would take over " + std::to_string(kMaxDecodedBytes >> 20) +
                                " MiB decoded");
  }

  Batch out;
  out.historical = fb->historical();
  out.readings.resize(n);
  std::size_t next_text = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Reading& r = out.readings[i];
    std::uint32_t s = index->Get(i);
    if (s >= series_count) return fail("malformed", "series index out of range");
    const wire::Series* sr = series->Get(s);
    r.name = sr->name()->str();
    if (sr->unit()) r.unit = sr->unit()->str();
    std::int64_t delta = deltas->Get(i);
    if (!within(delta, 2 * kMaxAbsTimeMs) || !within(base + delta, kMaxAbsTimeMs)) {
      return fail("malformed", "reading time out of range");
    }
    r.time_ms = base + delta;
    r.value = values->Get(i);
    if (kinds) {
      auto k = static_cast<std::uint8_t>(kinds->Get(i));
      if (k > static_cast<std::uint8_t>(ValueKind::kData)) return fail("malformed", "value kind");
      r.kind = static_cast<ValueKind>(k);
      if (r.kind == ValueKind::kText || r.kind == ValueKind::kData) {
        if (!texts || next_text >= texts->size()) return fail("malformed", "missing text value");
        r.text = texts->Get(next_text++)->str();
      }
    }
    if (sums && !std::isnan(sums->Get(i))) r.sum = sums->Get(i);
  }
  if (texts && next_text != texts->size()) return fail("malformed", "extra text values");
  return out;
}

}  // namespace dots::codec
