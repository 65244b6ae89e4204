// dots-sim's fault injection through the whole data path: what its summary says it sent,
// duplicated, reordered, skewed, dropped and spoiled is what the gateway and the ingester show.
#include <regex>

#include "tests/integration/probes.h"
#include "tests/integration/system.h"

using namespace dots::itest;

namespace {
long summaryField(const std::string& summary, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("\"" + name + "\": (\\d+)"))) return -1;
  return std::stol(m[1]);
}
}  // namespace

TEST_CASE("dots-sim faults: the books balance through the gateway and the ingester") {
  System sys;
  auto config = sys.provision("gw1", "status_interval_s = 1\n");
  StatusWatcher status(sys.broker().uri(), "gw1");
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");
  auto args = sys.simArgs("faults", 3000, 6, 2000);
  args.insert(args.end(),
              {"--duplicates",    "0.05", "--reorder",     "0.05",  "--malformed",  "0.02",
               "--oversize",      "0.01", "--skew-ms",     "-5000", "--jump-ms",    "60000",
               "--jump-at",       "300",  "--burst-every", "500",   "--burst-size", "50",
               "--dropout-every", "200",  "--dropout-len", "20"});
  auto sim = run(args, sys.path(""), 60s);
  INFO(sim.err);
  REQUIRE(sim.code == 0);
  std::string summary = readFile(sys.path("faults-summary.json"));
  INFO(summary);
  long sent = summaryField(summary, "sent");
  long duplicated = summaryField(summary, "duplicated");
  long malformed = summaryField(summary, "malformed");
  long oversize = summaryField(summary, "oversize");
  long dropped = summaryField(summary, "dropped");
  // 500 readings per sensor, silent for readings 180-199 and 380-399 of each: 6 * 40.
  CHECK(dropped == 240);
  CHECK(sent + dropped + malformed + oversize == 3000);
  CHECK(duplicated > 0);
  CHECK(summaryField(summary, "reordered") > 0);
  CHECK(malformed > 0);
  CHECK(oversize > 0);
  CHECK(summaryField(summary, "skewed") == sent);  // every reading sent carries the skew
  CHECK(summaryField(summary, "jumped") > 0);
  CHECK(summaryField(summary, "burst") > 0);

  // Every copy is stored, each reading once as distinct, with the (skewed) time it was sent
  // with; the spoiled messages are rejected by the gateway and counted by their reasons.
  REQUIRE(waitFor([&] { return sys.count("gw1").count >= sent + duplicated; }, 60s));
  Counts c = sys.count("gw1");
  CHECK(c.count == sent + duplicated);
  CHECK(c.distinct == sent);
  CHECK(sys.stored("gw1") == System::sent(sys.path("faults-sent.csv")));
  std::string rejected = R"("rejected":{"bad-json":)" + std::to_string(malformed) +
                         R"(,"oversize":)" + std::to_string(oversize) + "}";
  CHECK(waitFor([&] { return status.last().find(rejected) != std::string::npos; }, 30s));
  INFO(status.last());
  CHECK(status.field("messages") == sent + duplicated + malformed + oversize);
}
