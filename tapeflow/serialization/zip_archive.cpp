#include "tapeflow/serialization/zip_archive.h"

#include <zip.h>

#include <algorithm>
#include <memory>

#include "tapeflow/core/errors.h"

namespace tapeflow::serialization {

namespace {
struct ZipError {
  zip_error_t e;
  ZipError() { zip_error_init(&e); }
  ~ZipError() { zip_error_fini(&e); }
  const char* str() { return zip_error_strerror(&e); }
};
zip_t* as_zip(void* p) { return static_cast<zip_t*>(p); }
}  // namespace

void ZipWriter::add(std::string name, std::string contents) {
  entries_.emplace_back(std::move(name), std::move(contents));
}

std::string ZipWriter::finish(const std::string& what) const {
  ZipError err;
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &err.e);
  TF_CHECK_TYPED(out, InternalError, "", what, ": libzip: ", err.str());
  zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &err.e);
  if (!za) {
    zip_source_free(out);
    TF_THROW(InternalError, "", what, ": libzip: ", err.str());
  }
  zip_source_keep(out);  // survives zip_close, which writes the archive into it
  auto fail = [&](const char* step) {
    const std::string msg = zip_strerror(za);
    zip_discard(za);
    zip_source_free(out);
    TF_THROW(InternalError, "", what, ": libzip ", step, ": ", msg);
  };
  for (const auto& [name, contents] : entries_) {
    zip_source_t* src = zip_source_buffer(za, contents.data(), contents.size(), 0);
    if (!src) fail("zip_source_buffer");
    const zip_int64_t index = zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(src);
      fail("zip_file_add");
    }
    if (zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0) fail("compression");
  }
  if (zip_close(za) != 0) fail("zip_close");
  std::string bytes;
  if (zip_source_open(out) != 0 || zip_source_seek(out, 0, SEEK_END) != 0) {
    zip_source_free(out);
    TF_THROW(InternalError, "", what, ": libzip: cannot read back the archive");
  }
  const zip_int64_t size = zip_source_tell(out);
  zip_source_seek(out, 0, SEEK_SET);
  bytes.resize(static_cast<std::size_t>(size > 0 ? size : 0));
  const zip_int64_t got = bytes.empty() ? 0 : zip_source_read(out, bytes.data(), bytes.size());
  zip_source_close(out);
  zip_source_free(out);
  TF_CHECK_TYPED(got == size, InternalError, "", what, ": libzip: short read of the archive");
  return bytes;
}

ZipReader::ZipReader(std::string bytes, std::string what, ZipLimits limits)
    : bytes_(std::move(bytes)), what_(std::move(what)), limits_(limits) {
  // libzip opens an empty source as a new, empty archive: for a reader it is a truncated file.
  TF_CHECK_TYPED(!bytes_.empty(), DataLossError, "", what_, " is empty: not a valid zip archive");
  ZipError err;
  zip_source_t* src = zip_source_buffer_create(bytes_.data(), bytes_.size(), 0, &err.e);
  TF_CHECK_TYPED(src, InternalError, "", what_, ": libzip: ", err.str());
  // ZIP_CHECKCONS: the local headers must agree with the central directory.
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err.e);
  if (!za) {
    zip_source_free(src);
    TF_THROW(DataLossError, "", what_, " is not a valid zip archive (", bytes_.size(), " bytes): ", err.str());
  }
  archive_ = za;
  const zip_int64_t n = zip_get_num_entries(za, 0);
  TF_CHECK_ARG(n >= 0 && static_cast<uint64_t>(n) <= limits_.max_entries, "", what_, ": the archive lists ", n,
               " entries (at most ", limits_.max_entries, " are read)");
}

ZipReader::~ZipReader() {
  if (archive_) zip_discard(as_zip(archive_));
}

std::vector<std::string> ZipReader::names() const {
  std::vector<std::string> out;
  const zip_int64_t n = zip_get_num_entries(as_zip(archive_), 0);
  for (zip_int64_t i = 0; i < n; ++i)
    if (const char* name = zip_get_name(as_zip(archive_), static_cast<zip_uint64_t>(i), 0)) out.emplace_back(name);
  return out;
}

bool ZipReader::contains(const std::string& name) const {
  return zip_name_locate(as_zip(archive_), name.c_str(), 0) >= 0;
}

uint64_t ZipReader::size(const std::string& name) const {
  const zip_int64_t index = zip_name_locate(as_zip(archive_), name.c_str(), 0);
  TF_CHECK_TYPED(index >= 0, NotFoundError, "", what_, " has no entry \"", name, "\"");
  zip_stat_t st;
  zip_stat_init(&st);
  TF_CHECK_TYPED(zip_stat_index(as_zip(archive_), static_cast<zip_uint64_t>(index), 0, &st) == 0 &&
                     (st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE),
                 DataLossError, "", what_, ": cannot read the directory entry of \"", name, "\"");
  // The declared size must be possible for the bytes present (deflate expands at most 1032:1), so
  // a truncated archive or a lying directory is caught before anyone allocates that size.
  TF_CHECK_TYPED(st.comp_size <= bytes_.size() && st.size <= st.comp_size * 1032 + 64, DataLossError, "", what_,
                 ": entry \"", name, "\" declares ", st.size, " bytes from ", st.comp_size, " compressed bytes in a ",
                 bytes_.size(), "-byte archive: the archive is truncated or damaged");
  return st.size;
}

std::string ZipReader::read(const std::string& name, uint64_t max_bytes) const {
  const uint64_t n = size(name);
  const uint64_t limit = std::min(max_bytes, limits_.max_entry_bytes);
  TF_CHECK_ARG(n <= limit, "", what_, ": entry \"", name, "\" declares ", n, " bytes, more than the ", limit,
               " bytes allowed");
  const zip_int64_t index = zip_name_locate(as_zip(archive_), name.c_str(), 0);
  zip_file_t* f = zip_fopen_index(as_zip(archive_), static_cast<zip_uint64_t>(index), 0);
  TF_CHECK_TYPED(f, DataLossError, "", what_, ": cannot open entry \"", name, "\": ", zip_strerror(as_zip(archive_)));
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> closer(f, zip_fclose);
  std::string out(static_cast<std::size_t>(n), '\0');
  uint64_t got = 0;
  while (got < n) {
    const zip_int64_t r = zip_fread(f, out.data() + got, n - got);
    TF_CHECK_TYPED(r > 0, DataLossError, "", what_, ": entry \"", name, "\" is truncated or damaged (", got, " of ", n,
                   " bytes read): ", zip_file_strerror(f));
    got += static_cast<uint64_t>(r);
  }
  // Reading to the end checks the CRC; more data than declared is damage too.
  char extra;
  const zip_int64_t r = zip_fread(f, &extra, 1);
  TF_CHECK_TYPED(r == 0, DataLossError, "", what_, ": entry \"", name, "\" is damaged (",
                 r < 0 ? zip_file_strerror(f) : "longer than its declared size", ")");
  return out;
}

}  // namespace tapeflow::serialization
