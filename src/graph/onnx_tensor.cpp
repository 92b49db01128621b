#include "qat/graph/onnx_tensor.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "qat/core/error.h"

namespace qat::graph {

int onnx_dtype(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return onnx::TensorProto::FLOAT;
    case at::kDouble: return onnx::TensorProto::DOUBLE;
    case at::kChar: return onnx::TensorProto::INT8;
    case at::kByte: return onnx::TensorProto::UINT8;
    case at::kShort: return onnx::TensorProto::INT16;
    case at::kInt: return onnx::TensorProto::INT32;
    case at::kLong: return onnx::TensorProto::INT64;
    case at::kBool: return onnx::TensorProto::BOOL;
    default: throw Error(std::string("tensor type ") + c10::toString(dtype) + " has no ONNX equivalent here");
  }
}

at::ScalarType aten_dtype(int onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT: return at::kFloat;
    case onnx::TensorProto::DOUBLE: return at::kDouble;
    case onnx::TensorProto::INT8: return at::kChar;
    case onnx::TensorProto::UINT8: return at::kByte;
    case onnx::TensorProto::INT16: return at::kShort;
    case onnx::TensorProto::INT32: return at::kInt;
    case onnx::TensorProto::INT64: return at::kLong;
    case onnx::TensorProto::BOOL: return at::kBool;
    default: {
      const std::string& name = onnx::TensorProto::DataType_Name(onnx_type);
      throw Error("ONNX element type " + (name.empty() ? std::to_string(onnx_type) : name) +
                  " is not supported (FLOAT, DOUBLE, INT8, UINT8, INT16, INT32, INT64, BOOL)");
    }
  }
}

namespace {

// Copies a repeated proto field into `out` element by element (the typed fields
// store narrow types widened: int8/uint8/int16/bool in int32_data).
template <typename Field>
void copy_field(const Field& field, at::Tensor& out) {
  at::Tensor src = at::empty({static_cast<int64_t>(field.size())},
                             std::is_same_v<typename Field::value_type, float>     ? at::kFloat
                             : std::is_same_v<typename Field::value_type, double>  ? at::kDouble
                             : std::is_same_v<typename Field::value_type, int32_t> ? at::kInt
                                                                                   : at::kLong);
  if (field.size() > 0) std::memcpy(src.data_ptr(), field.data(), field.size() * src.element_size());
  out.copy_(src.reshape(out.sizes()));
}

}  // namespace

at::Tensor from_onnx_tensor(const onnx::TensorProto& proto) {
  const std::string what = proto.name().empty() ? "tensor" : "tensor '" + proto.name() + "'";
  QAT_CHECK(proto.data_location() != onnx::TensorProto::EXTERNAL, what, ": external data is not supported");
  at::ScalarType dtype = at::kFloat;
  try {
    dtype = aten_dtype(proto.data_type());
  } catch (Error& e) {
    throw e.add_context("reading " + what);
  }
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  // The declared shape must match the data the file holds before anything is allocated:
  // dims are not trusted (1e12, negative, a product that overflows int64).
  std::string shape;
  for (size_t i = 0; i < dims.size(); ++i) shape += (i ? "," : "") + std::to_string(dims[i]);
  for (int64_t d : dims) QAT_CHECK(d >= 0, what, ": dims [", shape, "] has a negative dimension");
  int64_t numel = 1;
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) {
    numel = 0;
  } else {
    // Bounded so that numel * element size (at most 8) cannot overflow either.
    for (int64_t d : dims) {
      QAT_CHECK(numel <= std::numeric_limits<int64_t>::max() / 8 / d, what, ": dims [", shape,
                "] hold more elements than int64 counts");
      numel *= d;
    }
  }
  const int64_t element_size = static_cast<int64_t>(c10::elementSize(dtype));
  if (proto.has_raw_data()) {
    // Raw data is little-endian, as on every machine qat runs on.
    QAT_CHECK(static_cast<int64_t>(proto.raw_data().size()) == numel * element_size, what, ": raw data has ",
              proto.raw_data().size(), " bytes for ", numel, " elements of ", c10::toString(dtype));
    at::Tensor out = at::empty(dims, dtype);
    if (numel > 0) std::memcpy(out.data_ptr(), proto.raw_data().data(), proto.raw_data().size());
    return out;
  }
  int64_t stored = 0;
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT: stored = proto.float_data_size(); break;
    case onnx::TensorProto::DOUBLE: stored = proto.double_data_size(); break;
    case onnx::TensorProto::INT64: stored = proto.int64_data_size(); break;
    default: stored = proto.int32_data_size(); break;
  }
  QAT_CHECK(stored == numel, what, ": has ", stored, " values for ", numel, " elements");
  at::Tensor out = at::empty(dims, dtype);
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT: copy_field(proto.float_data(), out); break;
    case onnx::TensorProto::DOUBLE: copy_field(proto.double_data(), out); break;
    case onnx::TensorProto::INT64: copy_field(proto.int64_data(), out); break;
    default: copy_field(proto.int32_data(), out); break;
  }
  return out;
}

void to_onnx_tensor(const at::Tensor& tensor, const std::string& name, onnx::TensorProto& proto) {
  const at::Tensor t = tensor.detach().contiguous().cpu();
  proto.set_name(name);
  proto.set_data_type(onnx_dtype(t.scalar_type()));
  for (int64_t d : t.sizes()) proto.add_dims(d);
  // Raw data is little-endian, as on every machine qat runs on.
  proto.set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()));
}

void to_onnx_attribute(const std::string& name, const Attribute& value, onnx::AttributeProto& a) {
  a.set_name(name);
  if (const auto* i = std::get_if<int64_t>(&value)) {
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(*i);
  } else if (const auto* f = std::get_if<double>(&value)) {
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(static_cast<float>(*f));
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    a.set_type(onnx::AttributeProto::STRING);
    a.set_s(*s);
  } else if (const auto* is = std::get_if<std::vector<int64_t>>(&value)) {
    a.set_type(onnx::AttributeProto::INTS);
    for (int64_t x : *is) a.add_ints(x);
  } else if (const auto* fs = std::get_if<std::vector<double>>(&value)) {
    a.set_type(onnx::AttributeProto::FLOATS);
    for (double x : *fs) a.add_floats(static_cast<float>(x));
  } else {
    a.set_type(onnx::AttributeProto::TENSOR);
    to_onnx_tensor(std::get<at::Tensor>(value), "", *a.mutable_t());
  }
}

}  // namespace qat::graph
