#include "jaegis/framework/task.hpp"

#include <stdexcept>
#include <string>

namespace jaegis::detail {

void task_promise_base::unhandled_exception() noexcept {
  // Like an exception escaping a plain handler: the request (if any) gets the error, and the
  // actor stops with it as the reason.
  std::string what = "unknown exception";
  try {
    throw;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  respond_error(request_, error(errc::unhandled_exception, what));
  if (cell_ != nullptr) cell_->quit(error(errc::unhandled_exception, what));
}

}  // namespace jaegis::detail
