#include "qat/data/scene_composer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/dataset.h"
#include "qat/data/fashion_mnist.h"

#include <spdlog/spdlog.h>

namespace qat::data {

namespace {
constexpr int64_t kItemSide = 28;
constexpr int64_t kTrainItems = 50000;  // Fashion-MNIST train items [0, 50000) make train scenes
constexpr int kPlacementTries = 50;
}  // namespace

void SceneOptions::validate() const {
  QAT_CHECK(images >= 2, "fmnist-scenes: --images must be at least 2, got ", images);
  QAT_CHECK(val_fraction > 0 && val_fraction < 1, "fmnist-scenes: --val-fraction must be in (0, 1), got ", val_fraction);
  QAT_CHECK(min_objects >= 0 && min_objects <= max_objects, "fmnist-scenes: objects per image must satisfy 0 <= min <= max, got ",
            min_objects, "-", max_objects);
  QAT_CHECK(scale_min > 0 && scale_min <= scale_max, "fmnist-scenes: scale range must satisfy 0 < min <= max, got ",
            scale_min, "-", scale_max);
  QAT_CHECK(std::lround(kItemSide * scale_max) <= size, "fmnist-scenes: items up to ", std::lround(kItemSide * scale_max),
            " px do not fit in ", size, " px images");
  QAT_CHECK(class_weights.size() == 10, "fmnist-scenes: need 10 class weights, got ", class_weights.size());
  double total = 0;
  for (size_t c = 0; c < class_weights.size(); ++c) {
    QAT_CHECK(class_weights[c] >= 0, "fmnist-scenes: class ", c, " '", fashion_mnist_classes().at(c),
              "' has a negative weight (", class_weights[c], ")");
    total += class_weights[c];
  }
  QAT_CHECK(total > 0, "fmnist-scenes: every class weight is 0");
  QAT_CHECK(max_overlap_iou >= 0 && max_overlap_iou <= 1, "fmnist-scenes: max overlap IoU must be in [0, 1]");
}

std::string SceneOptions::describe() const {
  std::ostringstream out;
  out << "fmnist-scenes images=" << images << " size=" << size << " val_fraction=" << val_fraction
      << " objects=" << min_objects << "-" << max_objects << " scale=" << scale_min << "-" << scale_max
      << " max_overlap_iou=" << max_overlap_iou << " class_weights=";
  for (size_t c = 0; c < class_weights.size(); ++c) out << (c ? "," : "") << class_weights[c];
  out << " seed=" << seed;
  return out.str();
}

namespace {

// Bilinear resize of a 28x28 item to side x side alpha values (half-pixel centres).
std::vector<float> resize_item(const uint8_t* item, int64_t side) {
  std::vector<float> out(static_cast<size_t>(side * side));
  const float scale = static_cast<float>(kItemSide) / static_cast<float>(side);
  for (int64_t y = 0; y < side; ++y) {
    const float sy = std::clamp((y + 0.5f) * scale - 0.5f, 0.0f, kItemSide - 1.0f);
    const int64_t y0 = static_cast<int64_t>(sy), y1 = std::min<int64_t>(y0 + 1, kItemSide - 1);
    const float fy = sy - y0;
    for (int64_t x = 0; x < side; ++x) {
      const float sx = std::clamp((x + 0.5f) * scale - 0.5f, 0.0f, kItemSide - 1.0f);
      const int64_t x0 = static_cast<int64_t>(sx), x1 = std::min<int64_t>(x0 + 1, kItemSide - 1);
      const float fx = sx - x0;
      const float top = item[y0 * kItemSide + x0] * (1 - fx) + item[y0 * kItemSide + x1] * fx;
      const float bottom = item[y1 * kItemSide + x0] * (1 - fx) + item[y1 * kItemSide + x1] * fx;
      const float a = (top * (1 - fy) + bottom * fy) / 255.0f;
      out[static_cast<size_t>(y * side + x)] = a >= kItemAlphaThreshold ? a : 0.0f;
    }
  }
  return out;
}

float iou(const float* a, const float* b) {
  const float iw = std::max(0.0f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  const float ih = std::max(0.0f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  const float inter = iw * ih;
  const float uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

int64_t draw_class(const std::vector<double>& weights, SceneRng& rng) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.uniform() * total;
  for (size_t c = 0; c < weights.size(); ++c) {
    if (weights[c] <= 0) continue;
    if (u < weights[c]) return static_cast<int64_t>(c);
    u -= weights[c];
  }
  for (size_t c = weights.size(); c-- > 0;) {
    if (weights[c] > 0) return static_cast<int64_t>(c);
  }
  return 0;
}

// Background: a linear gradient between two dark colours plus mild noise, [3, s, s] planar.
std::vector<float> background(int64_t s, SceneRng& rng) {
  std::vector<float> canvas(static_cast<size_t>(3 * s * s));
  float c0[3], c1[3];
  for (int c = 0; c < 3; ++c) {
    c0[c] = static_cast<float>(20 + 100 * rng.uniform());
    c1[c] = static_cast<float>(20 + 100 * rng.uniform());
  }
  const double angle = 2 * M_PI * rng.uniform();
  const float dx = static_cast<float>(std::cos(angle)), dy = static_cast<float>(std::sin(angle));
  for (int64_t y = 0; y < s; ++y) {
    for (int64_t x = 0; x < s; ++x) {
      const float t = std::clamp(0.5f + ((x - s / 2.0f) * dx + (y - s / 2.0f) * dy) / s, 0.0f, 1.0f);
      for (int c = 0; c < 3; ++c) {
        const float noise = static_cast<float>(16 * rng.uniform() - 8);
        canvas[static_cast<size_t>((c * s + y) * s + x)] = c0[c] + (c1[c] - c0[c]) * t + noise;
      }
    }
  }
  return canvas;
}

// Tight box of the visible pixels inside a side x side item patch; x1 < 0 when none is.
struct Extent {
  int64_t x0, y0, x1, y1;
};

Extent visible_extent(const std::vector<float>& alpha, int64_t side) {
  Extent e{side, side, -1, -1};
  for (int64_t y = 0; y < side; ++y) {
    for (int64_t x = 0; x < side; ++x) {
      if (alpha[static_cast<size_t>(y * side + x)] > 0) {
        e.x0 = std::min(e.x0, x);
        e.y0 = std::min(e.y0, y);
        e.x1 = std::max(e.x1, x);
        e.y1 = std::max(e.y1, y);
      }
    }
  }
  return e;
}

// Blends the item in `color` onto the s x s canvas at (px, py); returns its alpha mask [s, s].
at::Tensor paste_item(std::vector<float>& canvas, int64_t s, const std::vector<float>& alpha, int64_t side,
                      int64_t px, int64_t py, const float color[3]) {
  at::Tensor mask = at::zeros({s, s});
  float* m = mask.data_ptr<float>();
  for (int64_t y = 0; y < side; ++y) {
    for (int64_t x = 0; x < side; ++x) {
      const float a = alpha[static_cast<size_t>(y * side + x)];
      if (a <= 0) continue;
      m[(py + y) * s + px + x] = a;
      for (int c = 0; c < 3; ++c) {
        float& v = canvas[static_cast<size_t>((c * s + py + y) * s + px + x)];
        v = v * (1 - a) + color[c] * a;
      }
    }
  }
  return mask;
}

at::Tensor to_image(const std::vector<float>& canvas, int64_t s) {
  at::Tensor image = at::empty({3, s, s}, at::kByte);
  uint8_t* px = image.data_ptr<uint8_t>();
  for (size_t i = 0; i < canvas.size(); ++i) px[i] = static_cast<uint8_t>(std::clamp(std::lround(canvas[i]), 0L, 255L));
  return image;
}

}  // namespace

Scene compose_scene(const SceneOptions& o, const at::Tensor& items,
                    const std::vector<std::vector<int64_t>>& pool_by_class, SceneRng& rng) {
  const int64_t s = o.size;
  std::vector<float> canvas = background(s, rng);
  Scene scene;
  std::vector<float> boxes;
  std::vector<int64_t> labels;
  const int64_t wanted = rng.integer(o.min_objects, o.max_objects);
  const uint8_t* item_data = items.data_ptr<uint8_t>();
  for (int64_t k = 0; k < wanted; ++k) {
    const int64_t cls = draw_class(o.class_weights, rng);
    const auto& pool = pool_by_class[static_cast<size_t>(cls)];
    const int64_t item = pool[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(pool.size()) - 1))];
    const double scale = o.scale_min + (o.scale_max - o.scale_min) * rng.uniform();
    const int64_t side = std::max<int64_t>(4, std::lround(kItemSide * scale));
    const auto alpha = resize_item(item_data + item * kItemSide * kItemSide, side);
    const Extent e = visible_extent(alpha, side);
    if (e.x1 < 0) continue;  // an empty item (never in Fashion-MNIST, but be safe)
    float color[3];
    for (int c = 0; c < 3; ++c) color[c] = static_cast<float>(140 + 115 * rng.uniform());
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      const int64_t px = rng.integer(0, s - side), py = rng.integer(0, s - side);
      const float box[4] = {static_cast<float>(px + e.x0), static_cast<float>(py + e.y0),
                            static_cast<float>(px + e.x1 + 1), static_cast<float>(py + e.y1 + 1)};
      bool overlaps = false;
      for (size_t j = 0; j < labels.size() && !overlaps; ++j) overlaps = iou(box, &boxes[4 * j]) > o.max_overlap_iou;
      if (overlaps) continue;
      scene.alphas.push_back(paste_item(canvas, s, alpha, side, px, py, color));
      boxes.insert(boxes.end(), box, box + 4);
      labels.push_back(cls);
      break;
    }
  }
  scene.image = to_image(canvas, s);
  scene.boxes = at::tensor(boxes).reshape({-1, 4});
  scene.labels = at::tensor(labels, at::kLong);
  return scene;
}

