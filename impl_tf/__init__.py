"""The course's logistic regression and L-layer network in TensorFlow, backward by tf.GradientTape."""

import os

# Before the first `import tensorflow` anywhere in impl_tf: hide TensorFlow's C++ INFO and WARNING
# lines (CPU feature notices and the like), which would drown the output of every command.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
