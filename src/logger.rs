//! TODO(skeleton): logger — owned by the reference-programs work.
