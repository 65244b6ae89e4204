#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dots::itest {

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int connectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool canConnect(int port) {
  int fd = connectLoopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);  // polling interval, not synchronisation
  }
}

bool waitSettled(const std::function<long()>& value, std::chrono::milliseconds quiet,
                 std::chrono::milliseconds timeout) {
  long last = value();
  auto since = std::chrono::steady_clock::now();
  return waitFor(
      [&] {
        long now = value();
        if (now != last) {
          last = now;
          since = std::chrono::steady_clock::now();
        }
        return std::chrono::steady_clock::now() - since >= quiet;
      },
      timeout);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

namespace {
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path, const std::string& cwd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  if (err_path == out_path) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
  }
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  // Nothing else is inherited: a broker left behind by a test that died must not hold the test
  // runner's descriptors (a lock file, a pipe ctest waits on) open.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

Process::Process(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  pid_ = spawn(argv, log_path_, log_path_, "");
}

Process::~Process() {
  if (!reaped_) stop(5s);
}

bool Process::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  if (!waitFor([this] { return !running(); }, timeout)) return -1;
  return decode(status_);
}

int Process::stop(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  int rc = wait(timeout);
  if (rc == -1) {
    signal(SIGKILL);
    rc = wait(10s);
  }
  return rc;
}

CommandResult run(const std::vector<std::string>& argv, const std::string& work_dir,
                  std::chrono::milliseconds timeout) {
  static int counter = 0;
  std::string base =
      work_dir + "/cmd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::string out_path = base + ".out";
  std::string err_path = base + ".err";
  pid_t pid = spawn(argv, out_path, err_path, "");
  int status = 0;
  bool done = waitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  CommandResult r{done ? decode(status) : -1, readFile(out_path), readFile(err_path)};
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return r;
}

Broker::Broker(std::string dir) : dir_(std::move(dir)), port_(freePort()) {
  start();
}

Broker::~Broker() = default;

void Broker::start() {
  std::string conf = dir_ + "/mosquitto-" + std::to_string(port_) + ".conf";
  writeFile(conf, "listener " + std::to_string(port_) +
                      " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                      "max_queued_messages 100000\nmax_inflight_messages 0\n");
  process_.reset();
  process_ = std::make_unique<Process>(std::vector<std::string>{DOTS_MOSQUITTO, "-c", conf},
                                       dir_ + "/mosquitto.log");
  if (!waitFor([this] { return canConnect(port_); }, 10s)) {
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " +
                             process_->log());
  }
}

void Broker::kill9() {
  process_->signal(SIGKILL);
  process_->wait(10s);
}

}  // namespace dots::itest
