#pragma once

#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dots::itest {

using namespace std::chrono_literals;

// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
int freePort();

// Polls `condition` until it holds or `timeout` passes; returns whether it held. This is a
// wait on a condition with a deadline, never a fixed sleep.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

// Waits until `value` has not changed for `quiet`, or `timeout` passes; returns whether it
// settled. For ends that have no event to wait on (e.g. "nothing more will arrive").
bool waitSettled(const std::function<long()>& value, std::chrono::milliseconds quiet,
                 std::chrono::milliseconds timeout);

// A child process with stdout and stderr appended to `log_path`. The destructor ends it
// (SIGTERM, then SIGKILL) if it still runs. Only processes started here are ever signalled.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for exit; returns the exit code, 128+signal if killed, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  // SIGTERM, then wait; SIGKILL if it does not exit in time.
  int stop(std::chrono::milliseconds timeout = 10s);
  std::string log() const { return readFile(log_path_); }
  const std::string& logPath() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

struct CommandResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (bounded by `timeout`), capturing stdout and stderr.
CommandResult run(const std::vector<std::string>& argv, const std::string& work_dir,
                  std::chrono::milliseconds timeout = 60s);

// A real Mosquitto on a free loopback port, anonymous, in-memory; restartable on its port.
class Broker {
 public:
  explicit Broker(std::string dir);
  ~Broker();
  void start();
  void kill9();
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

// A connected socket to 127.0.0.1:port, or -1.
int connectLoopback(int port);

// True once a TCP connection to 127.0.0.1:port succeeds.
bool canConnect(int port);

// The peak resident memory of a process, in KiB (VmHWM of /proc/PID/status), or -1.
inline long peakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace dots::itest
