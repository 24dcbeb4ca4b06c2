#include "tapeflow/serialization/h5_weights.h"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/file_io.h"

namespace tapeflow::serialization {

namespace {

// libhdf5 prints its error stack to stderr by default; we turn failures into typed errors
// carrying the innermost HDF5 message instead.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string hdf5_reason() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  return out.empty() ? "unknown HDF5 error" : out;
}

// An HDF5 identifier closed on scope exit.
class Id {
 public:
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The HDF5 type of a dtype as h5py stores it (little-endian; float16 as IEEE half, bool as
// h5py's enum {FALSE, TRUE} over int8). Used as file type and as memory type (x86/ARM hosts
// are little-endian; HDF5 converts a big-endian file on read).
hid_t h5_type(DType dt) {
  switch (dt) {
    case DType::kFloat32: return H5Tcopy(H5T_IEEE_F32LE);
    case DType::kFloat64: return H5Tcopy(H5T_IEEE_F64LE);
    case DType::kInt8: return H5Tcopy(H5T_STD_I8LE);
    case DType::kInt32: return H5Tcopy(H5T_STD_I32LE);
    case DType::kInt64: return H5Tcopy(H5T_STD_I64LE);
    case DType::kUInt8: return H5Tcopy(H5T_STD_U8LE);
    case DType::kFloat16: {
      hid_t t = H5Tcopy(H5T_IEEE_F32LE);
      H5Tset_fields(t, 15, 10, 5, 0, 10);
      H5Tset_size(t, 2);
      H5Tset_ebias(t, 15);
      H5Tpack(t);
      return t;
    }
    case DType::kBool: {
      hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
      int8_t f = 0, tr = 1;
      H5Tenum_insert(t, "FALSE", &f);
      H5Tenum_insert(t, "TRUE", &tr);
      return t;
    }
    case DType::kBFloat16:
    case DType::kString: return -1;
  }
  return -1;
}

// Whether a file type holds values of `dt` (class, size and sign; byte order HDF5 converts).
bool type_matches(hid_t t, DType dt) {
  const H5T_class_t c = H5Tget_class(t);
  const std::size_t size = H5Tget_size(t);
  switch (dt) {
    case DType::kFloat16:
    case DType::kFloat32:
    case DType::kFloat64: return c == H5T_FLOAT && size == dtype_size(dt);
    case DType::kInt8:
    case DType::kInt32:
    case DType::kInt64: return c == H5T_INTEGER && size == dtype_size(dt) && H5Tget_sign(t) == H5T_SGN_2;
    case DType::kUInt8: return c == H5T_INTEGER && size == 1 && H5Tget_sign(t) == H5T_SGN_NONE;
    case DType::kBool: return c == H5T_ENUM && size == 1;
    default: return false;
  }
}

// The dtype a file type holds (for datasets read without a variable to compare with).
std::optional<DType> dtype_of(hid_t t) {
  for (DType dt : {DType::kFloat16, DType::kFloat32, DType::kFloat64, DType::kInt8, DType::kInt32, DType::kInt64,
                   DType::kUInt8, DType::kBool})
    if (type_matches(t, dt)) return dt;
  return std::nullopt;
}

std::string type_description(hid_t t) {
  const char* classes[] = {"integer",  "float",     "time", "string", "bitfield", "opaque",
                           "compound", "reference", "enum", "vlen",   "array"};
  const int c = H5Tget_class(t);
  return std::string(c >= 0 && c < 11 ? classes[c] : "unknown") + " of " + std::to_string(H5Tget_size(t)) + " bytes";
}

std::string dataset_path(const std::string& group, int64_t index) { return group + "/" + std::to_string(index); }

}  // namespace

void write_h5_weights(const std::string& filepath, const std::vector<H5VarsGroup>& groups) {
  silence_hdf5();
  AtomicFile out(filepath);  // HDF5 writes the temporary; commit() fsyncs and renames it
  auto fail = [&](const std::string& what) -> void {
    TF_THROW(UnknownError, "", "Cannot write Keras weights file ", filepath, ": ", what, ": ", hdf5_reason());
  };
  {
    Id file(H5Fcreate(out.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail("cannot create " + out.temp_path());
    Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    Id str_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(str_type.get(), H5T_VARIABLE);
    H5Tset_cset(str_type.get(), H5T_CSET_UTF8);
    for (const H5VarsGroup& g : groups) {
      Id group(H5Gcreate2(file.get(), g.path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      if (!group.ok()) fail("cannot create group " + g.path);
      Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
      Id attr(H5Acreate2(group.get(), "name", str_type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      const char* name = g.name.c_str();
      if (!attr.ok() || H5Awrite(attr.get(), str_type.get(), &name) < 0) fail("cannot write the name of " + g.path);
      for (std::size_t i = 0; i < g.variables.size(); ++i) {
        const Variable& v = g.variables[i];
        const std::string ds = dataset_path(g.path, static_cast<int64_t>(i));
        Id type(h5_type(v.dtype()), H5Tclose);
        if (!type.ok())
          TF_THROW(UnimplementedError, "", "Cannot write Keras weights file ", filepath, ": dataset ", ds,
                   " has dtype ", dtype_name(v.dtype()), ", which .weights.h5 files do not store");
        std::vector<hsize_t> dims(v.shape().dims().begin(), v.shape().dims().end());
        Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
        Id dset(H5Dcreate2(group.get(), std::to_string(i).c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT),
                H5Dclose);
        if (!dset.ok()) fail("cannot create dataset " + ds);
        const Tensor value = v.read_value();
        if (value.size() == 0) continue;
        const void* bytes = value.raw_data();
        std::vector<char> host;
        if (!value.device().is_cpu() || !value.is_contiguous()) {
          host.resize(static_cast<std::size_t>(value.size()) * dtype_size(value.dtype()));
          detail::copy_to_host(value, host.data());
          bytes = host.data();
        }
        if (H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) < 0)
          fail("cannot write dataset " + ds);
      }
    }
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) fail("cannot flush");
  }
  out.commit();
}

H5WeightsReader::H5WeightsReader(const std::string& filepath) : filepath_(filepath) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(filepath, ec))
    TF_THROW(NotFoundError, "", "Keras weights file not found: ", filepath);
  file_size_ = std::filesystem::file_size(filepath, ec);
  if (H5Fis_hdf5(filepath.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    TF_THROW(DataLossError, "", "Keras weights file ", filepath, " is not an HDF5 file (damaged or of another format)");
  }
  file_id_ = H5Fopen(filepath.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_id_ < 0)
    TF_THROW(DataLossError, "", "Keras weights file ", filepath, " cannot be read (damaged?): ", hdf5_reason());
}

H5WeightsReader::~H5WeightsReader() {
  if (file_id_ >= 0) H5Fclose(file_id_);
}

bool H5WeightsReader::has_group(const std::string& path) const {
  // H5Lexists checks one link at a time: walk the path so a missing parent is not an error.
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    prefix += (prefix.empty() ? "" : "/") + path.substr(start, end - start);
    if (H5Lexists(file_id_, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    start = end + 1;
  }
  H5O_info_t info;
  if (H5Oget_info_by_name(file_id_, path.c_str(), &info, H5P_DEFAULT) < 0)
    TF_THROW(DataLossError, "", "Keras weights file ", filepath_, ": object ", path, " is damaged: ", hdf5_reason());
  return info.type == H5O_TYPE_GROUP;
}

int64_t H5WeightsReader::num_datasets(const std::string& path) const {
  if (!has_group(path)) return 0;
  Id group(H5Gopen2(file_id_, path.c_str(), H5P_DEFAULT), H5Gclose);
  H5G_info_t info;
  if (!group.ok() || H5Gget_info(group.get(), &info) < 0)
    TF_THROW(DataLossError, "", "Keras weights file ", filepath_, ": group ", path, " is damaged: ", hdf5_reason());
  return static_cast<int64_t>(info.nlinks);
}

namespace {
// Opens dataset `ds` and checks what can be checked without the caller's expectation: a
// supported type, a simple or scalar extent, stored bytes = shape x type size within the file.
struct OpenDataset {
  hid_t dset = -1, type = -1;
  DType dtype = DType::kFloat32;
  Shape shape;
  /// A contiguous dataset's bytes lie at this file offset (read without H5Dread); unset for the
  /// chunked and compact layouts, which libhdf5 reads.
  std::optional<uint64_t> offset;
  ~OpenDataset() {
    if (type >= 0) H5Tclose(type);
    if (dset >= 0) H5Dclose(dset);
  }
};

void open_dataset(hid_t file, const std::string& filepath, uint64_t file_size, const std::string& ds,
                  OpenDataset& out) {
  auto damaged = [&](const std::string& why) {
    TF_THROW(DataLossError, "", "Keras weights file ", filepath, ": dataset ", ds, " ", why);
  };
  if (H5Lexists(file, ds.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    damaged("is missing");
  }
  out.dset = H5Dopen2(file, ds.c_str(), H5P_DEFAULT);
  if (out.dset < 0) damaged("cannot be opened (damaged?): " + hdf5_reason());
  out.type = H5Dget_type(out.dset);
  if (out.type < 0) damaged("has an unreadable type: " + hdf5_reason());
  auto dt = dtype_of(out.type);
  if (!dt) damaged("has a type Tapeflow does not read (" + type_description(out.type) + ")");
  out.dtype = *dt;
  Id space(H5Dget_space(out.dset), H5Sclose);
  if (!space.ok()) damaged("has an unreadable extent: " + hdf5_reason());
  const H5S_class_t cls = H5Sget_simple_extent_type(space.get());
  if (cls != H5S_SCALAR && cls != H5S_SIMPLE) damaged("has no extent");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 32) damaged("has an invalid rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    damaged("has unreadable dimensions");
  std::vector<int64_t> d;
  uint64_t elements = 1;
  for (hsize_t n : dims) {
    if (n > file_size * 8 + 1) damaged("has a dimension larger than the file can hold");
    d.push_back(static_cast<int64_t>(n));
    elements *= n;
    if (elements > file_size * 8 + 1) damaged("has more elements than the file can hold");
  }
  out.shape = Shape(d);
  const uint64_t bytes = elements * dtype_size(out.dtype);
  Id dcpl(H5Dget_create_plist(out.dset), H5Pclose);
  if (!dcpl.ok()) damaged("has unreadable creation properties: " + hdf5_reason());
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT)
    damaged("has a storage layout Tapeflow does not read");
  if (layout == H5D_COMPACT && bytes > 0) {
    // Stored in the object header: its size must be the shape's (libhdf5 reads a damaged size's
    // failed allocation through a NULL buffer).
    if (const uint64_t stored = H5Dget_storage_size(out.dset); stored != bytes)
      damaged("stores " + std::to_string(stored) + " bytes where its shape " + out.shape.to_string() + " needs " +
              std::to_string(bytes));
  } else if (layout == H5D_CONTIGUOUS && bytes > 0) {
    const uint64_t stored = H5Dget_storage_size(out.dset);
    if (stored != bytes || stored > file_size)
      damaged("stores " + std::to_string(stored) + " bytes where its shape " + out.shape.to_string() + " needs " +
              std::to_string(bytes) + (stored > file_size ? " (beyond the end of the file)" : ""));
    const haddr_t at = H5Dget_offset(out.dset);
    if (at == HADDR_UNDEF || at > file_size || file_size - at < stored)
      damaged("has its " + std::to_string(stored) + " bytes outside the file");
    out.offset = at;
  } else if (bytes > 0 && bytes > file_size * 64) {
    damaged("claims " + std::to_string(bytes) + " bytes, more than the file can hold");  // chunked: bound the ratio
  }
}

void read_values(const OpenDataset& d, const std::string& filepath, const std::string& ds, Tensor& t) {
  if (t.size() == 0) return;
  Id mem(h5_type(d.dtype), H5Tclose);
  if (d.offset) {
    // Note [Contiguous datasets read directly]: libhdf5 1.10's H5Dread crashes on some damaged
    // layout messages (the keras_weights_h5 fuzz target found a NULL memcpy in H5D__contig_read).
    // A contiguous dataset is its bytes at a checked offset in the file type, so we read them
    // ourselves and let H5Tconvert change the byte order (or enum values) in memory. Keras and
    // h5py write contiguous datasets; chunked and compact ones still go through H5Dread.
    std::ifstream in(filepath, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(*d.offset));
    in.read(static_cast<char*>(t.raw_data()),
            static_cast<std::streamsize>(t.size() * static_cast<int64_t>(dtype_size(d.dtype))));
    if (!in)
      TF_THROW(DataLossError, "", "Keras weights file ", filepath, ": dataset ", ds,
               " cannot be read: the file ended inside it");
    if (H5Tconvert(d.type, mem.get(), static_cast<size_t>(t.size()), t.raw_data(), nullptr, H5P_DEFAULT) < 0)
      TF_THROW(DataLossError, "", "Keras weights file ", filepath, ": dataset ", ds,
               " cannot be converted from its file type (damaged?): ", hdf5_reason());
    if (d.dtype == DType::kBool) {  // an enum value that is neither FALSE nor TRUE
      const auto* b = static_cast<const uint8_t*>(t.raw_data());
      if (std::any_of(b, b + t.size(), [](uint8_t v) { return v > 1; }))
        TF_THROW(DataLossError, "", "Keras weights file ", filepath, ": dataset ", ds,
                 " holds a boolean that is neither FALSE nor TRUE");
    }
    return;
  }
  if (H5Dread(d.dset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()) < 0)
    TF_THROW(DataLossError, "", "Keras weights file ", filepath, ": dataset ", ds,
             " cannot be read (damaged?): ", hdf5_reason());
}
}  // namespace

namespace {
void check_matches(const OpenDataset& d, const std::string& filepath, const std::string& ds, const Variable& variable) {
  if (d.dtype != variable.dtype() || d.shape != variable.shape())
    TF_THROW(InvalidArgumentError, "", "Keras weights file ", filepath, ": dataset ", ds, " holds ",
             dtype_name(d.dtype), " ", d.shape.to_string(), " but the variable \"", variable.name(),
             "\" it restores is ", dtype_name(variable.dtype()), " ", variable.shape().to_string());
}
}  // namespace

void H5WeightsReader::check(const std::string& group, int64_t index, const Variable& variable) const {
  const std::string ds = dataset_path(group, index);
  OpenDataset d;
  open_dataset(file_id_, filepath_, file_size_, ds, d);
  check_matches(d, filepath_, ds, variable);
}

void H5WeightsReader::read_into(const std::string& group, int64_t index, Variable& variable) const {
  const std::string ds = dataset_path(group, index);
  OpenDataset d;
  open_dataset(file_id_, filepath_, file_size_, ds, d);
  check_matches(d, filepath_, ds, variable);
  Tensor t = Tensor::empty(d.shape, d.dtype);
  read_values(d, filepath_, ds, t);
  variable.assign(variable.device().is_cpu() ? t : t.to(variable.device()));
}

Tensor H5WeightsReader::read(const std::string& group, int64_t index) const {
  const std::string ds = dataset_path(group, index);
  OpenDataset d;
  open_dataset(file_id_, filepath_, file_size_, ds, d);
  Tensor t = Tensor::empty(d.shape, d.dtype);
  read_values(d, filepath_, ds, t);
  return t;
}

}  // namespace tapeflow::serialization
