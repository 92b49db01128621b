#include "qat/train/loader_factory.h"

#include "qat/core/error.h"

namespace qat::train {

LoaderFactory::LoaderFactory(const DataSection& data, int64_t seed) : data_(data), seed_(seed) {}

data::LoaderOptions LoaderFactory::options(LoaderPurpose purpose, LoaderPhase phase) const {
  QAT_ASSERT(purpose != LoaderPurpose::train || phase != LoaderPhase::check, "training reads in fp32 or qat");
  QAT_ASSERT(purpose != LoaderPurpose::calibration || phase == LoaderPhase::check, "calibration reads in check");
  data::LoaderOptions o;
  o.batch_size = data_.batch_size;
  o.image_size = data_.image_size;
  o.seed = static_cast<uint64_t>(seed_) + (phase == LoaderPhase::qat ? 1 : 0);
  if (phase != LoaderPhase::check) o.prefetch = data_.prefetch;
  switch (purpose) {
    case LoaderPurpose::train:
      o.shuffle = true;
      o.hflip = data_.hflip;
      o.drop_last = true;
      break;
    case LoaderPurpose::eval:
      o.shuffle = false;
      break;
    case LoaderPurpose::calibration:
      o.shuffle = true;
      break;
  }
  return o;
}

namespace {

// A split in file order, `batch_size` images a batch, seed 0 and the default read-ahead.
data::LoaderOptions in_order(int64_t batch_size, int64_t image_size) {
  data::LoaderOptions o;
  o.batch_size = batch_size;
  o.image_size = image_size;
  o.shuffle = false;
  return o;
}

}  // namespace

data::LoaderOptions LoaderFactory::onnxruntime_options(int64_t batch_size) const {
  return in_order(batch_size, data_.image_size);
}

data::LoaderOptions LoaderFactory::sample_options(int64_t images) const {
  data::LoaderOptions o = in_order(images, data_.image_size);
  o.limit = images;
  return o;
}

}  // namespace qat::train
