// What qat::dist::Group holds of c10d, shared by the dist sources (private header).
#pragma once

#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "qat/dist/process_group.h"

namespace qat::dist {

struct Group::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

}  // namespace qat::dist
