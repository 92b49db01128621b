#include "qat/train/calibrate.h"

#include <map>
#include <string>

#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "qat/quant/histogram_observer.h"
#include "qat/quant/quantizer_set.h"
#include "qat/quant/quant_spec.h"
#include "qat/train/quantized_student.h"
#include "dist/two_ranks.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// The nano detector at 64 px with one quantized conv (backbone.0): its weight
// (per channel) and its input, the images (per tensor, min/max so that the range
// is a hand-checkable max over pixels).
struct OneConvStudent {
  testing::TempDir dir;
  std::unique_ptr<data::DetectionDataset> train;
  std::unique_ptr<model::Detector> teacher;
  std::unique_ptr<QuantizedStudent> student;

  explicit OneConvStudent(const std::string& observer = "minmax") {
    testing::write_tiny_scenes(dir.file("d.h5"));
    train = std::make_unique<data::DetectionDataset>(dir.file("d.h5"), "train");
    const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
    teacher = std::make_unique<model::Detector>(model::build_detector(arch, train->class_names(), 64, 0));
    QuantSection q;
    q.include = {"backbone.0"};
    q.exclude = {};
    q.activations.observer = observer;
    student = std::make_unique<QuantizedStudent>(*teacher, q);
  }
  data::LoaderOptions loader_options() const {
    data::LoaderOptions o;
    o.batch_size = 6;
    o.image_size = 64;
    o.shuffle = false;
    return o;
  }
  // The recipe's default draw (random: the loader's order, here file order) of `images`.
  CalibrationSet calibration_set(const data::DataLoader& loader, int images) const {
    QuantSection q;
    q.calibration_images = images;
    return select_calibration(*train, q, loader, loader_options().batch_size);
  }
  size_t point(const std::string& value) const {
    const auto& points = student->quantizers().plan().points;
    for (size_t i = 0; i < points.size(); ++i) {
      if (points[i].value == value) return i;
    }
    throw std::runtime_error("no point " + value);
  }
};

}  // namespace

TEST(Calibrate, ObservesWholeBatchesThenFreezesActivationsAndKeepsWeightsObserving) {
  OneConvStudent s;
  auto& quantizers = s.student->quantizers();
  ASSERT_EQ(quantizers.size(), 2u);
  data::DataLoader loader(*s.train, s.loader_options());
  // 8 images asked for, batches of 6: two whole batches are seen.
  EXPECT_EQ(calibrate(quantizers, s.student->executor(), "images", loader, s.calibration_set(loader, 8)), 12);

  // The input's range is the min/max over exactly those 12 images.
  data::DataLoader same(*s.train, s.loader_options());
  same.begin_epoch(0);
  const at::Tensor seen = at::cat({same.next()->images, same.next()->images});
  const auto& images_quantizer = quantizers.quantizer(s.point("images"));
  const auto expected = quant::qparams_from_range(seen.min().reshape({1}), seen.max().reshape({1}),
                                                  quantizers.plan().points[s.point("images")].spec);
  const auto images_qparams = quantizers.qparams().at("images");
  EXPECT_TRUE(at::equal(images_qparams.scale, expected.scale)) << images_qparams.scale << expected.scale;
  EXPECT_TRUE(at::equal(images_qparams.zero_point, expected.zero_point));
  EXPECT_FALSE(images_quantizer.observing());

  // Activations are frozen: brighter images leave the range alone.
  s.student->executor().run({{"images", seen * 4}});
  EXPECT_TRUE(at::equal(quantizers.qparams().at("images").scale, expected.scale));

  // Weights still observe: doubling the weight doubles its per-channel scales.
  const std::string weight = "backbone.0.conv.weight";
  const at::Tensor before = quantizers.qparams().at(weight).scale.clone();
  {
    at::NoGradGuard no_grad;
    s.student->detector().graph.initializer(weight).mul_(2);
  }
  s.student->executor().run({{"images", seen}});
  EXPECT_TRUE(at::allclose(quantizers.qparams().at(weight).scale, before * 2, 0, 0)) << before;
}

TEST(Calibrate, AskingForMoreImagesThanTheSplitSeesTheWholeSplit) {
  OneConvStudent s;
  data::DataLoader loader(*s.train, s.loader_options());
  EXPECT_EQ(calibrate(s.student->quantizers(), s.student->executor(), "images", loader, s.calibration_set(loader, 1000)),
            static_cast<int64_t>(s.train->size()));
}

// Histogram observers on two ranks: each rank runs its half of the set twice (ranges,
// combined into one lattice, then counts, summed), so both hold the scales of one process
// that counted the whole set on that lattice, to the last bit.
TEST(Calibrate, TwoRanksOfPercentileObserversHoldTheScalesOfTheWholeSet) {
  using QParamsMap = std::map<std::string, quant::QParams>;
  auto expect_same = [](const QParamsMap& a, const QParamsMap& b) {
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, qp] : a) {
      EXPECT_TRUE(at::equal(qp.scale, b.at(name).scale)) << name << qp.scale << b.at(name).scale;
      EXPECT_TRUE(at::equal(qp.zero_point, b.at(name).zero_point)) << name;
    }
  };
  OneConvStudent one("percentile"), rank0("percentile"), rank1("percentile");
  OneConvStudent* ranks[2] = {&rank0, &rank1};
  data::DataLoader loader(*one.train, one.loader_options());
  const CalibrationSet set = one.calibration_set(loader, 12);
  ASSERT_EQ(set.images.size(), 12u);

  // One process, the same two passes by hand: ranges over the whole set, then counts.
  auto& quantizers = one.student->quantizers();
  for (size_t i = 0; i < quantizers.size(); ++i) quantizers.quantizer(i).observer().begin_range_pass();
  calibrate(quantizers, one.student->executor(), "images", loader, set);
  for (size_t i = 0; i < quantizers.size(); ++i) quantizers.quantizer(i).observer().end_range_pass();
  calibrate(quantizers, one.student->executor(), "images", loader, set);
  const QParamsMap expected = quantizers.qparams();

  QParamsMap by_rank[2];
  dist::on_two_ranks([&](dist::Group& group) {
    OneConvStudent& s = *ranks[group.rank()];
    data::DataLoader rank_loader(*s.train, s.loader_options());
    CalibrationSet share = set;
    share.images.clear();
    for (size_t i = static_cast<size_t>(group.rank()); i < set.images.size(); i += 2) share.images.push_back(set.images[i]);
    calibrate(s.student->quantizers(), s.student->executor(), "images", rank_loader, share, &group);
    by_rank[group.rank()] = s.student->quantizers().qparams();
  });
  expect_same(by_rank[0], expected);
  expect_same(by_rank[1], expected);
  // Summed, not each rank's own half: rank 0's six images alone count differently.
  const auto& h = dynamic_cast<const quant::HistogramObserver&>(rank0.student->quantizers().quantizer(one.point("images")).observer());
  EXPECT_EQ(h.histogram().total(), 12.0 * 3 * 64 * 64);
}

}  // namespace qat::train
