#include "wsol/util/phase_times.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_format.h"

namespace wsol {

void PhaseTimes::Add(const std::string& phase, absl::Duration d) {
  for (auto& [name, total] : totals_) {
    if (name == phase) {
      total += d;
      return;
    }
  }
  totals_.emplace_back(phase, d);
}

std::string PhaseTimes::Table(absl::Duration total) const {
  const double all = absl::ToDoubleSeconds(total);
  std::string out = "| phase | seconds | share |\n|---|---:|---:|\n";
  absl::Duration covered;
  const auto row = [&](const std::string& name, absl::Duration d) {
    const double s = absl::ToDoubleSeconds(d);
    absl::StrAppendFormat(&out, "| %s | %.2f | %.1f%% |\n", name, s, all > 0 ? 100 * s / all : 0);
  };
  for (const auto& [name, d] : totals_) {
    row(name, d);
    covered += d;
  }
  row("other", std::max(total - covered, absl::ZeroDuration()));
  absl::StrAppendFormat(&out, "| **total** | %.2f | 100%% |\n", all);
  return out;
}

double SecondsSinceProcessStart() {
  std::ifstream stat_file("/proc/self/stat");
  std::ifstream uptime_file("/proc/uptime");
  const std::string stat((std::istreambuf_iterator<char>(stat_file)),
                         std::istreambuf_iterator<char>());
  double uptime = 0;
  if (!(uptime_file >> uptime)) return 0;
  // Field 22, starttime in clock ticks since boot, counted after the command name's ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) {
      char* end = nullptr;
      const double ticks = std::strtod(field.c_str(), &end);
      if (end == field.c_str()) return 0;
      return std::max(0.0, uptime - ticks / static_cast<double>(sysconf(_SC_CLK_TCK)));
    }
  }
  return 0;
}

}  // namespace wsol
