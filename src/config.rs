//! TODO(skeleton): config — owned by the reference-programs work.
