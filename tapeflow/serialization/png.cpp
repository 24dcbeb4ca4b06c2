// encode_png with libpng, writing to memory (png.h).
#include "tapeflow/serialization/png.h"

#include <png.h>

#include <vector>

#include "tapeflow/core/errors.h"

namespace tapeflow::serialization {
namespace {

void append_to_string(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void no_flush(png_structp) {}
// libpng reports errors by longjmp by default; throwing through C frames is not safe, so the
// handler records the message and longjmps back to encode_png, which throws.
void on_error(png_structp png, png_const_charp message) {
  *static_cast<std::string*>(png_get_error_ptr(png)) = message;
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

}  // namespace

std::string encode_png(const uint8_t* pixels, int width, int height, int channels) {
  TF_CHECK_ARG(channels >= 1 && channels <= 4, "EncodePng", "channels must be 1, 2, 3 or 4, got ", channels);
  TF_CHECK_ARG(width > 0 && height > 0, "EncodePng", "an image needs a positive size, got ", width, "x", height);
  static constexpr int kColor[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                   PNG_COLOR_TYPE_RGB_ALPHA};
  std::string out, error;
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[static_cast<std::size_t>(y)] =
        const_cast<png_bytep>(pixels + static_cast<std::size_t>(y) * static_cast<std::size_t>(width) * channels);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_error, on_warning);
  TF_CHECK_TYPED(png != nullptr, ResourceExhaustedError, "EncodePng", "libpng could not allocate its state");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    TF_THROW(InternalError, "EncodePng", "libpng failed: ", error.empty() ? "out of memory" : error);
  }
  png_set_write_fn(png, &out, append_to_string, no_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, kColor[channels - 1],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace tapeflow::serialization
