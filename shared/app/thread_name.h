#pragma once

#include <pthread.h>

#include <string>

namespace dots {

// Names the calling thread (at most 15 characters show) so that top, perf and gdb tell the
// threads of a process apart.
inline void nameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace dots
