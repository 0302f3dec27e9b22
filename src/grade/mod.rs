//! TODO(skeleton): grade — the grader.
