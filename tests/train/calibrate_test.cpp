#include "qat/train/calibrate.h"

#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "qat/quant/quantizer_set.h"
#include "qat/quant/quant_spec.h"
#include "qat/train/quantized_student.h"
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

  OneConvStudent() {
    testing::write_tiny_scenes(dir.file("d.h5"));
    train = std::make_unique<data::DetectionDataset>(dir.file("d.h5"), "train");
    const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
    teacher = std::make_unique<model::Detector>(model::build_detector(arch, train->class_names(), 64, 0));
    QuantSection q;
    q.include = {"backbone.0"};
    q.exclude = {};
    q.activations.observer = "minmax";
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

}  // namespace qat::train
