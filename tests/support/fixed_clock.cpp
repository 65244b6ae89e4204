// LD_PRELOAD shim for tests: the wall clock starts at DOTS_FIXED_CLOCK_S (seconds since the Unix
// epoch) when the process starts and runs on from there, as on a board without a real-time clock
// that boots to the same time every time. Monotonic clocks are left alone.
#include <dlfcn.h>
#include <sys/time.h>
#include <time.h>

#include <cstdlib>

namespace {

using ClockGettime = int (*)(clockid_t, struct timespec*);

ClockGettime realClockGettime() {
  static ClockGettime real = reinterpret_cast<ClockGettime>(dlsym(RTLD_NEXT, "clock_gettime"));
  return real;
}

struct timespec started {};
long long start_s = -1;

void fixedNow(struct timespec* ts) {
  if (start_s < 0) {
    const char* v = std::getenv("DOTS_FIXED_CLOCK_S");
    start_s = v ? std::atoll(v) : 0;
    realClockGettime()(CLOCK_MONOTONIC, &started);
  }
  struct timespec now {};
  realClockGettime()(CLOCK_MONOTONIC, &now);
  long long ns = static_cast<long long>(now.tv_sec - started.tv_sec) * 1000000000LL +
                 (now.tv_nsec - started.tv_nsec);
  ts->tv_sec = static_cast<time_t>(start_s + ns / 1000000000LL);
  ts->tv_nsec = static_cast<long>(ns % 1000000000LL);
}

}  // namespace

extern "C" int clock_gettime(clockid_t id, struct timespec* ts) noexcept {
  if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) {
    fixedNow(ts);
    return 0;
  }
  return realClockGettime()(id, ts);
}

extern "C" int gettimeofday(struct timeval* tv, void*) noexcept {
  struct timespec ts {};
  fixedNow(&ts);
  if (tv) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return 0;
}

extern "C" time_t time(time_t* t) noexcept {
  struct timespec ts {};
  fixedNow(&ts);
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}
