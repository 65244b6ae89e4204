#include "tools/sim/series_csv.h"

#include <doctest/doctest.h>

#include <fstream>

#include "tests/unit/temp_dir.h"

using namespace dots;

TEST_CASE("series csv: NAB's timestamps read as UTC milliseconds") {
  CHECK(sim::parseTimestamp("1970-01-01 00:00:00") == 0);
  CHECK(sim::parseTimestamp("2014-04-01 00:00:00") == 1396310400000);
  CHECK(sim::parseTimestamp("2014-04-10 07:15:00.500000") == 1397114100500);
  CHECK(sim::parseTimestamp("2014-04-10T07:15:00Z") == 1397114100000);
  CHECK(!sim::parseTimestamp("2014-02-30 00:00:00"));
  CHECK(!sim::parseTimestamp("yesterday"));
}

TEST_CASE("series csv: both forms are read, bad rows are counted and skipped") {
  test::TempDir dir;
  {
    std::ofstream(dir.file("room_temp.csv"))
        << "timestamp,value\n2014-04-01 00:00:00,21.5\n2014-04-01 00:05:00,x\n"
           "2014-04-01 00:10:00,22\n";
    std::ofstream(dir.file("export.csv"))
        << "gateway,sensor,time_ms,value\ngw,a,1000,1\ngw,b,1000,2\ngw,a,2000,3\ngw,a\n";
    std::ofstream(dir.file("other.csv")) << "when,what\n1,2\n";
  }
  auto nab = sim::readSeriesFile(dir.file("room_temp.csv"));
  REQUIRE(nab);
  REQUIRE(nab->series.size() == 1);
  CHECK(nab->series[0].sensor == "room_temp");
  REQUIRE(nab->series[0].points.size() == 2);
  CHECK(nab->series[0].points[1].time_ms == 1396311000000);
  CHECK(nab->series[0].points[1].value == 22);
  CHECK(nab->bad_rows == 1);
  CHECK(nab->first_bad == "line 3: bad value");

  auto exported = sim::readSeriesFile(dir.file("export.csv"));
  REQUIRE(exported);
  REQUIRE(exported->series.size() == 2);
  CHECK(exported->series[0].sensor == "a");
  CHECK(exported->series[0].points.size() == 2);
  CHECK(exported->series[1].sensor == "b");
  CHECK(exported->bad_rows == 1);

  CHECK(sim::readSeriesFile(dir.file("other.csv")).error().reason == "bad-series");
  auto files = sim::seriesFilesAt(dir.str());
  REQUIRE(files);
  CHECK(files->size() == 3);
}
