// text_lines.h
//
// Line-numbered text files, so every metadata and annotation error can say
// "<file>:<line>: <what was expected>" with the line number a text editor shows (blank
// lines counted, though not returned).
//
//   WSOL_ASSIGN_OR_RETURN(std::vector<NumberedLine> lines, ReadTextLines(path));
//   for (const NumberedLine& line : lines) {
//     if (bad) return LineError(path, line.number, "expected id,label");
//   }
#ifndef WSOL_UTIL_TEXT_LINES_H_
#define WSOL_UTIL_TEXT_LINES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsol {

// Line of a text file with its 1-based number in the file.
struct NumberedLine {
  int number = 0;
  std::string text;
};

// ReadTextLines returns the non-blank lines of `path` with their numbers, without the line
// ending ("\r\n" accepted). With `strip_spaces`, leading and trailing spaces are removed
// too; without, only the line ending is (wsolevaluation's metadata keeps spaces in ids).
// NotFound names the path.
absl::StatusOr<std::vector<NumberedLine>> ReadTextLines(const std::string& path,
                                                        bool strip_spaces = true);

// LineError is InvalidArgument "<file>:<line>: <what>".
absl::Status LineError(const std::string& file, int line, const std::string& what);

}  // namespace wsol

#endif  // WSOL_UTIL_TEXT_LINES_H_
