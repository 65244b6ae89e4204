#include "shared/app/signals.h"

#include <pthread.h>
#include <signal.h>

namespace dots::app {

namespace {
sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void blockStopSignals() {
  sigset_t set = stopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A gateway whose broker vanishes must not die of SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
}

int waitForStopSignal() {
  sigset_t set = stopSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace dots::app
