// The string ops take or give strings (or parse numbers from them): TF registers every one of
// them as not differentiable, so a tape passes no gradient through them instead of raising.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/strings.h"

namespace tapeflow::autograd {

void register_string_gradients() {
  for (OpDef* op : {&ops::StringSplitV2, &ops::StringSplit, &ops::UnicodeSplit, &ops::UnicodeDecode,
                    &ops::StringToNumber, &ops::StringLength, &ops::StringLower, &ops::StringUpper, &ops::StringJoin,
                    &ops::ReduceJoin, &ops::Substr, &ops::AsString, &ops::DecodeRaw})
    register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
