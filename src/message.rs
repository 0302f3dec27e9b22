//! TODO(skeleton): message — owned by the reference-programs work.
