// Issue 14: checkpoint save and restore bandwidth against a dd-style sequential write/read of
// the same size in the same run, and the peak extra memory (RSS high-water mark) of each.
//   checkpoint_io [--mib 1024] [--dir /tmp] [--tensors 16] [--repeat 3]
// The peer writes with fwrite in 8 MiB chunks and fsyncs (as the checkpoint does); reads are
// from the page cache for both unless the caller drops caches between phases. Each round runs
// peer write, save, peer read, restore back to back; the best of the rounds is reported for
// each, so a machine shared with other jobs compares like with like.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

long rss_kib(const char* field) {  // VmRSS or VmHWM from /proc/self/status
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  return -1;
}
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

struct Model : tf::Module {
  std::vector<tf::Variable> weights;
  Model(int n, int64_t floats_each) : tf::Module("model") {
    for (int i = 0; i < n; ++i)
      weights.push_back(track("w" + std::to_string(i), tf::Variable(tf::fill({floats_each}, float(i) + 0.5f))));
  }
};
}  // namespace

int main(int argc, char** argv) {
  int64_t mib = 1024;
  int tensors = 16, repeat = 3;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--mib")
      mib = std::atoll(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--tensors")
      tensors = std::atoi(argv[i + 1]);
    else if (a == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  const std::string base = dir + "/tapeflow_checkpoint_io";
  std::filesystem::create_directories(base);
  const int64_t bytes = mib << 20;
  std::vector<char> chunk(8 << 20, 'x');
  Model model(tensors, bytes / 4 / tensors);
  tf::train::Checkpoint ckpt({{"model", model}});
  double dd_write = 0, dd_read = 0, save = 0, restore = 0;
  long save_extra = 0, restore_extra = 0;
  bool ok = true;
  for (int round = 0; round < repeat; ++round) {
    double t0 = 0;
    // Peer: dd-style sequential write (fsync) and read of the same number of bytes.
    auto peer_write = [&] {
      t0 = now();
      {
        std::FILE* f = std::fopen((base + "/dd").c_str(), "wb");
        for (int64_t done = 0; done < bytes; done += int64_t(chunk.size()))
          std::fwrite(chunk.data(), 1, chunk.size(), f);
        std::fflush(f);
        ::fsync(::fileno(f));
        std::fclose(f);
      }
      dd_write = std::max(dd_write, double(bytes) / (now() - t0) / 1e9);
    };
    // Like the peer, write a new file: the previous round's checkpoint is deleted untimed (a
    // rename over it would free its 1 GiB of pages inside the timed save).
    auto checkpoint_write = [&] {
      std::filesystem::remove(base + "/ckpt.index");
      std::filesystem::remove(base + "/ckpt.data-00000-of-00001");
      const long rss_before_save = rss_kib("VmRSS:");
      reset_peak();
      t0 = now();
      ckpt.write(base + "/ckpt");
      save = std::max(save, double(bytes) / (now() - t0) / 1e9);
      save_extra = std::max(save_extra, rss_kib("VmHWM:") - rss_before_save);
    };
    // Alternate which writer goes first: the second one meets the first one's writeback.
    if (round % 2 == 0)
      peer_write(), checkpoint_write();
    else
      checkpoint_write(), peer_write();

    t0 = now();
    {
      std::FILE* f = std::fopen((base + "/dd").c_str(), "rb");
      while (std::fread(chunk.data(), 1, chunk.size(), f) == chunk.size()) {}
      std::fclose(f);
    }
    dd_read = std::max(dd_read, double(bytes) / (now() - t0) / 1e9);
    std::filesystem::remove(base + "/dd");

    for (auto& w : model.weights) w.assign(tf::zeros_like(w.read_value()));
    const long rss_before_restore = rss_kib("VmRSS:");
    reset_peak();
    t0 = now();
    ckpt.restore(base + "/ckpt").assert_consumed();
    restore = std::max(restore, double(bytes) / (now() - t0) / 1e9);
    restore_extra = std::max(restore_extra, rss_kib("VmHWM:") - rss_before_restore);
    ok = ok && model.weights.back().read_value()[0].item<float>() == float(tensors - 1) + 0.5f;
  }
  std::filesystem::remove_all(base);

  const double largest_mib = double(bytes) / tensors / (1 << 20);
  std::printf("checkpoint of %lld MiB in %d tensors (largest %.0f MiB), best of %d rounds, values restored: %s\n",
              (long long)mib, tensors, largest_mib, repeat, ok ? "yes" : "NO");
  std::printf("save    %.2f GB/s  vs dd write %.2f GB/s  (%.0f%%), peak extra memory %.0f MiB\n", save, dd_write,
              100 * save / dd_write, save_extra / 1024.0);
  std::printf("restore %.2f GB/s  vs dd read  %.2f GB/s  (%.0f%%), peak extra memory %.0f MiB\n", restore, dd_read,
              100 * restore / dd_read, restore_extra / 1024.0);
  return ok ? 0 : 1;
}
