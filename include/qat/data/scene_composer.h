// Detection scenes composed from Fashion-MNIST items: the embedded default data.
// Items are scaled, tinted and alpha-blended onto textured backgrounds; each box
// is the tight bounding box of its item's visible pixels. Deterministic by seed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace qat::data {

struct SceneOptions {
  int64_t images = 2000;       ///< train + val
  int64_t size = 160;          ///< square image side
  double val_fraction = 0.2;
  int64_t min_objects = 1;
  int64_t max_objects = 4;
  double scale_min = 1.0;      ///< item side = 28 * scale
  double scale_max = 2.5;
  double max_overlap_iou = 0.1;
  std::vector<double> class_weights = std::vector<double>(10, 1.0);  ///< prevalence, by label
  uint64_t seed = 0;
  std::string fmnist_dir = "/usr/share/datasets/fashion-mnist";

  /// Throws qat::Error for inconsistent options.
  void validate() const;
  /// e.g. "fmnist-scenes images=2000 size=160 ..." (stored as the dataset's source).
  std::string describe() const;
};

/// Pixels below this alpha are transparent (not part of the item or its box).
constexpr float kItemAlphaThreshold = 0.1f;

struct Scene {
  at::Tensor image;                ///< uint8 [3,S,S]
  at::Tensor boxes;                ///< float32 [K,4] xyxy pixels
  at::Tensor labels;               ///< int64 [K]
  std::vector<at::Tensor> alphas;  ///< float32 [S,S] per object (for tests)
};

/// A small deterministic generator (std distributions differ between standard libraries).
class SceneRng {
 public:
  explicit SceneRng(uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  int64_t integer(int64_t lo, int64_t hi) {  ///< uniform in [lo, hi]
    return lo + static_cast<int64_t>(uniform() * static_cast<double>(hi - lo + 1));
  }

 private:
  std::mt19937_64 engine_;
};

/// One scene from `items` (uint8 [N,28,28]) with labels `item_labels`, using
/// `pool_by_class[c]` as the item indices of class c.
Scene compose_scene(const SceneOptions& options, const at::Tensor& items,
                    const std::vector<std::vector<int64_t>>& pool_by_class, SceneRng& rng);

/// Composes train and val splits (items 0-49999 and 50000-59999 of Fashion-MNIST's
/// train set) and writes the dataset to `out_path` atomically.
void compose_fmnist_scenes(const SceneOptions& options, const std::string& out_path);

}  // namespace qat::data
