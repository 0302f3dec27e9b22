//! TODO(skeleton): the reference `server_threaded` — replaced by the reference-programs work.
fn main() {
    eprintln!("server_threaded: not written yet");
    std::process::exit(1);
}
