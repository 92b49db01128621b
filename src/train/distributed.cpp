#include "train/distributed.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

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

// Per-image tensors of every rank, by dataset index: `fields[f][k]` holds rows of image
// `indices[k]` (an image's fields have as many rows), `empty[f]` is field f without rows
// (its dtype and trailing sizes, for a rank without images). Every rank sends its
// indices and row counts, then each field's rows concatenated (the bytes as computed),
// and returns per image 0..N-1 (the ranks together hold each once) its fields' rows.
std::vector<std::vector<at::Tensor>> gather_rows(dist::Group& group, const std::vector<int64_t>& indices,
                                                 const std::vector<std::vector<at::Tensor>>& fields,
                                                 const std::vector<at::Tensor>& empty, const char* what) {
  const auto n = static_cast<int64_t>(indices.size());
  at::Tensor mine = at::empty({n, 2}, at::kLong);
  auto ic = mine.accessor<int64_t, 2>();
  for (int64_t k = 0; k < n; ++k) {
    ic[k][0] = indices[static_cast<size_t>(k)];
    ic[k][1] = fields[0][static_cast<size_t>(k)].size(0);
  }
  const auto index_count = group.all_gather(mine, what);
  std::vector<std::vector<at::Tensor>> by_field;  // [field][rank]
  for (size_t f = 0; f < fields.size(); ++f) {
    std::vector<at::Tensor> rows{empty[f]};
    rows.insert(rows.end(), fields[f].begin(), fields[f].end());
    by_field.push_back(group.all_gather(at::cat(rows), what));
  }
  std::vector<std::pair<int64_t, std::vector<at::Tensor>>> by_index;
  for (size_t r = 0; r < index_count.size(); ++r) {
    const auto rc = index_count[r].accessor<int64_t, 2>();
    int64_t first = 0;
    for (int64_t k = 0; k < index_count[r].size(0); ++k) {
      std::vector<at::Tensor> image;
      for (const auto& field : by_field) image.push_back(field[r].narrow(0, first, rc[k][1]));
      by_index.emplace_back(rc[k][0], std::move(image));
      first += rc[k][1];
    }
  }
  std::sort(by_index.begin(), by_index.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::vector<at::Tensor>> images;
  images.reserve(by_index.size());
  for (size_t i = 0; i < by_index.size(); ++i) {
    QAT_ASSERT(by_index[i].first == static_cast<int64_t>(i), "the ranks' shards do not hold every val image once (",
               "image ", by_index[i].first, " at position ", i, ")");
    images.push_back(std::move(by_index[i].second));
  }
  return images;
}

}  // namespace

DetectionSet gather_detections(dist::Group* group, DetectionSet shard, const std::vector<int64_t>& indices,
                               Truth truth) {
  if (group == nullptr) return shard;
  QAT_ASSERT(indices.size() == shard.images.size(), "detections of ", shard.images.size(), " images with ",
             indices.size(), " indices");
  std::vector<std::vector<at::Tensor>> detections(3);
  for (const metrics::Detections& d : shard.images) {
    detections[0].push_back(d.boxes);
    detections[1].push_back(d.scores);
    detections[2].push_back(d.labels);
  }
  DetectionSet all;
  all.score_floor = shard.score_floor;
  const auto images = gather_rows(*group, indices, detections,
                                  {at::empty({0, 4}, at::kFloat), at::empty({0}, at::kFloat),
                                   at::empty({0}, at::kLong)},
                                  "gathering the val detections");
  for (const auto& d : images) all.images.push_back({d[0], d[1], d[2]});
  if (truth == Truth::collect) {
    QAT_ASSERT(shard.truth.boxes.size() == indices.size(), "ground truth of ", shard.truth.boxes.size(),
               " images with ", indices.size(), " indices");
    const auto truths = gather_rows(*group, indices, {shard.truth.boxes, shard.truth.labels},
                                    {at::empty({0, 4}, at::kFloat), at::empty({0}, at::kLong)},
                                    "gathering the val ground truth");
    for (const auto& t : truths) {
      all.truth.boxes.push_back(t[0]);
      all.truth.labels.push_back(t[1]);
    }
  }
  return all;
}

bool observers_combinable(quant::QuantizerSet& quantizers) {
  for (size_t i = 0; i < quantizers.size(); ++i) {
    if (!quantizers.quantizer(i).observer().shared_stats()) return false;
  }
  return true;
}

bool observers_need_range_pass(quant::QuantizerSet& quantizers) {
  for (size_t i = 0; i < quantizers.size(); ++i) {
    if (quantizers.quantizer(i).observer().needs_range_pass()) return true;
  }
  return false;
}

bool observers_combine_every_step(quant::QuantizerSet& quantizers) {
  return !observers_need_range_pass(quantizers) && observers_combinable(quantizers);
}

void combine_observers(dist::Group* group, quant::QuantizerSet& quantizers) {
  if (group == nullptr) return;
  using Combine = quant::Observer::Combine;
  // One reduction per combine and dtype: a bucket of one dtype reduces in that dtype.
  std::map<std::pair<Combine, at::ScalarType>, std::vector<at::Tensor>> by;
  std::vector<quant::FakeQuantizer*> changed;
  for (size_t i = 0; i < quantizers.size(); ++i) {
    quant::FakeQuantizer& q = quantizers.quantizer(i);
    if (!q.observer().ready()) continue;
    const auto stats = q.observer().shared_stats();
    if (!stats) continue;
    for (const auto& s : *stats) by[{s.combine, s.tensor.scalar_type()}].push_back(s.tensor);
    changed.push_back(&q);
  }
  for (const auto& [key, tensors] : by) {
    switch (key.first) {
      case Combine::min: group->reduce(tensors, dist::Reduce::min, "combining observer minima"); break;
      case Combine::max: group->reduce(tensors, dist::Reduce::max, "combining observer maxima"); break;
      case Combine::mean: group->reduce(tensors, dist::Reduce::mean, "averaging observer ranges"); break;
      case Combine::sum: group->reduce(tensors, dist::Reduce::sum, "summing observer histograms"); break;
    }
  }
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
