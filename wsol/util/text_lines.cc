#include "wsol/util/text_lines.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace wsol {

absl::StatusOr<std::vector<NumberedLine>> ReadTextLines(const std::string& path,
                                                        bool strip_spaces) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<NumberedLine> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (strip_spaces) text = absl::StripAsciiWhitespace(text);
    if (!absl::StripAsciiWhitespace(text).empty()) lines.push_back({number, std::string(text)});
  }
  return lines;
}

absl::Status LineError(const std::string& file, int line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

}  // namespace wsol
