#pragma once

#include <cstddef>
#include <span>

namespace dots::cloud {

// One file of the web console, built into the binary (generated from web/ by
// cmake/EmbedFiles.cmake). Static data: valid for the program's life.
struct ConsoleFile {
  const char* path;  // relative to web/, e.g. "index.html", "vendor/uplot/uPlot.min.css"
  const unsigned char* bytes;
  std::size_t size;
  const char* etag;  // a quoted hash of the bytes
};

// Every embedded file; defined by the generated source.
std::span<const ConsoleFile> consoleFiles();

}  // namespace dots::cloud
