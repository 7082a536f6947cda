// write_parity_fixture: writes the box and mask parity sets (parity_fixture.h) to
// --out/boxes and --out/masks.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "wsol/evaluation/parity_fixture.h"
#include "wsol/util/command_line.h"

ABSL_FLAG(std::string, out, "", "Folder to write boxes/ and masks/ into.");

int main(int argc, char** argv) {
  wsol::ParseCommandLineOrExit(argc, argv, "write_parity_fixture --out=<folder>");
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cerr << "write_parity_fixture: --out is required\n";
    return 2;
  }
  absl::Status status = wsol::evaluation::WriteFixture(
      wsol::evaluation::BoxFixture(), wsol::metadata::LocalizationKind::kBoxes, out + "/boxes");
  if (status.ok()) {
    status = wsol::evaluation::WriteFixture(
        wsol::evaluation::MaskFixture(), wsol::metadata::LocalizationKind::kMasks, out + "/masks");
  }
  if (!status.ok()) {
    std::cerr << "write_parity_fixture: " << status << "\n";
    return 1;
  }
  return 0;
}
