#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dots::config {

// A configuration error; what() names the file, the line (when known) and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Typed, validated access to a TOML file by dotted key ("uplink.broker"). The only place that
// sees toml++ types. Start-up code only: every problem throws ConfigError.
class TomlFile {
 public:
  static TomlFile load(const std::string& path);
  static TomlFile parse(std::string_view text, std::string label);

  TomlFile(TomlFile&&) noexcept;
  ~TomlFile();

  bool has(std::string_view key) const;
  std::string string(std::string_view key, std::optional<std::string> fallback = std::nullopt);
  std::int64_t integer(std::string_view key, std::optional<std::int64_t> fallback, std::int64_t min,
                       std::int64_t max);
  double number(std::string_view key, std::optional<double> fallback, double min, double max);
  bool boolean(std::string_view key, std::optional<bool> fallback);
  std::vector<std::string> strings(std::string_view key,
                                   std::optional<std::vector<std::string>> fallback);
  // A string that must be one of `choices`.
  std::string choice(std::string_view key, std::string fallback,
                     const std::vector<std::string>& choices);

  // The number of tables in the array of tables at `key` ([[key]] in TOML); 0 when absent.
  // Address their keys as "key[0].name".
  std::size_t tableArraySize(std::string_view key);

  // Throws for the first key in the file that no getter has read (typos must not pass).
  void rejectUnknownKeys() const;

  // "<file>:<line>: key '<key>': <message>", for errors found after reading a value.
  [[noreturn]] void failAt(std::string_view key, const std::string& message) const;

 private:
  struct Impl;
  explicit TomlFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dots::config
