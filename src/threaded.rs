//! TODO(skeleton): threaded — owned by the reference-programs work.