void compose_fmnist_scenes(const SceneOptions& options, const std::string& out_path) {
  options.validate();
  const FashionMnist fm = load_fashion_mnist(options.fmnist_dir, "train");
  const int64_t n_val = std::max<int64_t>(1, std::llround(options.images * options.val_fraction));
  const int64_t n_train = options.images - n_val;
  const uint8_t* labels = fm.labels.data_ptr<uint8_t>();

  DatasetWriter writer(out_path, fashion_mnist_classes(), options.describe(), static_cast<int64_t>(options.seed));
  SceneRng rng(options.seed);
  struct Split {
    const char* name;
    int64_t images, first_item, last_item;
  };
  for (const Split split : {Split{"train", n_train, 0, kTrainItems}, Split{"val", n_val, kTrainItems, fm.labels.size(0)}}) {
    std::vector<std::vector<int64_t>> pool(10);
    for (int64_t i = split.first_item; i < split.last_item; ++i) pool[labels[i]].push_back(i);
    writer.begin_split(split.name, split.images, options.size, options.size);
    std::vector<int64_t> counts(10, 0);
    Progress progress(std::string("compose ") + split.name + " scenes", split.images);
    for (int64_t i = 0; i < split.images; ++i) {
      const Scene scene = compose_scene(options, fm.images, pool, rng);
      writer.write(i, scene.image, scene.boxes, scene.labels);
      progress.update(i + 1);
      for (int64_t k = 0; k < scene.labels.size(0); ++k) ++counts[static_cast<size_t>(scene.labels[k].item<int64_t>())];
    }
    writer.end_split();
    std::string summary;
    for (size_t c = 0; c < counts.size(); ++c) summary += (c ? " " : "") + std::to_string(counts[c]);
    logger().info("{}: {} images, objects per class: {}", split.name, split.images, summary);
  }
  writer.finish();
  logger().info("wrote {}", out_path);
}

}  // namespace qat::data
