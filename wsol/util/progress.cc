#include "wsol/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace wsol {
namespace {

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      unit_(std::move(unit)),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()),
      tty_(isatty(fileno(stderr)) != 0),
      enabled_(enabled) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Advance(int64_t items, const std::string& status) {
  ++done_;
  items_ += items;
  if (!status.empty()) status_ = status;
  const absl::Time now = absl::Now();
  const int decile = static_cast<int>(10 * done_ / total_);
  if (tty_ ? now - last_draw_ > absl::Milliseconds(100)
           : decile != last_decile_ && done_ < total_) {
    last_decile_ = decile;
    last_draw_ = now;
    Draw(false);
  }
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  Draw(true);
}

void ProgressBar::Draw(bool final) {
  if (!enabled_) return;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start_);
  const double rate = elapsed > 0 ? items_ / elapsed : 0.0;
  const double eta = done_ > 0 ? elapsed * (total_ - done_) / done_ : -1.0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * std::min(done_, total_) / total_);
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  const std::string line =
      absl::StrFormat("%s [%s] %d/%d %.1f %s/s %s %s %s", label_, bar, done_, total_, rate, unit_,
                      final ? "took" : "ETA", FormatDuration(final ? elapsed : eta), status_);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace wsol
