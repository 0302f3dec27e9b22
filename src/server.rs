//! TODO(skeleton): server — owned by the reference-programs work.
