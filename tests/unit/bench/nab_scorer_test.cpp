#include "bench/nab/nab_scorer.h"

#include <doctest/doctest.h>

#include <vector>

using namespace dots::nab;

// Hand-made cases. A file of 1000 rows has a probationary period of 150 rows; its one window is
// rows 400..499 (width 100). With S(y) = 2 / (1 + e^(5y)) - 1 = tanh(-2.5 y), a detection at row
// r of that window scores tanh(2.5 (499 - r + 1) / 100) / tanh(2.5).
namespace {
const Profile kStandard{"standard", 1.0, 0.11, 1.0};
const Profile kLowFp{"reward_low_FP_rate", 1.0, 0.22, 1.0};
const Profile kLowFn{"reward_low_FN_rate", 1.0, 0.11, 2.0};
const std::vector<Window> kOne{{400, 499}};

double scoreOf(std::vector<std::size_t> detections, const Profile& p = kStandard) {
  return scoreFile(1000, kOne, detections, p).raw;
}
}  // namespace

TEST_CASE("nab: the probationary period is 15% of the rows, at most 750") {
  CHECK(probationLength(1000) == 150);
  CHECK(probationLength(4032) == 604);  // floor(604.8)
  CHECK(probationLength(10000) == 750);
  CHECK(probationLength(7) == 1);
}

TEST_CASE("nab: the scaled sigmoid at the window's edges") {
  CHECK(scaledSigmoid(-1.0) == doctest::Approx(0.986614));  // 2 / (1 + e^-5) - 1
  CHECK(scaledSigmoid(0.0) == doctest::Approx(0.0));
  CHECK(scaledSigmoid(1.0) == doctest::Approx(-0.986614));
  CHECK(scaledSigmoid(3.0) == -1.0);
}

TEST_CASE("nab: a detection in a window scores by how early it comes") {
  CHECK(scoreOf({400}) == doctest::Approx(1.0));       // the first row: tp_weight exactly
  CHECK(scoreOf({450}) == doctest::Approx(0.859793));  // tanh(1.25) / tanh(2.5)
  CHECK(scoreOf({499}) == doctest::Approx(0.025334));  // tanh(0.025) / tanh(2.5)
  // Only the earliest detection counts, in whatever order they come.
  CHECK(scoreOf({420, 410, 499}) == doctest::Approx(0.991295));  // tanh(2.25) / tanh(2.5)
  auto f = scoreFile(1000, kOne, std::vector<std::size_t>{420, 410}, kStandard);
  CHECK(f.detected == 1);
  CHECK(f.false_positives == 0);
}

TEST_CASE("nab: false positives cost fp_weight, less just after a window") {
  CHECK(scoreOf({200}) == doctest::Approx(-1 - 0.11));  // before any window; window missed
  // 100 rows after the window's end: y = 100 / 99, S = -tanh(2.5 * 100 / 99).
  CHECK(scoreOf({400, 599}) == doctest::Approx(1 - 0.108600));
  CHECK(scoreOf({400, 900}) == doctest::Approx(1 - 0.11));  // y >= 3: the full cost
  CHECK(scoreOf({400, 200}, kLowFp) == doctest::Approx(1 - 0.22));
  CHECK(scoreFile(1000, kOne, std::vector<std::size_t>{200, 599, 900}, kStandard).false_positives ==
        3);
}

TEST_CASE("nab: the probationary period is not scored, a missed window costs fn_weight") {
  CHECK(scoreOf({100}) == doctest::Approx(-1.0));  // ignored: as if nothing were detected
  CHECK(scoreOf({}, kLowFn) == doctest::Approx(-2.0));
  // A window wholly inside the probationary period does not count at all.
  std::vector<Window> early{{10, 100}};
  auto f = scoreFile(1000, early, std::vector<std::size_t>{}, kStandard);
  CHECK(f.windows == 0);
  CHECK(f.raw == 0.0);
}

TEST_CASE("nab: a corpus is normalised between the null and the perfect detector") {
  // File A: its window found on its first row, one false positive before it: 1 - 0.11.
  // File B: two windows of 50 rows, both missed: -2. Null = -3, perfect = 3.
  FileScore a = scoreFile(1000, kOne, std::vector<std::size_t>{400, 200}, kStandard);
  std::vector<Window> two{{300, 349}, {700, 749}};
  FileScore b = scoreFile(1000, two, std::vector<std::size_t>{}, kStandard);
  std::vector<FileScore> files{a, b};
  CorpusScore c = scoreCorpus(files);
  CHECK(c.total.raw == doctest::Approx(-1.11));
  CHECK(c.total.null_score == doctest::Approx(-3.0));
  CHECK(c.total.perfect_score == doctest::Approx(3.0));
  CHECK(c.normalised == doctest::Approx(31.5));  // 100 * (-1.11 + 3) / 6
  // The perfect and the null detector themselves.
  FileScore perfect = scoreFile(1000, two, std::vector<std::size_t>{300, 700}, kStandard);
  std::vector<FileScore> only_perfect{perfect};
  CHECK(scoreCorpus(only_perfect).normalised == doctest::Approx(100.0));
  std::vector<FileScore> only_null{b};
  CHECK(scoreCorpus(only_null).normalised == doctest::Approx(0.0));
}
