#include "train/distributed.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/sha256.h"
#include "qat/dist/gradient_sync.h"
#include "qat/dist/process_group.h"

namespace qat::train {

std::unique_ptr<dist::GradientSync> gradient_sync(dist::Group* group,
                                                  const std::vector<std::pair<std::string, at::Tensor>>& params) {
  return group == nullptr ? nullptr : std::make_unique<dist::GradientSync>(*group, params);
}

void backward(dist::GradientSync* sync, const at::Tensor& loss) {
  if (sync == nullptr) {
    loss.backward();
  } else {
    sync->backward(loss);
  }
}

void average_buffers(dist::Group* group, const graph::Graph& graph) {
  if (group == nullptr) return;
  std::vector<at::Tensor> buffers;
  for (const auto& [name, b] : graph.buffers()) {
    if (b.scalar_type() == at::kFloat) buffers.push_back(b);
  }
  if (!buffers.empty()) group->reduce(buffers, dist::Reduce::mean, "averaging BatchNormalization statistics");
}

void average_values(dist::Group* group, const std::vector<double*>& values) {
  if (group == nullptr || values.empty()) return;
  at::Tensor t = at::empty({static_cast<int64_t>(values.size())}, at::kDouble);
  for (size_t i = 0; i < values.size(); ++i) t[static_cast<int64_t>(i)] = *values[i];
  group->reduce({t}, dist::Reduce::mean, "averaging the epoch's losses");
  for (size_t i = 0; i < values.size(); ++i) *values[i] = t[static_cast<int64_t>(i)].item<double>();
}

int64_t sum_over_ranks(dist::Group* group, int64_t value) {
  if (group == nullptr) return value;
  at::Tensor t = at::full({1}, value, at::kLong);
  group->reduce({t}, dist::Reduce::sum, "counting images");
  return t.item<int64_t>();
}

namespace {

// One rank's detections as tensors to gather: per image its dataset index and count,
// per detection its box, score and label (postprocess's dtypes, also when empty).
struct PackedDetections {
  at::Tensor index_count, boxes, scores, labels;
};

PackedDetections pack(const DetectionSet& shard, const std::vector<int64_t>& indices) {
  PackedDetections p;
  const auto n = static_cast<int64_t>(indices.size());
  p.index_count = at::empty({n, 2}, at::kLong);
  auto ic = p.index_count.accessor<int64_t, 2>();
  std::vector<at::Tensor> boxes{at::empty({0, 4}, at::kFloat)}, scores{at::empty({0}, at::kFloat)},
      labels{at::empty({0}, at::kLong)};
  for (int64_t k = 0; k < n; ++k) {
    const metrics::Detections& d = shard.images[static_cast<size_t>(k)];
    ic[k][0] = indices[static_cast<size_t>(k)];
    ic[k][1] = d.boxes.size(0);
    boxes.push_back(d.boxes);
    scores.push_back(d.scores);
    labels.push_back(d.labels);
  }
  p.boxes = at::cat(boxes);
  p.scores = at::cat(scores);
  p.labels = at::cat(labels);
  return p;
}

}  // namespace

DetectionSet gather_detections(dist::Group* group, DetectionSet shard, const std::vector<int64_t>& indices) {
  if (group == nullptr) return shard;
  QAT_ASSERT(indices.size() == shard.images.size(), "detections of ", shard.images.size(), " images with ",
             indices.size(), " indices");
  const PackedDetections mine = pack(shard, indices);
  const char* what = "gathering the val detections";
  const auto index_count = group->all_gather(mine.index_count, what);
  const auto boxes = group->all_gather(mine.boxes, what);
  const auto scores = group->all_gather(mine.scores, what);
  const auto labels = group->all_gather(mine.labels, what);
  std::vector<std::pair<int64_t, metrics::Detections>> by_index;
  for (size_t r = 0; r < index_count.size(); ++r) {
    const auto ic = index_count[r].accessor<int64_t, 2>();
    int64_t first = 0;
    for (int64_t k = 0; k < index_count[r].size(0); ++k) {
      const int64_t n = ic[k][1];
      by_index.push_back({ic[k][0], {boxes[r].narrow(0, first, n), scores[r].narrow(0, first, n),
                                     labels[r].narrow(0, first, n)}});
      first += n;
    }
  }
  std::sort(by_index.begin(), by_index.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  DetectionSet all;
  all.score_floor = shard.score_floor;
  all.images.reserve(by_index.size());
  for (size_t i = 0; i < by_index.size(); ++i) {
    QAT_ASSERT(by_index[i].first == static_cast<int64_t>(i), "the ranks' shards do not hold every val image once (",
               "image ", by_index[i].first, " at position ", i, ")");
    all.images.push_back(std::move(by_index[i].second));
  }
  return all;
}

bool observers_combinable(quant::QuantizerSet& quantizers) {
  for (size_t i = 0; i < quantizers.size(); ++i) {
    if (!quantizers.quantizer(i).observer().shared_stats()) return false;
  }
  return true;
}

void combine_observers(dist::Group* group, quant::QuantizerSet& quantizers) {
  if (group == nullptr) return;
  using Combine = quant::Observer::Combine;
  std::vector<at::Tensor> by[3];
  std::vector<quant::FakeQuantizer*> changed;
  for (size_t i = 0; i < quantizers.size(); ++i) {
    quant::FakeQuantizer& q = quantizers.quantizer(i);
    if (!q.observer().ready()) continue;
    const auto stats = q.observer().shared_stats();
    if (!stats) continue;
    for (const auto& s : *stats) by[static_cast<int>(s.combine)].push_back(s.tensor);
    changed.push_back(&q);
  }
  group->reduce(by[static_cast<int>(Combine::min)], dist::Reduce::min, "combining observer minima");
  group->reduce(by[static_cast<int>(Combine::max)], dist::Reduce::max, "combining observer maxima");
  group->reduce(by[static_cast<int>(Combine::mean)], dist::Reduce::mean, "averaging observer ranges");
  for (auto* q : changed) q->observer_changed();
}

std::string scales_digest(const quant::QuantizerSet& quantizers) {
  std::string bytes;
  for (const auto& [name, qp] : quantizers.qparams()) {
    const at::Tensor s = qp.scale.to(at::kFloat).contiguous(), z = qp.zero_point.to(at::kLong).contiguous();
    bytes += name;
    bytes.push_back('\0');
    bytes.append(static_cast<const char*>(s.data_ptr()), s.nbytes());
    bytes.append(static_cast<const char*>(z.data_ptr()), z.nbytes());
  }
  return sha256_hex(bytes);
}

void check_same_scales(dist::Group* group, const quant::QuantizerSet& quantizers) {
  if (group == nullptr) return;
  const std::string digest = scales_digest(quantizers);
  logger().info("rank {}: quantizer scales sha256 {}", group->rank(), digest);
  at::Tensor lo = at::empty({static_cast<int64_t>(digest.size())}, at::kFloat);
  for (size_t i = 0; i < digest.size(); ++i) lo[static_cast<int64_t>(i)] = static_cast<float>(digest[i]);
  at::Tensor hi = lo.clone();
  group->reduce({lo}, dist::Reduce::min, "comparing quantizer scales");
  group->reduce({hi}, dist::Reduce::max, "comparing quantizer scales");
  QAT_ASSERT(at::equal(lo, hi), "the ranks' quantizer scales differ after calibration (rank ", group->rank(),
             " has sha256 ", digest, ")");
}

RankScratch::RankScratch(const dist::Group* group) {
  if (group == nullptr || group->writes()) return;
  dir_ = (std::filesystem::temp_directory_path() /
          ("qat-rank" + std::to_string(group->rank()) + "-" + std::to_string(getpid())))
             .string();
  std::filesystem::create_directories(dir_);
}

RankScratch::~RankScratch() {
  if (dir_.empty()) return;
  std::error_code ec;  // best effort: a leftover directory only takes space
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace qat::train
