#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "jaegis/samples/node_option.hpp"

namespace jaegis::samples {

namespace {

std::string errno_text(const char* what) {
  std::string m = what;
  m += ": ";
  m += std::strerror(errno);
  return m;
}

}  // namespace

peer_process::peer_process(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                           std::string program) {
  // Everything the child needs is prepared before fork(): after it the child only calls
  // async-signal-safe functions.
  std::vector<char*> argv;
  std::string name = "jaegis-samples";
  argv.push_back(name.data());
  std::vector<std::string> copies(args);
  for (std::string& a : copies)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(errno_text("fork"));
  }
  if (pid_ == 0) {
    // Die with the parent; and if it died already (before prctl took effect), go now.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
    if (dup2(fds[1], STDOUT_FILENO) < 0) _exit(126);  // the copy is not close-on-exec
    execv(program.c_str(), argv.data());
    constexpr char message[] = "jaegis-samples: cannot start the listening process\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
  }
  close(fds[1]);
  out_ = fds[0];

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto newline = pending_.find('\n'); newline != std::string::npos;
         newline = pending_.find('\n')) {
      const std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (auto target = target_of_listening_line(line)) {
        target_ = std::move(*target);
        return;
      }
    }
    const bool open = read_some(deadline);
    if (!open || std::chrono::steady_clock::now() >= deadline) {
      std::string m = "the listening process ";
      if (open) {
        m += "did not say where it listens within ";
        m += std::to_string(timeout.count());
        m += " ms; killed";
        kill_and_reap();
      } else {
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        m += status_text(status);
        m += " before it listened";
      }
      close(out_);
      out_ = -1;
      throw std::runtime_error(m);
    }
  }
}

peer_process::~peer_process() {
  kill_and_reap();
  if (out_ >= 0) close(out_);
  // The child is reaped: nobody listens on the file any more (a clean exit removed it already).
  if (!remove_.empty()) unlink(remove_.c_str());
}

bool peer_process::read_some(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return true;
  pollfd p{out_, POLLIN, 0};
  const int ready = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
  if (ready <= 0) return true;  // a timeout, or EINTR: the caller checks the deadline
  char buffer[4096];
  const ssize_t n = read(out_, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  pending_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

std::string peer_process::finish(std::chrono::milliseconds timeout, std::FILE* echo,
                                 const std::string& prefix) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool open = out_ >= 0;
  while (open && std::chrono::steady_clock::now() < deadline)
    open = read_some(deadline);
  std::size_t start = 0;
  for (auto newline = pending_.find('\n'); newline != std::string::npos;
       newline = pending_.find('\n', start)) {
    std::fprintf(echo, "%s%s\n", prefix.c_str(), pending_.substr(start, newline - start).c_str());
    start = newline + 1;
  }
  pending_.erase(0, start);
  std::fflush(echo);
  if (open) {  // still writing, or holding its stdout open, at the deadline
    kill_and_reap();
    std::string m = "the listening process did not finish within ";
    m += std::to_string(timeout.count());
    m += " ms; killed";
    return m;
  }
  // Its stdout is closed: it has exited, or is about to. Wait for that, briefly.
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return errno_text("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_and_reap();
      return "the listening process closed its output but did not exit; killed";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string m = "the listening process ";
  m += status_text(status);
  return m;
}

void peer_process::kill_and_reap() noexcept {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string peer_process::status_text(int status) const {
  std::string m;
  if (WIFEXITED(status)) {
    m = "exited with status ";
    m += std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    m = "was killed by signal ";
    m += std::to_string(WTERMSIG(status));
  } else {
    m = "stopped";
  }
  return m;
}

}  // namespace jaegis::samples
