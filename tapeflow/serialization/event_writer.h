// The asynchronous event file writer behind tf::summary::create_file_writer: summaries go to a
// bounded queue that one writer thread drains into `events.out.tfevents.*` (TFRecord of Events).
// A full queue blocks the caller (nothing is ever dropped); flush() returns once every summary
// queued before it is in the file and handed to the OS.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tapeflow/serialization/record_writer.h"

namespace tapeflow::serialization {

/// tf.summary.create_file_writer's options, in its order.
struct EventWriterOptions {
  /// Summaries written to the file between two flushes to the OS (TF's max_queue).
  int max_queue = 10;
  /// The longest a written summary waits before the file is flushed (TF's flush_millis).
  int flush_millis = 120000;
  std::string filename_suffix = ".v2";
  /// Summaries the in-memory queue holds before a caller blocks. Large, so that a training
  /// loop's summaries cost a queue push each even when the disk is briefly slower.
  std::size_t queue_capacity = 1 << 16;
};

class EventFileWriter {
 public:
  /// Creates `logdir` (and parents) and the event file, whose first record (the
  /// `brain.Event:2` version event) is flushed at once. FailedPreconditionError naming the
  /// logdir when it cannot be created or written.
  EventFileWriter(std::string logdir, EventWriterOptions options = {});
  ~EventFileWriter();  // close(), errors swallowed
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  /// Queues a serialized Event.
  void write_event(std::string serialized_event);
  /// Queues a TF2 scalar summary (DT_FLOAT [] tensor, plugin `scalars`); the Event is built on
  /// the writer thread, so the caller pays for a queue push only.
  void write_scalar(std::string tag, float value, int64_t step, double wall_time);
  void flush();
  /// Flushes and ends the writer thread; later writes raise FailedPreconditionError.
  void close();

  const std::string& logdir() const { return logdir_; }
  /// The event file's path.
  const std::string& path() const { return path_; }

 private:
  struct Pending {
    enum class Kind : uint8_t { kEvent, kScalar, kFlush } kind;
    std::string bytes;  // kEvent: the serialized Event; kScalar: the tag
    float value = 0;
    int64_t step = 0;
    double wall_time = 0;
    uint64_t ticket = 0;  // kFlush
  };
  void push(Pending p);
  void run();
  void rethrow_writer_error_locked();

  std::string logdir_, path_;
  EventWriterOptions options_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, flushed_;
  std::deque<Pending> queue_;
  bool consumer_waiting_ = false;
  int producers_waiting_ = 0;
  bool closed_ = false, stop_ = false;
  uint64_t flush_requested_ = 0, flush_done_ = 0;
  std::exception_ptr writer_error_;
  std::mutex close_mu_;
  std::thread thread_;
  std::unique_ptr<RecordWriter> file_;  // used by the writer thread only, after construction
};

/// This machine's name (gethostname), as TF puts it in event and profile file names.
std::string host_name();

/// The event file name TF gives: `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n><suffix>`.
std::string event_file_name(const std::string& suffix);

}  // namespace tapeflow::serialization
