//! TODO(skeleton): chat — owned by the reference-programs work.
