#include "wsol/util/text_lines.h"

#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "wsol/util/file_io.h"

namespace wsol {

absl::StatusOr<std::vector<NumberedLine>> ReadTextLines(const std::string& path,
                                                        bool strip_spaces) {
  absl::StatusOr<std::string> bytes = ReadRegularFile(path);
  if (!bytes.ok()) return bytes.status();
  absl::string_view content = *bytes;
  // A UTF-8 byte-order mark (what some editors write first) is not part of the first line.
  absl::ConsumePrefix(&content, "\xEF\xBB\xBF");
  std::istringstream in{std::string(content)};
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
