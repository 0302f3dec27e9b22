//! TODO(skeleton): trace — packets of a real session.
