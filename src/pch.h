// Precompiled header: the heavy third-party headers every area uses.
// Parsed once per build (see qat_use_torch_pch in cmake/QatHelpers.cmake).
#pragma once

#include <ATen/ATen.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>
