// Folds BatchNormalization into the Conv before it, as deployment does, so
// quantizers see the weights the runtime will use.
#pragma once

#include "qat/graph/graph.h"

namespace qat::graph {

/// Replaces every Conv → BatchNormalization pair (OpTraits::bn_foldable,
/// folds_into_producer) whose Conv output feeds only that BatchNormalization with one
/// Conv (scaled weight, shifted bias), using the BN's running statistics. Readers of
/// the BN output read the Conv output. A weight or bias several Convs share (directly
/// or through Identity nodes) is folded in place when every reader folds into the same
/// values, else each folded Conv gets its own copy ("<conv>.weight", "<conv>.bias").
/// Returns how many were folded. The folded weights stay trainable.
int fold_batch_norm(Graph& graph);

}  // namespace qat::graph
