"""The course's logistic regression and L-layer network in TensorFlow, backward by tf.GradientTape."""

import logging
import os
import sys

# Before the first `import tensorflow` anywhere in impl_tf: hide TensorFlow's C++ INFO and WARNING
# lines (CPU feature notices and the like), which would drown the output of every command.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# TensorFlow's own import loads the whole of Keras (and, through Keras's wrappers, scikit-learn) only to
# register Keras's optimizers for SavedModel, which nothing here uses, and goes on without them when that
# import fails. Started so, TensorFlow took 4.3 to 4.6 s to import on a 2-core machine instead of 6.5 to
# 8.4. Keras stays importable: the entry that stops the load is removed once TensorFlow is in.
if "tensorflow" not in sys.modules and "keras.src.optimizers" not in sys.modules:
    sys.modules["keras.src.optimizers"] = None
    try:
        import tensorflow  # noqa: F401
    finally:
        del sys.modules["keras.src.optimizers"]

import tensorflow as tf  # started above, or earlier by its user


class _OneTracePerShape(logging.Filter):
    """make_train_step and make_train_loop keep one tf.function per activation and mode for every shape and
    dtype a run meets, one trace each: that is their plan, and TensorFlow's warning that they "triggered
    tf.function retracing" (printed again and again by a check or a benchmark) says nothing wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_OneTracePerShape())
