// PNG encoding (libpng) for image summaries: 8-bit grayscale, RGB or RGBA pixels to PNG bytes.
#pragma once
#include <cstdint>
#include <string>

namespace tapeflow::serialization {

/// The PNG file of `height` rows of `width` pixels of `channels` (1, 2, 3 or 4) bytes each,
/// row-major, as tf.image.encode_png makes it (8 bits per channel, no interlace).
std::string encode_png(const uint8_t* pixels, int width, int height, int channels);

}  // namespace tapeflow::serialization
