// NumPy's .npy format (versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY", a version, the length
// of a header that is a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape':
// (2, 3), }, then the raw elements. The reader validates the header against the file's length
// before anything is allocated for the data. This file depends on core/errors.h only, so the
// fuzz target (tests/fuzz/npy_file_fuzz.cpp) builds it alone; tf::io::read_npy is in npy.h.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::serialization::npy {

struct ArrayInfo {
  std::string descr;  // as written: "<f4", "|u1", ">i8", ...
  char kind = 0;      // 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool
  int item_size = 0;  // bytes per element
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  int64_t num_elements = 1;
  std::size_t data_offset = 0;  // where the elements start in the file
};

/// Parses the header of a .npy file's bytes. A malformed file (magic, version, header dict,
/// shape, data shorter than the shape needs) is a DataLossError naming `name`; a valid dtype
/// Tapeflow has no counterpart for (int16, complex, strings, records) an UnimplementedError.
ArrayInfo parse_header(std::string_view file, const std::string& name);
/// The same from the file's first bytes, `head` (at least header_size() of them), and its size.
ArrayInfo parse_header(std::string_view head, uint64_t file_size, const std::string& name);
/// The bytes before the data (magic, version, length and header), from at least the first 12
/// bytes of a file of `file_size` bytes; checked against the size (DataLossError).
std::size_t header_size(std::string_view head, uint64_t file_size, const std::string& name);

/// The elements in C order and the host's (little-endian) byte order: byte-swapped when the
/// file is big-endian, reordered when it is in Fortran order; bools normalized to 0/1.
std::string decode_data(std::string_view file, const ArrayInfo& info);

/// The bytes before the data of a little-endian, C-order array: version 1.0 (2.0 when the
/// header needs more than 65535 bytes), padded with spaces so the data starts at a multiple of
/// 64 bytes, as NumPy writes it.
std::string make_header(const std::string& descr, const std::vector<int64_t>& shape);

}  // namespace tapeflow::serialization::npy
