// Seeded structural mutations of a YAML document, for the tests that feed qat's
// readers (architectures, recipes) broken files: a scalar replaced by an odd value
// (0, -1, 2^40, a fraction, infinity, a word, empty, null, a list, a map), a map key
// dropped or an unknown one added, a list element dropped or repeated, a collection
// replaced by a scalar.
#pragma once

#include <cstdint>
#include <string>

namespace qat::testing {

struct YamlMutant {
  std::string text;  ///< the mutated document
  std::string what;  ///< what was changed, e.g. "backbone[3].out = -1"
};

/// `mutations` changes to the document `yaml`, chosen by `seed` (the same seed gives the same mutant).
YamlMutant mutate_yaml(const std::string& yaml, uint32_t seed, int mutations);

}  // namespace qat::testing
