// dots-nab: scores the anomaly handler on the Numenta Anomaly Benchmark. Wiring only.
//   dots-nab offline --nab DIR [--spec SPEC]   the handler run in this process on every file
//   dots-nab score --nab DIR --alerts FILE     alerts the real system raised, scored
#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>

#include "bench/nab/nab_offline.h"
#include "bench/nab/nab_report.h"
#include "dots/version.h"

int main(int argc, char** argv) {
  CLI::App app{"dots-nab: the anomaly handler scored by NAB's rules"};
  app.set_version_flag("--version", std::string("dots-nab ") + dots::kVersion);
  app.require_subcommand(1);
  std::string nab_dir;
  std::string spec = "anomaly";
  std::string alerts_path;
  bool per_file = false;
  auto* offline = app.add_subcommand("offline", "run the handler in this process on every file");
  offline->add_option("--nab", nab_dir, "NAB's folder (data/, labels/, config/)")->required();
  offline->add_option("--spec", spec, "the handler spec")->capture_default_str();
  offline->add_flag("--per-file", per_file, "a line per file");
  std::string rows_of;
  offline->add_option("--rows", rows_of,
                      "print the windows and detection rows of the files whose name holds this");
  auto* score = app.add_subcommand("score", "score the alerts the real system raised");
  score->add_option("--nab", nab_dir, "NAB's folder (data/, labels/, config/)")->required();
  score
      ->add_option("--alerts", alerts_path,
                   "CSV of raised alerts: sensor,time_ms (sensor = the file's name without .csv)")
      ->required();
  score->add_flag("--per-file", per_file, "a line per file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    auto corpus = dots::nab::loadCorpus(nab_dir);
    auto profiles = dots::nab::loadProfiles(nab_dir);
    dots::nab::Detections detections;
    if (*offline) {
      detections = dots::nab::detectOffline(corpus, spec);
      for (const auto& series : corpus) {
        if (rows_of.empty() || series.name.find(rows_of) == std::string::npos) continue;
        std::cout << series.name << " (" << series.values.size() << " rows, probation "
                  << dots::nab::probationLength(series.values.size()) << "): windows";
        for (const auto& w : series.windows) std::cout << " " << w.first << "-" << w.last;
        std::cout << "; detections";
        for (std::size_t r : detections[series.name]) std::cout << " " << r;
        std::cout << "\n";
      }
      std::cout << "handler: " << spec << " (in process)\n";
      auto walks = dots::nab::alertsOnWalks(spec, 60, 5000);
      std::size_t over = std::count_if(walks.begin(), walks.end(), [](auto n) { return n > 1; });
      std::cout << "clean random walks (60 of 5000 readings): " << over
                << " raised more than one alert (limit 0), at most "
                << *std::max_element(walks.begin(), walks.end()) << " on one\n";
    } else {
      std::ifstream in(alerts_path);
      if (!in) throw std::runtime_error("cannot read " + alerts_path);
      detections = dots::nab::detectionsFromAlerts(corpus, in);
      std::cout << "alerts: " << alerts_path << "\n";
    }
    dots::nab::report(corpus, profiles, detections, std::cout, per_file);
  } catch (const std::exception& e) {
    std::cerr << "dots-nab: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
