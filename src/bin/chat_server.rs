//! TODO(skeleton): the reference `chat_server` — replaced by the reference-programs work.
fn main() {
    eprintln!("chat_server: not written yet");
    std::process::exit(1);
}
