//! TODO(skeleton): ritual — owned by the reference-programs work.
