// The field tables of the recipe and its sections (src/recipe/sections.cpp,
// src/recipe/recipe.cpp): the one place a recipe key is declared. A new key is one row
// in its section's table plus a line in docs/recipes.md (tests/recipe/recipe_docs_test.cpp
// fails until it is documented).
#pragma once

#include <vector>

#include "qat/recipe/field_table.h"
#include "qat/recipe/recipe.h"

namespace qat {

const FieldTable<DataSection>& data_fields();
const FieldTable<OnnxHeadSection>& onnx_head_fields();
const FieldTable<ModelSection>& model_fields();
const FieldTable<Fp32Section>& fp32_fields();
const FieldTable<EvalSection>& eval_fields();
/// `quant.weights` and `quant.activations` (their defaults differ: QuantSection's).
const FieldTable<QuantTensorSection>& quant_tensor_fields();
const FieldTable<QuantSection>& quant_fields();
const FieldTable<ExportSection>& export_fields();
const FieldTable<QatSection>& qat_fields();
const FieldTable<DistributedSection>& distributed_fields();
/// The whole recipe: name, seed, output_dir and the sections.
const FieldTable<Recipe>& recipe_fields();

/// Every recipe key with its full path, in `qat recipe show` order.
std::vector<FieldDoc> recipe_field_docs();

}  // namespace qat
