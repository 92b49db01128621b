// Backbone/neck blocks as graph fragments, in a registry keyed by the
// architecture YAML's block `type`.
#pragma once

#include <string>

#include "qat/core/registry.h"
#include "qat/model/arch_spec.h"
#include "qat/model/graph_builder.h"

namespace qat::model {

/// Appends block `spec` named `name` reading `input`; returns its output value.
using BlockBuilder = std::string (*)(GraphBuilder& builder, const std::string& name,
                                     const std::string& input, const BlockSpec& spec);

const Registry<BlockBuilder>& block_registry();

/// YOLOv8's C2f: 1x1 conv, split in two, `blocks` bottlenecks on the second half
/// (each output kept), concat everything, 1x1 conv.
std::string c2f_block(GraphBuilder& builder, const std::string& name, const std::string& input,
                      int64_t out, int64_t blocks, bool shortcut);

}  // namespace qat::model
