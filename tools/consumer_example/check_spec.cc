// Validates an experiment spec with wsol_repro's loader: check_spec FILE.pbtxt
#include <iostream>

#include "wsol/spec/spec_loader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: check_spec FILE.pbtxt\n";
    return 2;
  }
  absl::StatusOr<wsol::proto::Experiment> spec = wsol::spec::LoadExperimentFile(argv[1]);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 1;
  }
  std::cout << argv[1] << ": valid spec \"" << spec->name() << "\" (fingerprint "
            << wsol::spec::SpecFingerprint(*spec) << ")\n";
  return 0;
}
