//! TODO(skeleton): the reference `client` — replaced by the reference-programs work.
fn main() {
    eprintln!("client: not written yet");
    std::process::exit(1);
}
