//! TODO(skeleton): client — owned by the reference-programs work.
