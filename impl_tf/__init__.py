"""The course's logistic regression and L-layer network in TensorFlow, backward by tf.GradientTape."""

import logging
import os
import sys

# Before the first `import tensorflow` anywhere in impl_tf: hide TensorFlow's C++ INFO and WARNING
# lines (CPU feature notices and the like), which would drown the output of every command.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Two loads in TensorFlow's own import serve nothing here, and TensorFlow goes on without each when its import
# fails: the whole of Keras (and, through Keras's wrappers, scikit-learn), loaded only to register Keras's
# optimizers for SavedModel, and JAX, loaded by TensorFlow Lite for its JAX converter. Started without them,
# TensorFlow took 3.2 to 3.6 s to import on a 2-core machine, against 3.7 to 4.6 s with JAX and 6.5 to 8.4 with
# Keras as well. Both stay importable: the entries that stop them are removed once TensorFlow is in; a module
# already imported is left as it is.
if "tensorflow" not in sys.modules:
    _skipped = [name for name in ("keras.src.optimizers", "jax") if name not in sys.modules]
    sys.modules.update(dict.fromkeys(_skipped))
    try:
        import tensorflow  # noqa: F401
    finally:
        for name in _skipped:
            del sys.modules[name]

import tensorflow as tf  # started above, or earlier by its user


class _OneTracePerShape(logging.Filter):
    """make_train_step and make_train_loop keep one tf.function per activation and mode for every shape and
    dtype a run meets, one trace each: that is their plan, and TensorFlow's warning that they "triggered
    tf.function retracing" (printed again and again by a check or a benchmark) says nothing wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_OneTracePerShape())
