// The .npy interop test's Tapeflow side (run_npy_interop.sh): reads every .npy file NumPy wrote
// into IN_DIR and writes it back into OUT_DIR under the same name, then writes
// tapeflow_<dtype>.npy files made with Tapeflow ops for NumPy to check.
//   tapeflow_npy_roundtrip IN_DIR OUT_DIR
#include <filesystem>
#include <iostream>

#include "tapeflow/tapeflow.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tapeflow_npy_roundtrip IN_DIR OUT_DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    if (entry.path().extension() != ".npy") continue;
    tf::io::write_npy((fs::path(argv[2]) / entry.path().filename()).string(), tf::io::read_npy(entry.path().string()));
    ++files;
  }
  // values(n) = arange(n) * 0.5 - 3 in each dtype, shape (2, 3, 4); bool: arange(n) % 3 == 0.
  auto base = tf::reshape(tf::cast(tf::range(0, 24), tf::float64) * 0.5 - 3.0, {2, 3, 4});
  const std::pair<const char*, tf::DType> dtypes[] = {{"float16", tf::float16}, {"float32", tf::float32},
                                                      {"float64", tf::float64}, {"int8", tf::int8},
                                                      {"int32", tf::int32},     {"int64", tf::int64}};
  for (const auto& [name, dt] : dtypes)
    tf::io::write_npy((fs::path(argv[2]) / (std::string("tapeflow_") + name + ".npy")).string(), tf::cast(base, dt));
  tf::io::write_npy((fs::path(argv[2]) / "tapeflow_bool.npy").string(),
                    tf::reshape(tf::equal(tf::range(0, 24) % 3, tf::constant(0)), {2, 3, 4}));
  tf::io::write_npy((fs::path(argv[2]) / "tapeflow_uint8.npy").string(),
                    tf::cast(tf::reshape(tf::range(0, 24) * 10, {2, 3, 4}), tf::uint8));
  std::cout << "npy_roundtrip: " << files << " NumPy files read and written back\n";
  return files > 0 ? 0 : 1;
}
