// NumPy's .npy files, to move arrays between Tapeflow and NumPy (np.save / np.load):
//   tf::io::write_npy("x.npy", x);          // np.load("x.npy") reads it
//   auto y = tf::io::read_npy("y.npy");     // what np.save("y.npy", a) wrote
#pragma once
#include <string>

#include "tapeflow/core/tensor.h"

namespace tapeflow::io {

/// Reads a .npy file (format 1.0/2.0/3.0; little- or big-endian; C or Fortran order, returned in
/// C order) into a CPU:0 tensor. dtypes: float16/32/64, int8/32/64, uint8, bool. A missing file
/// is a NotFoundError; a damaged one (magic, header, a shape the data does not fill) a
/// DataLossError naming the file, raised before the data is allocated; another NumPy dtype an
/// UnimplementedError.
Tensor read_npy(const std::string& path);

/// Writes the tensor as np.save does (format 1.0, little-endian, C order), atomically. bfloat16
/// and string tensors have no .npy dtype: InvalidArgumentError (cast bfloat16 to float32 first).
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace tapeflow::io
