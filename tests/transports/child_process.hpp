#pragma once

// A peer program in a process of its own, for the remoting tests that kill a peer: started with
// its stdin and stdout on pipes, it says one line on stdout once it serves (its port, or "ready"),
// and ends when its stdin closes. The destructor ends it that way (a clean exit), and kills it if
// it has not ended within a few seconds; kill9() kills it mid-stream.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace remote_test {

class child_process {
 public:
  explicit child_process(std::vector<std::string> args) {
    int out[2];
    int in[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(in) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(in[0]);
    stdin_fd_ = in[1];
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n')
      first_line_ += c;
    ::close(out[0]);
  }
  ~child_process() {
    ::close(stdin_fd_);  // the peer's cue to end
    if (pid_ <= 0) return;
    for (int i = 0; i < 100; ++i) {  // 10 s, then it is killed
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// What the peer said once it was serving.
  const std::string& first_line() const noexcept { return first_line_; }

  void kill9() {
    REQUIRE(::kill(pid_, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    CHECK(WIFSIGNALED(status));
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string first_line_;
};

}  // namespace remote_test
