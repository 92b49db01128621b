#include "qat/data/letterbox.h"

#include <cmath>

namespace qat::data {

Letterbox letterbox(const at::Tensor& image, int64_t size) {
  at::Tensor x = image.scalar_type() == at::kByte ? image.to(at::kFloat).div_(255.0f) : image.to(at::kFloat);
  const int64_t h = x.size(1), w = x.size(2);
  Letterbox out;
  out.scale = std::min(static_cast<double>(size) / h, static_cast<double>(size) / w);
  const int64_t nh = std::lround(h * out.scale), nw = std::lround(w * out.scale);
  if (nh != h || nw != w) {
    x = at::upsample_bilinear2d(x.unsqueeze(0), {nh, nw}, /*align_corners=*/false)[0];
  }
  out.pad_x = (size - nw) / 2;
  out.pad_y = (size - nh) / 2;
  if (nh == size && nw == size) {
    out.image = x.contiguous();
    return out;
  }
  out.image = at::full({3, size, size}, kLetterboxFill);
  out.image.slice(1, out.pad_y, out.pad_y + nh).slice(2, out.pad_x, out.pad_x + nw).copy_(x);
  return out;
}

at::Tensor letterbox_boxes(const at::Tensor& boxes, const Letterbox& lb) {
  at::Tensor b = boxes.to(at::kFloat) * static_cast<float>(lb.scale);
  const at::Tensor shift = at::tensor({static_cast<float>(lb.pad_x), static_cast<float>(lb.pad_y),
                                       static_cast<float>(lb.pad_x), static_cast<float>(lb.pad_y)});
  return b + shift;
}

void hflip(at::Tensor& image, at::Tensor& boxes) {
  const float w = static_cast<float>(image.size(2));
  image = image.flip({2});
  if (boxes.numel() == 0) return;
  boxes = at::stack({w - boxes.select(1, 2), boxes.select(1, 1), w - boxes.select(1, 0), boxes.select(1, 3)}, 1);
}

}  // namespace qat::data
