// command_line.h
//
// How every binary of the project reads its command line:
// - `--help` prints the usage and the flags the project defines (not Abseil's own),
//   `--helpfull` every flag; both exit 0;
// - a word that is not a flag is an error that names it and, when `hint` knows, the flag
//   that was meant ("unexpected argument \"table2\" (did you mean --table=table2?)"),
//   exit 2;
// - otherwise the flags are parsed as absl::ParseCommandLine does.
//
//   int main(int argc, char** argv) {
//     wsol::ParseCommandLineOrExit(argc, argv, "Trains ...\n  train --spec=FILE",
//                                  [](absl::string_view word) { return "--spec"; });
#ifndef WSOL_UTIL_COMMAND_LINE_H_
#define WSOL_UTIL_COMMAND_LINE_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace wsol {

// Maps a stray word to the flag it probably meant ("--spec"), or "" when none fits.
using FlagHint = std::function<std::string(absl::string_view word)>;

void ParseCommandLineOrExit(int argc, char** argv, absl::string_view usage,
                            const FlagHint& hint = nullptr);

// The --help text: the usage, then each of the project's flags with its description and
// default (every flag with `full`). For tests and ParseCommandLineOrExit.
std::string FlagsHelp(absl::string_view usage, bool full);

}  // namespace wsol

#endif  // WSOL_UTIL_COMMAND_LINE_H_
