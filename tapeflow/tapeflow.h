// The umbrella header: everything a Tapeflow user needs, and `namespace tf = tapeflow;`.
#pragma once
#include "tapeflow/autograd/custom_gradient.h"
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/config.h"
#include "tapeflow/core/device.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/dtype.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/activation.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/math.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/strings.h"
#include "tapeflow/core/ragged.h"
#include "tapeflow/core/sparse.h"
#include "tapeflow/core/shape.h"
#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tf = tapeflow;
