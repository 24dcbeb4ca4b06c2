#include "tapeflow/nn/models/progbar.h"

#include <unistd.h>

#include <cmath>

namespace tapeflow::keras::detail {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

Progbar::Progbar(int64_t target, int verbose, std::FILE* out)
    : target_(std::max<int64_t>(target, 1)),
      verbose_(verbose),
      out_(out),
      interactive_(verbose == 1 && isatty(fileno(out))),
      start_(std::chrono::steady_clock::now()),
      last_draw_() {}

std::string Progbar::format_logs(const std::map<std::string, double>& logs) const {
  std::string s;
  char buf[64];
  for (const auto& [k, v] : logs) {
    // Keras prints small values in scientific notation.
    std::snprintf(buf, sizeof buf, std::abs(v) > 1e-3 || v == 0 ? "%.4f" : "%.4e", v);
    s += " - " + k + ": " + buf;
  }
  return s;
}

std::string Progbar::format_time_per_step(double sps) const {
  char buf[32];
  if (sps >= 1)
    std::snprintf(buf, sizeof buf, "%.0fs/step", sps);
  else if (sps >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.0fms/step", sps * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0fus/step", sps * 1e6);
  return buf;
}

void Progbar::update(int64_t current, const std::function<std::map<std::string, double>()>& logs) {
  if (!interactive_) return;
  // Redraw at most every 50 ms, as Keras's interval.
  auto now = std::chrono::steady_clock::now();
  if (current < target_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  const int digits = int(std::log10(double(target_))) + 1;
  const int width = 20;
  const int done = int(width * double(current) / double(target_));
  std::string bar;
  for (int i = 0; i < width; ++i) bar += i < done ? "\x1b[32m━" : "\x1b[37m━";
  const double elapsed = seconds_since(start_);
  const double per_step = current > 0 ? elapsed / double(current) : 0.0;
  std::string info;
  if (current < target_) {
    int eta = int(per_step * double(target_ - current));
    char buf[32];
    if (eta > 3600)
      std::snprintf(buf, sizeof buf, " %d:%02d:%02d", eta / 3600, eta % 3600 / 60, eta % 60);
    else if (eta > 60)
      std::snprintf(buf, sizeof buf, " %d:%02d", eta / 60, eta % 60);
    else
      std::snprintf(buf, sizeof buf, " %ds", eta);
    info = buf;
  } else {
    info = ' ';  // appended piece by piece: `" " + str` trips GCC 12's false -Wrestrict
    info += std::to_string(int(elapsed));
    info += "s ";
    info += format_time_per_step(per_step);
  }
  std::fprintf(out_, "\r\x1b[1m%*lld/%lld\x1b[0m %s\x1b[0m%s%s\x1b[K", digits, (long long)current, (long long)target_,
               bar.c_str(), info.c_str(), format_logs(logs()).c_str());
  std::fflush(out_);
}

void Progbar::finish(const std::map<std::string, double>& logs) {
  if (verbose_ == 0) return;
  const double elapsed = seconds_since(start_);
  if (interactive_) {
    last_draw_ = {};
    update(target_, [&] { return logs; });
    std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%lld/%lld - %ds - %s%s\n", (long long)target_, (long long)target_, int(elapsed),
                 format_time_per_step(elapsed / double(target_)).c_str(), format_logs(logs).c_str());
  }
  std::fflush(out_);
}

}  // namespace tapeflow::keras::detail
