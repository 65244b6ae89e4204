#include "gateway/reduce/reducer.h"

#include <doctest/doctest.h>

using namespace dots;
using namespace dots::gateway;
using namespace std::chrono_literals;

namespace {
Reading num(const std::string& name, std::int64_t t, double v) {
  return Reading{name, "Cel", t, ValueKind::kNumber, v, "", {}};
}
std::vector<Reading> feed(Reducer& r, std::vector<Reading> in) {
  std::vector<Reading> out;
  for (auto& x : in) r.apply(std::move(x), out);
  return out;
}
}  // namespace

TEST_CASE("reducer: sensors no rule matches pass unchanged") {
  Reducer r({ReduceRule{"boiler/*", ReduceMode::kDeadband, 1.0, 0s, 60s}});
  auto out = feed(r, {num("room/t", 1, 1), num("room/t", 2, 1), num("room/t", 3, 1)});
  CHECK(out.size() == 3);
  CHECK(r.suppressed() == 0);
}

TEST_CASE("reducer: deadband forwards changes beyond the threshold and heartbeats") {
  Reducer r({ReduceRule{"boiler/*", ReduceMode::kDeadband, 0.5, 10s, 60s}});
  auto out = feed(r, {num("boiler/1", 0, 20.0),        // first: forwarded
                      num("boiler/1", 1000, 20.3),     // within band
                      num("boiler/1", 2000, 20.49),    // within band (vs 20.0)
                      num("boiler/1", 3000, 20.5),     // at the threshold: forwarded
                      num("boiler/1", 4000, 20.1),     // within band of 20.5
                      num("boiler/1", 13000, 20.5),    // heartbeat: 10 s since 3000
                      num("boiler/2", 13000, 99.0)});  // another sensor, own state
  REQUIRE(out.size() == 4);
  CHECK(out[0].value == 20.0);
  CHECK(out[1].time_ms == 3000);
  CHECK(out[2].time_ms == 13000);
  CHECK(out[3].name == "boiler/2");
  CHECK(r.suppressed() == 3);
}

TEST_CASE("reducer: deadband forwards a non-numeric reading when it changes") {
  Reducer r({ReduceRule{"*", ReduceMode::kDeadband, 1.0, 0s, 60s}});
  Reading open{"door", "", 1, ValueKind::kText, 0, "open", {}};
  Reading again = open;
  again.time_ms = 2;
  Reading closed = open;
  closed.time_ms = 3;
  closed.text = "closed";
  auto out = feed(r, {open, again, closed});
  REQUIRE(out.size() == 2);
  CHECK(out[1].text == "closed");
}

TEST_CASE("reducer: summary emits count, min, max, mean per window") {
  Reducer r({ReduceRule{"meter/*", ReduceMode::kSummary, 0, 0s, 10s}});
  auto out =
      feed(r, {num("meter/a", 100000, 1), num("meter/a", 101000, 5), num("meter/a", 109999, 3),
               num("meter/a", 110000, 7)});  // a later window closes the first
  REQUIRE(out.size() == 4);
  CHECK(out[0].name == "meter/a:count");
  CHECK(out[0].value == 3);
  CHECK(out[0].time_ms == 100000);
  CHECK(out[1].name == "meter/a:min");
  CHECK(out[1].value == 1);
  CHECK(out[1].unit == "Cel");
  CHECK(out[2].value == 5);
  CHECK(out[3].name == "meter/a:mean");
  CHECK(out[3].value == 3);

  std::vector<Reading> flushed;
  r.flushExpired(119999, 0, flushed);
  CHECK(flushed.empty());  // the window [110000, 120000) is still open
  r.flushExpired(120000, 0, flushed);
  REQUIRE(flushed.size() == 4);
  CHECK(flushed[0].value == 1);
  CHECK(flushed[0].time_ms == 110000);
  CHECK(r.summaries() == 2);
}

TEST_CASE("reducer: a late reading counts in the open window, flushAll empties") {
  Reducer r({ReduceRule{"m", ReduceMode::kSummary, 0, 0s, 10s}});
  auto out = feed(r, {num("m", 20000, 2), num("m", 5000, 4)});
  CHECK(out.empty());
  std::vector<Reading> all;
  r.flushAll(all);
  REQUIRE(all.size() == 4);
  CHECK(all[0].value == 2);  // both in the window of 20000
  CHECK(all[3].value == 3);
  std::vector<Reading> none;
  r.flushAll(none);
  CHECK(none.empty());
}

TEST_CASE("reducer: first matching rule wins") {
  Reducer r({ReduceRule{"a/raw*", ReduceMode::kRaw, 0, 0s, 10s},
             ReduceRule{"a/*", ReduceMode::kDeadband, 100, 0s, 10s}});
  auto out =
      feed(r, {num("a/raw1", 1, 1), num("a/raw1", 2, 1), num("a/x", 1, 1), num("a/x", 2, 2)});
  CHECK(out.size() == 3);
}
