// Precompiled header: the heavy third-party headers every area uses.
// Parsed once per build (see qat_use_torch_pch in cmake/QatHelpers.cmake).
// ATen only: torch/torch.h (the C++ frontend) would triple the header's size,
// and every translation unit pays for loading it.
#pragma once

#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>
