"""The course's three programming assignments a learner writes in NumPy, each as the functions it asks
for, in the notebook's order, with the conventions of that notebook (what each function takes and returns),
the reference's version of each under those conventions, and the inputs each is checked on.

  logistic  week 2, logistic regression: sigmoid(z) returns s; b is a Python float
  planar    week 3, one hidden tanh layer: caches are dicts {"Z1", "A1", "Z2", "A2"}
  deep      week 4, the L-layer net step by step: sigmoid(Z) and relu(Z) return (A, cache); linear_forward
            returns (Z, (A, W, b)); L_model_backward starts from dAL and returns "dA{l-1}", "dW{l}", "db{l}"
  deep_application  week 4, two_layer_model and L_layer_model on the cat images, the step functions
            imported from the course's dnn_app_utils_v3

Every input is float64; the inputs of each function are the notebook's own test case where it has one (the
same as the ports' course tests, conformance/kit/course_cases.py),
then the cases a learner's slips show on: m = 1, an odd m, (1, 1) arrays, exact zeros at a kink, large |z|.
An initialiser is judged by its keys, shapes and scale, not its numbers: some notebooks seed inside it,
others leave the seed to the caller. The types are assignment.py's; each week's functions and cases are in
week2_logistic.py, week3_planar.py and week4_deep.py."""

from .assignment import Assignment, Function
from .week2_logistic import LOGISTIC
from .week3_planar import PLANAR
from .week4_deep import DEEP, DEEP_APPLICATION

__all__ = ["ASSIGNMENTS", "COURSE_MODULES", "Assignment", "Function", "recognise"]

ASSIGNMENTS = {a.name: a for a in (LOGISTIC, PLANAR, DEEP, DEEP_APPLICATION)}

# What each of the course's helper modules gives that a learner's file imports (testCases, public_tests and
# lr_utils give test cases and data, nothing the check needs): where it is not installed, the reference's stand in.
COURSE_MODULES = {
    "dnn_utils": DEEP.provided,
    "dnn_utils_v2": DEEP.provided,
    "dnn_app_utils": DEEP_APPLICATION.provided,
    "dnn_app_utils_v2": DEEP_APPLICATION.provided,
    "dnn_app_utils_v3": DEEP_APPLICATION.provided,
    "planar_utils": PLANAR.provided,
}


def recognise(defined: set[str]) -> Assignment | None:
    """The assignment whose own functions the file defines most of; None when it defines none of them."""
    scored = sorted(ASSIGNMENTS.values(), key=lambda a: -len(a.distinctive & defined))
    return scored[0] if scored[0].distinctive & defined else None
