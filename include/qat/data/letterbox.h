// Fitting images to the square network input without distorting them.
#pragma once

#include <ATen/ATen.h>

namespace qat::data {

/// The gray that pads letterboxed images (114/255, as YOLO does).
constexpr float kLetterboxFill = 114.0f / 255.0f;

struct Letterbox {
  at::Tensor image;  ///< float32 [3,S,S] in [0,1]
  double scale = 1;  ///< input pixels → output pixels
  int64_t pad_x = 0, pad_y = 0;  ///< left and top padding in output pixels
};

/// Resizes uint8 or float `image` [3,H,W] by min(S/H, S/W) (bilinear) and pads it
/// centred to SxS. uint8 input is scaled to [0,1].
Letterbox letterbox(const at::Tensor& image, int64_t size);

/// Boxes [K,4] xyxy in input pixels → output pixels of `lb`.
at::Tensor letterbox_boxes(const at::Tensor& boxes, const Letterbox& lb);

/// Mirrors image [3,H,W] and its boxes [K,4] left-right.
void hflip(at::Tensor& image, at::Tensor& boxes);

}  // namespace qat::data
