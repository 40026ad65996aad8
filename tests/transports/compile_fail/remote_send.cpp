// Built three times: as is (must compile), with JAEGIS_SEND_UNDECLARED and with
// JAEGIS_SEND_UNSERIALIZABLE (each must fail with require_remote_type's message). The function
// below stands for the send of a remote ref, which makes exactly this check.
#include <jaegis/transports/remote_type.hpp>
#include <string>

struct declared {
  int value = 0;
};
JAEGIS_REMOTE_TYPE(declared, "compile_fail.declared")

struct undeclared {
  int value = 0;
};

struct unserializable {
  std::string text;  // not trivially copyable, and no serialize function
};
JAEGIS_REMOTE_TYPE(unserializable, "compile_fail.unserializable")

template <class T>
void send_to_remote(const T&) {
  jaegis::transports::require_remote_type<T>();
}

int main() {
  send_to_remote(declared{});
#ifdef JAEGIS_SEND_UNDECLARED
  send_to_remote(undeclared{});
#endif
#ifdef JAEGIS_SEND_UNSERIALIZABLE
  send_to_remote(unserializable{});
#endif
  return 0;
}
