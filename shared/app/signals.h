#pragma once

namespace dots::app {

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards.
// Call first thing in main().
void blockStopSignals();
// Waits for SIGINT or SIGTERM; returns the signal number.
int waitForStopSignal();

}  // namespace dots::app
