// The peer process of the remote workloads; the protocol is in peer_process.hpp.

#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

extern char** environ;

namespace jaegis::bench::vs {
namespace {

/// The peer's end of the port pipe. Fixed, so that the peer needs no argument for it.
constexpr int peer_port_fd = 3;

template <class T>
bool parse_number(std::string_view text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string describe_status(int status) {
  std::string s;
  if (WIFEXITED(status)) {
    s = "exit status ";
    s += std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    s = "signal ";
    s += std::to_string(WTERMSIG(status));
  } else {
    s = "status ";
    s += std::to_string(status);
  }
  return s;
}

std::string peer_name(const peer_args& a) {
  std::string s = "the ";
  s += a.workload;
  s += " peer (";
  s += a.impl;
  s += ")";
  return s;
}

}  // namespace

void peer_args::report_port(std::uint16_t port) const {
  char line[16];
  const int len = std::snprintf(line, sizeof line, "%u\n", static_cast<unsigned>(port));
  // One write of a few bytes into a pipe is atomic; a failed one leaves the parent to time out.
  if (write(port_fd, line, static_cast<std::size_t>(len)) != len) {
    std::fprintf(stderr, "jaegis-bench: peer: cannot report the port: %s\n", std::strerror(errno));
  }
  close(port_fd);
}

int remote_peer_main(int argc, char** argv, int (*serve)(const peer_args&)) {
  // First of all, so that no later failure can outlive the parent.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  peer_args a;
  pid_t parent = 0;
  unsigned quick = 0;
  if (argc != 7 || !parse_number(argv[4], parent) || !parse_number(argv[5], a.workers) ||
      !parse_number(argv[6], quick) || quick > 1 || a.workers == 0) {
    std::fprintf(stderr,
                 "usage: jaegis-bench --remote-peer WORKLOAD IMPL PARENT_PID WORKERS 0|1 "
                 "(started by jaegis-bench itself)\n");
    return 2;
  }
  // The parent died before the prctl above: nobody would ever stop this process.
  if (getppid() != parent) return 1;
  a.workload = argv[2];
  a.impl = argv[3];
  a.quick = quick == 1;
  a.port_fd = peer_port_fd;
  return serve(a);
}

peer_process::peer_process(peer_args what, std::chrono::seconds startup_limit)
    : args_(std::move(what)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2() failed");
  // dup2 clears close-on-exec only if it really duplicates: keep the write end off fd 3.
  int write_end = fds[1];
  if (write_end <= peer_port_fd) {
    write_end = fcntl(fds[1], F_DUPFD_CLOEXEC, peer_port_fd + 1);
    close(fds[1]);
    if (write_end < 0) fail("fcntl(F_DUPFD_CLOEXEC) failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end, peer_port_fd);
  std::vector<std::string> words{
      "/proc/self/exe",         std::string(remote_peer_flag), args_.workload,         args_.impl,
      std::to_string(getpid()), std::to_string(args_.workers), args_.quick ? "1" : "0"};
  std::vector<char*> argv;
  for (std::string& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  const int err = posix_spawn(&pid_, words[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(write_end);
  if (err != 0) {
    pid_ = -1;
    fail(std::string("posix_spawn failed: ") + std::strerror(err));
  }

  // The port line; the pipe's end (every write end closed) means the peer died.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + startup_limit;
  while (text.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail("reported no port within the startup limit");
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) fail("poll() failed");
    if (ready == 0) continue;  // the deadline check above ends the loop
    char buf[64];
    const ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("ended before it reported a port");
    text.append(buf, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  unsigned port = 0;
  if (!parse_number(std::string_view(text).substr(0, text.find('\n')), port) || port == 0 ||
      port > 65535) {
    fail("reported a bad port: '" + text + "'");
  }
  port_ = static_cast<std::uint16_t>(port);
  watcher_ = std::thread([this] { watch(); });
}

void peer_process::fail(const std::string& why) {
  std::string status;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    status = " (" + describe_status(st) + ")";
  }
  std::fflush(stdout);
  std::fprintf(stderr, "jaegis-bench: %s %s%s\n", peer_name(args_).c_str(), why.c_str(),
               status.c_str());
  std::fflush(stderr);
  std::_Exit(4);
}

void peer_process::watch() {
  // WNOWAIT: the peer stays a zombie until it is marked exited below, so that stop() never
  // signals a pid the system may already have given to another process.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  bool expected = false;
  {
    std::lock_guard lock(mutex_);
    exited_ = true;
    expected = stopping_;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  exited_cv_.notify_all();
  if (expected || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return;
  std::fflush(stdout);
  std::fprintf(stderr, "jaegis-bench: %s ended while it was serving: %s\n",
               peer_name(args_).c_str(), describe_status(status).c_str());
  std::fflush(stderr);
  // The parent's actors may be waiting for replies that will never come.
  std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
}

void peer_process::stop(std::chrono::seconds grace) {
  if (!watcher_.joinable()) return;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    if (!exited_) kill(pid_, SIGTERM);
    if (!exited_cv_.wait_for(lock, grace, [&] { return exited_; })) kill(pid_, SIGKILL);
  }
  watcher_.join();
}

}  // namespace jaegis::bench::vs
