#include "wsol/util/command_line.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace wsol {
namespace {

// Flags defined by Abseil itself (--flagfile, --fromenv, ...) are shown by --helpfull only.
bool IsAbseilFlag(const absl::CommandLineFlag& flag) {
  return absl::StrContains(flag.Filename(), "absl/");
}

enum class Help { kNone, kProject, kFull };

Help RequestedHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "--helpshort" || arg == "-helpshort" ||
        arg == "-h") {
      return Help::kProject;
    }
    if (arg == "--helpfull" || arg == "-helpfull") return Help::kFull;
  }
  return Help::kNone;
}

}  // namespace

std::string FlagsHelp(absl::string_view usage, bool full) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (full || !IsAbseilFlag(*flag)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out = absl::StrCat(usage, "\n\nFlags:\n");
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string value = flag->DefaultValue();
    absl::StrAppend(&out, "  --", flag->Name(), "  ", flag->Help(),
                    "\n      default: ", value.empty() ? "\"\"" : value, "\n");
  }
  if (!full) absl::StrAppend(&out, "\n--helpfull lists Abseil's own flags too.\n");
  return out;
}

void ParseCommandLineOrExit(int argc, char** argv, absl::string_view usage, const FlagHint& hint) {
  absl::SetProgramUsageMessage(usage);
  if (const Help help = RequestedHelp(argc, argv); help != Help::kNone) {
    std::cout << FlagsHelp(usage, help == Help::kFull) << std::flush;
    std::exit(0);
  }
  const std::vector<char*> words = absl::ParseCommandLine(argc, argv);
  if (words.size() <= 1) return;
  const std::string word = words[1];
  const std::string meant = hint ? hint(word) : "";
  std::cerr << "unexpected argument \"" << word << "\""
            << (meant.empty() ? "" : absl::StrCat(" (did you mean ", meant, "=", word, "?)"))
            << ": this command takes only --flags; see --help\n";
  std::exit(2);
}

}  // namespace wsol
