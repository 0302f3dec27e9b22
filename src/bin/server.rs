//! TODO(skeleton): the reference `server` — replaced by the reference-programs work.
fn main() {
    eprintln!("server: not written yet");
    std::process::exit(1);
}
