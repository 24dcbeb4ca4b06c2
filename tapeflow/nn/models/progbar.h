// The progress line fit/evaluate print (Keras 3's Progbar): on a terminal, a bar redrawn in
// place with ETA, time per step and the running logs; elsewhere, one plain line when done.
#pragma once
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace tapeflow::keras::detail {

class Progbar {
 public:
  /// verbose 1: live bar on a terminal (plain final line otherwise); 2: plain final line only.
  Progbar(int64_t target, int verbose, std::FILE* out = stdout);
  /// Draws step `current` of target; `logs` is called only when a line is drawn (reading
  /// metrics synchronizes the device, so off a terminal it is read once per epoch).
  void update(int64_t current, const std::function<std::map<std::string, double>()>& logs);
  /// The steps of an epoch, once learnt (a dataset of unknown length: after its first pass).
  void set_target(int64_t target) { target_ = target > 0 ? target : 1; }
  /// The final line with these logs.
  void finish(const std::map<std::string, double>& logs);

 private:
  std::string format_logs(const std::map<std::string, double>& logs) const;
  std::string format_time_per_step(double seconds_per_step) const;
  int64_t target_;
  int verbose_;
  std::FILE* out_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace tapeflow::keras::detail
