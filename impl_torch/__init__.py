"""The course's logistic regression and L-layer network in PyTorch, backward by loss.backward()."""
