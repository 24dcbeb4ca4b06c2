// The event file writer's queue and writer thread (event_writer.h).
#include "tapeflow/serialization/event_writer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "summary.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/summary_protos.h"

namespace tapeflow::serialization {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::string event_file_name(const std::string& suffix) {
  static std::atomic<int> counter{0};  // TF's file_id_counter: distinct names within a second
  char head[64];
  std::snprintf(head, sizeof head, "events.out.tfevents.%010lld.",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()));
  return head + host_name() + "." + std::to_string(getpid()) + "." + std::to_string(counter.fetch_add(1)) + suffix;
}

EventFileWriter::EventFileWriter(std::string logdir, EventWriterOptions options)
    : logdir_(std::move(logdir)), options_(std::move(options)) {
  TF_CHECK_ARG(!logdir_.empty(), "", "create_file_writer: logdir must not be empty");
  TF_CHECK_ARG(options_.max_queue >= 0, "", "create_file_writer: max_queue must be >= 0, got ", options_.max_queue);
  TF_CHECK_ARG(options_.flush_millis >= 0, "", "create_file_writer: flush_millis must be >= 0, got ",
               options_.flush_millis);
  TF_CHECK_ARG(options_.queue_capacity > 0, "", "create_file_writer: queue_capacity must be > 0");
  std::error_code ec;
  std::filesystem::create_directories(logdir_, ec);
  TF_CHECK_TYPED(!ec && std::filesystem::is_directory(logdir_), FailedPreconditionError, "",
                 "create_file_writer: cannot create logdir '", logdir_,
                 "': ", ec ? ec.message() : std::string("not a directory"));
  path_ = (std::filesystem::path(logdir_) / event_file_name(options_.filename_suffix)).string();
  try {
    file_ = std::make_unique<RecordWriter>(path_);
  } catch (const errors::OpError& e) {
    TF_THROW(FailedPreconditionError, "", "create_file_writer: logdir '", logdir_, "' is not writable: ", e.message());
  }
  tensorflow::Event version;
  version.set_wall_time(now_seconds());
  version.set_file_version("brain.Event:2");
  file_->write_record(version.SerializeAsString());
  file_->flush();
  thread_ = std::thread([this] { run(); });
}

EventFileWriter::~EventFileWriter() {
  try {
    close();
  } catch (...) {  // a destructor cannot report it; flush()/close() do
  }
}

void EventFileWriter::rethrow_writer_error_locked() {
  if (writer_error_) std::rethrow_exception(writer_error_);
}

void EventFileWriter::push(Pending p) {
  std::unique_lock lock(mu_);
  TF_CHECK_TYPED(!closed_, FailedPreconditionError, "", "the summary writer of '", logdir_, "' is closed");
  rethrow_writer_error_locked();
  if (queue_.size() >= options_.queue_capacity) {
    ++producers_waiting_;
    not_full_.wait(lock, [&] { return queue_.size() < options_.queue_capacity || stop_; });
    --producers_waiting_;
  }
  queue_.push_back(std::move(p));
  const bool wake = consumer_waiting_;
  lock.unlock();
  if (wake) not_empty_.notify_one();
}

void EventFileWriter::write_event(std::string serialized_event) {
  push(Pending{Pending::Kind::kEvent, std::move(serialized_event), 0, 0, 0, 0});
}

void EventFileWriter::write_scalar(std::string tag, float value, int64_t step, double wall_time) {
  push(Pending{Pending::Kind::kScalar, std::move(tag), value, step, wall_time, 0});
}

void EventFileWriter::flush() {
  std::unique_lock lock(mu_);
  rethrow_writer_error_locked();
  if (closed_) return;
  const uint64_t ticket = ++flush_requested_;
  Pending p{Pending::Kind::kFlush, {}, 0, 0, 0, ticket};
  queue_.push_back(std::move(p));
  if (consumer_waiting_) not_empty_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket || writer_error_; });
  rethrow_writer_error_locked();
}

void EventFileWriter::close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
  }
  std::exception_ptr error;
  try {
    flush();
  } catch (...) { error = std::current_exception(); }
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    stop_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    file_->close();
  } catch (...) {
    if (!error) error = std::current_exception();
  }
  if (error) std::rethrow_exception(error);
}

// Note [Event writer thread]: the thread takes the whole queue under the lock and writes it
// without the lock, so callers only ever contend for a deque push. It flushes the file to the
// OS every max_queue summaries, every flush_millis, and at each flush() ticket; a killed process
// therefore loses at most what was queued or buffered since the last flush, and every record
// before is whole (a torn last record is skipped by readers).
void EventFileWriter::run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::milliseconds(options_.flush_millis);
  auto deadline = Clock::now() + period;
  std::deque<Pending> batch;
  int unflushed = 0;
  bool dirty = false;
  std::string scratch;
  tensorflow::Event scalar_event;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      while (queue_.empty() && !stop_) {
        consumer_waiting_ = true;
        const bool timed_out = dirty && not_empty_.wait_until(lock, deadline) == std::cv_status::timeout;
        if (!dirty) not_empty_.wait(lock);
        consumer_waiting_ = false;
        if (timed_out) break;
      }
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
      if (producers_waiting_ > 0) not_full_.notify_all();
    }
    uint64_t done_ticket = 0;
    try {
      for (Pending& p : batch) {
        switch (p.kind) {
          case Pending::Kind::kEvent: file_->write_record(p.bytes); break;
          case Pending::Kind::kScalar:
            fill_scalar_event(scalar_event, p.bytes, p.value, p.step, p.wall_time);
            scratch.clear();
            scalar_event.SerializeToString(&scratch);
            file_->write_record(scratch);
            break;
          case Pending::Kind::kFlush:
            file_->flush();
            unflushed = 0;
            dirty = false;
            done_ticket = p.ticket;
            continue;
        }
        if (!dirty) deadline = Clock::now() + period;
        dirty = true;
        if (++unflushed >= options_.max_queue) {
          file_->flush();
          unflushed = 0;
          dirty = false;
        }
      }
      if (dirty && Clock::now() >= deadline) {
        file_->flush();
        unflushed = 0;
        dirty = false;
      }
    } catch (...) {
      std::lock_guard lock(mu_);
      writer_error_ = std::current_exception();
      flush_done_ = flush_requested_;
      flushed_.notify_all();
      // Keep draining (discarding) so that callers never block forever on a dead writer.
    }
    batch.clear();
    if (done_ticket) {
      std::lock_guard lock(mu_);
      flush_done_ = std::max(flush_done_, done_ticket);
      flushed_.notify_all();
    }
  }
}

}  // namespace tapeflow::serialization
