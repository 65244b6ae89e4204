#include "cloud/intake/intake_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace dots::cloud;

namespace {
IncomingMessage streamMessage(std::int64_t id) {
  return StreamMessage{id, "t", {}, nullptr};
}
}  // namespace

TEST_CASE("intake queue: a full queue holds the producer until the worker takes a group") {
  IntakeQueue queue(2);
  REQUIRE(queue.push(streamMessage(1)));
  REQUIRE(queue.push(streamMessage(2)));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    CHECK(queue.push(streamMessage(3)));
    pushed = true;
  });
  std::vector<IncomingMessage> group;
  // Nothing frees space yet: the producer is still held after a while of waiting for it.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until && !pushed) std::this_thread::yield();
  CHECK_FALSE(pushed.load());
  REQUIRE(queue.popGroup(group, 10, std::chrono::milliseconds(100)));
  CHECK(group.size() == 2);
  producer.join();  // released by the space the group made
  CHECK(pushed.load());
  group.clear();
  REQUIRE(queue.popGroup(group, 10, std::chrono::milliseconds(100)));
  REQUIRE(group.size() == 1);
  CHECK(std::get<StreamMessage>(group[0]).stream_id == 3);
}

TEST_CASE("intake queue: groups are capped, and close drains then refuses") {
  IntakeQueue queue(10);
  for (int i = 0; i < 5; ++i) REQUIRE(queue.push(streamMessage(i)));
  std::vector<IncomingMessage> group;
  REQUIRE(queue.popGroup(group, 3, std::chrono::milliseconds(0)));
  CHECK(group.size() == 3);
  queue.close();
  CHECK_FALSE(queue.push(streamMessage(9)));  // refused once closed
  group.clear();
  REQUIRE(queue.popGroup(group, 3, std::chrono::milliseconds(0)));  // what is left
  CHECK(group.size() == 2);
  group.clear();
  CHECK_FALSE(queue.popGroup(group, 3, std::chrono::milliseconds(0)));
}
