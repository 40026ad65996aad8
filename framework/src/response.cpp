#include "jaegis/framework/response.hpp"

#include "jaegis/framework/actor_cell.hpp"

namespace jaegis::detail {

void deliver_response(open_request& request, envelope* response) noexcept {
  actor_cell* requester = std::exchange(request.reply_to, nullptr);
  response->flags = static_cast<std::uint16_t>(response->flags | response_message);
  response->request_id = request.id;
  if (actor_cell* self = actor_cell::running()) response->sender = self->id();
  requester->enqueue(response);
  requester->release();
}

void respond_error(open_request& request, error err) noexcept {
  if (!request) return;
  envelope* response = make_envelope<error>(std::move(err));
  response->flags = error_response;
  deliver_response(request, response);
}

void respond_error(envelope& e, error err) noexcept {
  if (e.reply_to == nullptr) return;
  open_request r = open_request::take(e);
  respond_error(r, std::move(err));
}

}  // namespace jaegis::detail
