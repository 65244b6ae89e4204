#include "shared/config/toml_file.h"

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace dots::config {

namespace {
const toml::node* find(const toml::table& table, std::string_view key) {
  return table.at_path(key).node();
}
}  // namespace

struct TomlFile::Impl {
  std::string label;
  toml::table table;
  std::set<std::string, std::less<>> read;

  // Marks `key` as read; its node, or null when absent and optional; throws when absent and
  // required.
  const toml::node* lookup(std::string_view key, bool optional) {
    read.emplace(key);
    const toml::node* node = find(table, key);
    if (!node && !optional) {
      throw ConfigError(label + ": missing required key '" + std::string(key) + "'");
    }
    return node;
  }
};

TomlFile::TomlFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TomlFile::TomlFile(TomlFile&&) noexcept = default;
TomlFile::~TomlFile() = default;

TomlFile TomlFile::parse(std::string_view text, std::string label) {
  auto impl = std::make_unique<Impl>();
  impl->label = label;
  try {
    impl->table = toml::parse(text, label);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << label << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    throw ConfigError(msg.str());
  }
  return TomlFile(std::move(impl));
}

TomlFile TomlFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), path);
}

void TomlFile::failAt(std::string_view key, const std::string& message) const {
  std::ostringstream msg;
  msg << impl_->label;
  if (const toml::node* node = find(impl_->table, key)) msg << ":" << node->source().begin.line;
  msg << ": key '" << key << "': " << message;
  throw ConfigError(msg.str());
}

bool TomlFile::has(std::string_view key) const {
  return find(impl_->table, key) != nullptr;
}

std::string TomlFile::string(std::string_view key, std::optional<std::string> fallback) {
  const toml::node* node = impl_->lookup(key, fallback.has_value());
  if (!node) return *fallback;
  if (!node->is_string()) failAt(key, "must be a string");
  return std::string(*node->value<std::string_view>());
}

std::int64_t TomlFile::integer(std::string_view key, std::optional<std::int64_t> fallback,
                               std::int64_t min, std::int64_t max) {
  const toml::node* node = impl_->lookup(key, fallback.has_value());
  if (!node) return *fallback;
  if (!node->is_integer()) failAt(key, "must be an integer");
  std::int64_t v = *node->value<std::int64_t>();
  if (v < min || v > max) {
    failAt(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    " (got " + std::to_string(v) + ")");
  }
  return v;
}

double TomlFile::number(std::string_view key, std::optional<double> fallback, double min,
                        double max) {
  const toml::node* node = impl_->lookup(key, fallback.has_value());
  if (!node) return *fallback;
  if (!node->is_number()) failAt(key, "must be a number");
  double v = *node->value<double>();
  if (!(v >= min && v <= max)) {
    std::ostringstream msg;
    msg << "must be between " << min << " and " << max << " (got " << v << ")";
    failAt(key, msg.str());
  }
  return v;
}

bool TomlFile::boolean(std::string_view key, std::optional<bool> fallback) {
  const toml::node* node = impl_->lookup(key, fallback.has_value());
  if (!node) return *fallback;
  if (!node->is_boolean()) failAt(key, "must be true or false");
  return *node->value<bool>();
}

std::vector<std::string> TomlFile::strings(std::string_view key,
                                           std::optional<std::vector<std::string>> fallback) {
  const toml::node* node = impl_->lookup(key, fallback.has_value());
  if (!node) return *fallback;
  const toml::array* array = node->as_array();
  if (!array) failAt(key, "must be an array of strings");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    if (!item.is_string()) failAt(key, "must be an array of strings");
    out.emplace_back(*item.value<std::string_view>());
  }
  return out;
}

std::string TomlFile::choice(std::string_view key, std::string fallback,
                             const std::vector<std::string>& choices) {
  std::string v = string(key, std::move(fallback));
  for (const auto& c : choices) {
    if (c == v) return v;
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  failAt(key, "must be one of " + list + " (got \"" + v + "\")");
}

std::size_t TomlFile::tableArraySize(std::string_view key) {
  const toml::node* node = find(impl_->table, key);
  if (!node) return 0;
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    failAt(key, "must be an array of tables ([[" + std::string(key) + "]])");
  }
  return array->size();
}

void TomlFile::rejectUnknownKeys() const {
  // Walk every leaf; report the first one nobody read.
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& table, const std::string& prefix) {
        for (const auto& [k, node] : table) {
          std::string path =
              prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
          if (const toml::table* sub = node.as_table()) {
            walk(*sub, path);
          } else if (const toml::array* array = node.as_array();
                     array && !array->empty() && array->is_array_of_tables()) {
            for (std::size_t i = 0; i < array->size(); ++i) {
              walk(*array->get(i)->as_table(), path + "[" + std::to_string(i) + "]");
            }
          } else if (!impl_->read.contains(path)) {
            std::ostringstream msg;
            msg << impl_->label << ":" << node.source().begin.line << ": unknown key '" << path
                << "'";
            throw ConfigError(msg.str());
          }
        }
      };
  walk(impl_->table, "");
}

}  // namespace dots::config
