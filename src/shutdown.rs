//! TODO(skeleton): shutdown — owned by the reference-programs work.
