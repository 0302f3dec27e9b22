//! TODO(skeleton): the reference `chat_client` — replaced by the reference-programs work.
fn main() {
    eprintln!("chat_client: not written yet");
    std::process::exit(1);
}
