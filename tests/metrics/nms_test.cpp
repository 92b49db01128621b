#include "qat/metrics/nms.h"

#include <algorithm>
#include <numeric>

#include "qat/metrics/box_ops.h"
#include "qat/metrics/detections.h"
#include "support/test_support.h"

namespace qat::metrics {
namespace {

std::vector<int64_t> to_vec(const at::Tensor& t) {
  const auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<float> to_fvec(const at::Tensor& t) {
  const auto c = t.to(at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The textbook formulation: take the best remaining box, drop everything that overlaps it.
std::vector<int64_t> naive_nms(const at::Tensor& boxes, const at::Tensor& scores, double thr) {
  std::vector<int64_t> remaining(static_cast<size_t>(boxes.size(0)));
  std::iota(remaining.begin(), remaining.end(), int64_t{0});
  const auto s = to_fvec(scores);
  std::stable_sort(remaining.begin(), remaining.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
  const auto iou = box_iou(boxes.to(at::kDouble), boxes.to(at::kDouble));
  std::vector<int64_t> kept;
  while (!remaining.empty()) {
    const int64_t best = remaining.front();
    kept.push_back(best);
    std::vector<int64_t> next;
    for (size_t i = 1; i < remaining.size(); ++i) {
      if (iou[best][remaining[i]].item<double>() <= thr) next.push_back(remaining[i]);
    }
    remaining = next;
  }
  return kept;
}

// One image, 4 anchors, 2 classes. Anchor 1 overlaps anchor 0 with IoU 81/119 ≈ 0.68.
at::Tensor example_boxes() {
  return at::tensor({0.f, 0.f, 10.f, 10.f, 1.f, 1.f, 11.f, 11.f, 20.f, 20.f, 30.f, 30.f, 0.f, 0.f, 10.f, 10.f})
      .reshape({1, 4, 4});
}
at::Tensor example_scores() {
  return at::tensor({0.9f, 0.0f, 0.8f, 0.7f, 0.3f, 0.05f, 0.0f, 0.0f}).reshape({1, 4, 2});
}

}  // namespace

TEST(Nms, SuppressesOverlapsAboveThresholdOnly) {
  const auto b = example_boxes()[0];
  const auto s = at::tensor({0.9f, 0.8f, 0.3f, 0.1f});
  // Box 3 equals box 0 (IoU 1), box 1 has IoU 0.68 with box 0.
  EXPECT_EQ(to_vec(nms(b, s, 0.5)), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(to_vec(nms(b, s, 0.7)), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(to_vec(nms(b, s, 0.7, 2)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(to_vec(nms(b, s, 0.7, 4)), (std::vector<int64_t>{0, 1, 2}));
  ASSERT_THROWS_WITH(nms(b, s, 0.7, 0), Error, "nms: max_keep must be positive, got 0");
}

TEST(Nms, MatchesNaiveReferenceOnRandomBoxes) {
  at::manual_seed(3);
  const auto xy = at::rand({300, 2}) * 100;
  const auto wh = at::rand({300, 2}) * 30 + 1;
  const auto b = at::cat({xy, xy + wh}, 1);
  // Quantised scores create many ties, which both must break by index.
  const auto s = at::floor(at::rand({300}) * 20) / 20;
  for (const double thr : {0.3, 0.5, 0.7}) {
    EXPECT_EQ(to_vec(nms(b, s, thr)), naive_nms(b, s, thr)) << "threshold " << thr;
  }
}

TEST(Nms, BatchedKeepsOtherLabels) {
  const auto b = example_boxes()[0];
  const auto s = at::tensor({0.9f, 0.8f, 0.3f, 0.1f});
  const auto labels = at::tensor(std::vector<int64_t>{0, 1, 0, 0});
  EXPECT_EQ(to_vec(batched_nms(b, s, labels, 0.5)), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(batched_nms(at::zeros({0, 4}), at::zeros({0}), at::zeros({0}, at::kLong), 0.5).numel(), 0);
}

TEST(Postprocess, FiltersSuppressesPerClassAndSorts) {
  const auto dets = postprocess(example_boxes(), example_scores(), 0.25, 0.5, 100);
  ASSERT_EQ(dets.size(), 1u);
  // Anchor 1 class 0 (0.8) is suppressed by anchor 0; its class 1 (0.7) survives:
  // multi-label candidates, per-class NMS. Anchor 2 class 1 (0.05) is below threshold.
  EXPECT_EQ(to_fvec(dets[0].scores), (std::vector<float>{0.9f, 0.7f, 0.3f}));
  EXPECT_EQ(to_vec(dets[0].labels), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(dets[0].labels.scalar_type(), at::kLong);
  EXPECT_EQ(to_fvec(dets[0].boxes), (std::vector<float>{0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30}));
}

TEST(Postprocess, ThresholdIsInclusiveAndEmptyImagesWork) {
  auto scores = at::cat({example_scores(), at::zeros({1, 4, 2})}, 0);
  const auto boxes = at::cat({example_boxes(), example_boxes()}, 0);
  scores[0][2][0] = 0.5f;
  const auto dets = postprocess(boxes, scores, 0.5, 0.5, 100);
  ASSERT_EQ(dets.size(), 2u);
  EXPECT_EQ(to_fvec(dets[0].scores), (std::vector<float>{0.9f, 0.7f, 0.5f}));
  EXPECT_EQ(dets[1].boxes.sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(dets[1].scores.numel(), 0);
  EXPECT_EQ(dets[1].labels.numel(), 0);
}

TEST(Postprocess, MaxDetectionsKeepsTheBest) {
  const auto dets = postprocess(example_boxes(), example_scores(), 0.25, 0.5, 2);
  EXPECT_EQ(to_fvec(dets[0].scores), (std::vector<float>{0.9f, 0.7f}));
  EXPECT_EQ(to_vec(dets[0].labels), (std::vector<int64_t>{0, 1}));
}

TEST(Postprocess, EqualScoresKeepTheLowerAnchor) {
  auto scores = at::zeros({1, 4, 2});
  scores[0][0][0] = 0.6f;
  scores[0][1][0] = 0.6f;
  const auto dets = postprocess(example_boxes(), scores, 0.5, 0.5, 100);
  EXPECT_EQ(to_fvec(dets[0].boxes), (std::vector<float>{0, 0, 10, 10}));
  // Swapping the two anchors swaps the survivor: the index decides, not the geometry.
  const auto swapped = example_boxes().index_select(1, at::tensor(std::vector<int64_t>{1, 0, 2, 3}));
  const auto again = postprocess(swapped, scores, 0.5, 0.5, 100);
  EXPECT_EQ(to_fvec(again[0].boxes), (std::vector<float>{1, 1, 11, 11}));
}

TEST(Postprocess, RejectsBadInput) {
  ASSERT_THROWS_WITH(postprocess(at::zeros({1, 4, 4}), at::zeros({1, 3, 2}), 0.5, 0.5, 10), ShapeError,
                     "postprocess: scores must be [1,4,C], got [1,3,2]");
  ASSERT_THROWS_WITH(postprocess(at::zeros({1, 4}), at::zeros({1, 4, 2}), 0.5, 0.5, 10), ShapeError,
                     "postprocess: boxes must be [B,A,4], got [1,4]");
  ASSERT_THROWS_WITH(postprocess(at::zeros({1, 4, 4}), at::zeros({1, 4, 2}), 0.5, 0.5, 0), Error,
                     "postprocess: max_detections must be positive, got 0");
}

}  // namespace qat::metrics
