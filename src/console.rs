//! TODO(skeleton): console — owned by the reference-programs work.
