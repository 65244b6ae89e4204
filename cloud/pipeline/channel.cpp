#include "cloud/pipeline/channel.h"

#include "cloud/handlers/handler_table.h"

namespace dots::cloud {

Result<std::unique_ptr<Channel>> Channel::create(std::int64_t id, std::string account,
                                                 std::string name, std::string environment,
                                                 const std::vector<std::string>& specs) {
  auto channel = std::make_unique<Channel>();
  channel->id_ = id;
  channel->account_ = std::move(account);
  channel->name_ = std::move(name);
  channel->environment_ = std::move(environment);
  channel->specs_ = specs;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto handler = makeHandler(specs[i]);
    if (!handler) {
      return fail("bad-handler", "channel " + channel->account_ + "/" + channel->name_ +
                                     ", handler " + std::to_string(i + 1) + ": " +
                                     handler.error().detail);
    }
    channel->handlers_.push_back(std::move(*handler));
  }
  return channel;
}

Result<void> Channel::run(std::vector<Reading> readings, std::string_view gateway, bool historical,
                          ChannelSink& sink) {
  HandlerContext ctx{id_, account_, name_, gateway, historical, sink, {}};
  for (auto& handler : handlers_) {
    if (auto r = handler->process(readings, ctx); !r) return r;
  }
  return {};
}

void Channel::commit() {
  for (auto& handler : handlers_) handler->commit();
}

void Channel::abort() {
  for (auto& handler : handlers_) handler->abort();
}

}  // namespace dots::cloud
