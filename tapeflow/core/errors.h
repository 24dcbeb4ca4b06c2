// Typed errors with TensorFlow's names (tf.errors.*) and the check macros that build them.
// Library code reports every bad input through these; it never exits, aborts or asserts.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tapeflow::errors {

/// TF's status codes, as tf.errors exposes them.
enum class Code {
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kDataLoss = 15,
};

/// Base of every error an op raises (tf.errors.OpError).
class OpError : public std::runtime_error {
 public:
  OpError(Code code, std::string message, std::string op = {})
      : std::runtime_error(op.empty() ? message : message + " [Op:" + op + "]"),
        code_(code),
        message_(std::move(message)),
        op_(std::move(op)) {}
  Code error_code() const noexcept { return code_; }
  /// The message without the "[Op:...]" suffix.
  const std::string& message() const noexcept { return message_; }
  /// The TF name of the op that raised it ("Reshape"), or empty.
  const std::string& op() const noexcept { return op_; }

 private:
  Code code_;
  std::string message_;
  std::string op_;
};

#define TAPEFLOW_DEFINE_ERROR(Name, CodeValue)                           \
  class Name : public OpError {                                          \
   public:                                                               \
    explicit Name(std::string message, std::string op = {})              \
        : OpError(Code::CodeValue, std::move(message), std::move(op)) {} \
  };
TAPEFLOW_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
TAPEFLOW_DEFINE_ERROR(NotFoundError, kNotFound)
TAPEFLOW_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
TAPEFLOW_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
TAPEFLOW_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
TAPEFLOW_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
TAPEFLOW_DEFINE_ERROR(UnimplementedError, kUnimplemented)
TAPEFLOW_DEFINE_ERROR(InternalError, kInternal)
TAPEFLOW_DEFINE_ERROR(UnknownError, kUnknown)
TAPEFLOW_DEFINE_ERROR(DataLossError, kDataLoss)
#undef TAPEFLOW_DEFINE_ERROR

}  // namespace tapeflow::errors

namespace tapeflow {

/// Python's LookupError, which TF raises when an op has no registered gradient.
class LookupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Python's AssertionError, which TF's checkpoint load status raises (assert_consumed).
class AssertionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Python's RuntimeError, which TF raises for misuse such as a second gradient() call on a
/// non-persistent GradientTape.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args> std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail
}  // namespace tapeflow

/// TF_CHECK_ARG(cond, "Reshape", "message parts", ...) throws InvalidArgumentError naming op.
#define TF_CHECK_ARG(cond, op, ...)                                                                 \
  do {                                                                                              \
    if (!(cond)) [[unlikely]]                                                                       \
      throw ::tapeflow::errors::InvalidArgumentError(::tapeflow::detail::str_cat(__VA_ARGS__), op); \
  } while (0)
#define TF_CHECK_TYPED(cond, ErrorType, op, ...)                                         \
  do {                                                                                   \
    if (!(cond)) [[unlikely]]                                                            \
      throw ::tapeflow::errors::ErrorType(::tapeflow::detail::str_cat(__VA_ARGS__), op); \
  } while (0)
#define TF_THROW(ErrorType, op, ...) throw ::tapeflow::errors::ErrorType(::tapeflow::detail::str_cat(__VA_ARGS__), op)
