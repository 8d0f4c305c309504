"""What every job of the harness stands on: the model spec, the backends (registry, protocol, how each framework
is called, validation, errors), the datasets and the machine's environment. See README.md beside this file."""
