//! A look at a Python program's imports, for one mistake that behaviour
//! alone names wrongly: importing another program of the submission whose
//! top level runs its server.
//!
//! Code at a module's top level runs whenever another file imports it. A
//! threaded server that takes the message rules from the one-shot server
//! (`from server import make_reply`), where that file has no
//! `if __name__ == "__main__":` guard, runs the whole one-shot server at the
//! import: it listens, serves one client, and then either exits (the
//! threaded code never runs: seen as a server that "exits early", "serves
//! one at a time", "ignores SIGINT") or returns, and the threaded server
//! announces a second listener. Blind round 22: one mistake, five names,
//! which changed from run to run. The grader still judges behaviour; this
//! only names the cause of failures the program already had.
//!
//! Read-only and bounded: regular files at the top of the submission's
//! folder only, read with `sandbox::read_untrusted` (never through a link,
//! never a FIFO or a device, nothing over [`MAX_SOURCE`]), never run; shown
//! only as the one line that runs the server, its control characters
//! escaped.

use std::path::Path;

/// A source file larger than this is not read.
const MAX_SOURCE: u64 = 1 << 20;

/// What runs a server at an import: `importer` imports `module`, the
/// program `script`, whose top-level line `line` (number `line_no`)
/// starts serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAtImport {
    pub importer: String,
    pub module: String,
    pub script: String,
    pub line_no: usize,
    pub line: String,
}

/// The Python script a command runs (`python3 server.py`, `./server.py`,
/// `python3 -u server.py 5000`): its first argument ending in `.py`.
pub fn script_of(command: &[String]) -> Option<&str> {
    command
        .iter()
        .map(String::as_str)
        .find(|arg| arg.ends_with(".py") && !arg.starts_with('-'))
}

/// Does the program `importer` (a command in `dir`) import one of the
/// `servers` (other programs' commands) whose top level runs a server?
pub fn server_run_at_import(
    dir: &Path,
    importer: &[String],
    servers: &[&[String]],
) -> Option<ServerAtImport> {
    let importer = script_of(importer)?;
    let text = read_source(dir, importer)?;
    let modules = imported_modules(&text);
    servers.iter().find_map(|command| {
        let script = script_of(command)?;
        let module = module_name(script)?;
        if script == importer || !modules.iter().any(|m| m == module) {
            return None;
        }
        let (line_no, line) = top_level_server(&read_source(dir, script)?)?;
        Some(ServerAtImport {
            importer: importer.to_string(),
            module: module.to_string(),
            script: script.to_string(),
            line_no,
            line,
        })
    })
}

/// A script's module name: `server.py` → `server` (a script in a
/// subfolder is imported by another name, if at all: none).
fn module_name(script: &str) -> Option<&str> {
    let stem = script
        .strip_prefix("./")
        .unwrap_or(script)
        .strip_suffix(".py")?;
    let valid = !stem.is_empty()
        && !stem.starts_with(|c: char| c.is_ascii_digit())
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(stem)
}

/// A regular file at the top of `dir`, read whole, if small (lossy: a
/// byte that is not UTF-8 does not hide the rest).
fn read_source(dir: &Path, name: &str) -> Option<String> {
    // At the folder's top only: a folder on the way could be a link out.
    let name = name.strip_prefix("./").unwrap_or(name);
    if name.contains(['/', '\\']) {
        return None;
    }
    // The checked read: the folder's programs may still run and swap the
    // file for a FIFO, a link or `/dev/zero` between a look and a read
    // (hostile round 23: the grader hung in open(), or read until the OOM
    // killer came, or, as root, quoted a root-only file through a link).
    let bytes = crate::sandbox::read_untrusted(&dir.join(name), MAX_SOURCE).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The top-level names a source imports: `import a, b.c as d` gives `a`
/// and `b`; `from a.b import x` gives `a`; relative imports give none.
fn imported_modules(text: &str) -> Vec<String> {
    let mut modules = Vec::new();
    // Inside a triple-quoted string (a docstring) a line is no import
    // (hostile round 23: `import server` in a docstring renamed every
    // failure of the program).
    let mut quoted: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim();
        let opened = quoted;
        for quote in ["\"\"\"", "\'\'\'"] {
            if quoted.is_none_or(|q| q == quote) && line.matches(quote).count() % 2 == 1 {
                quoted = if quoted.is_some() { None } else { Some(quote) };
            }
        }
        if opened.is_some() || quoted.is_some() {
            continue;
        }
        let code = line.split('#').next().unwrap_or("");
        if let Some(rest) = code.strip_prefix("import ") {
            for part in rest.split(',') {
                let name = part.split_whitespace().next().unwrap_or("");
                modules.push(name.split('.').next().unwrap_or("").to_string());
            }
        } else if let Some(rest) = code.strip_prefix("from ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            if !name.starts_with('.') {
                modules.push(name.split('.').next().unwrap_or("").to_string());
            }
        }
    }
    modules.retain(|m| !m.is_empty());
    modules
}

/// The first top-level line (no indentation) that starts a server when
/// the file runs, imported or not: a socket's `listen(`/`accept(`, a
/// `serve_forever(`, an `asyncio.run(`, or a call of the program's main
/// function (`main()`, `sys.exit(main())`). `None` when the file guards its
/// top level with `if __name__ == "__main__":`, or nothing there serves.
fn top_level_server(text: &str) -> Option<(usize, String)> {
    let guarded = text
        .lines()
        .any(|l| l.starts_with("if __name__") && l.contains("__main__"));
    if guarded {
        return None;
    }
    text.lines().enumerate().find_map(|(i, line)| {
        let code = line.split('#').next().unwrap_or("").trim_end();
        let top = !code.is_empty() && !code.starts_with(char::is_whitespace);
        let serves = [".listen(", ".accept(", "serve_forever(", "asyncio.run("]
            .iter()
            .any(|call| code.contains(call))
            || is_main_call(code);
        (top && serves).then(|| (i + 1, code.trim().to_string()))
    })
}

/// `main()`, `run()`, `sys.exit(main())`, `raise SystemExit(main())`: a
/// top-level call of a function that runs the program.
fn is_main_call(code: &str) -> bool {
    let inner = code
        .strip_prefix("sys.exit(")
        .or_else(|| code.strip_prefix("raise SystemExit("))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(code);
    ["main()", "run()", "serve()", "start()"]
        .iter()
        .any(|call| inner.trim() == *call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(words: &str) -> Vec<String> {
        words.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_server_whose_top_level_serves_is_found_through_its_import() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("server.py"),
            "import socket\n\ndef make_reply(m):\n    return 'ACK: ' + m\n\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen(1)  # one client\nconn, _ = s.accept()\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("server_threaded.py"),
            "import socket, threading\nfrom server import make_reply\n",
        )
        .unwrap();
        let server = command("python3 server.py");
        let found = server_run_at_import(
            dir.path(),
            &command("python3 -u server_threaded.py"),
            &[&server],
        )
        .expect("found");
        assert_eq!(found.module, "server");
        assert_eq!((found.line_no, found.line.as_str()), (8, "s.listen(1)"));
        // The program itself is no import of its own.
        assert_eq!(server_run_at_import(dir.path(), &server, &[&server]), None);
    }

    #[test]
    fn a_guarded_or_quiet_module_runs_nothing_at_its_import() {
        let guarded =
            "def main():\n    s.listen(1)\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n";
        assert_eq!(top_level_server(guarded), None);
        // Functions only, called by nobody at the top.
        assert_eq!(top_level_server("def serve():\n    s.listen(1)\n"), None);
        assert_eq!(
            top_level_server("import sys\ndef main():\n    pass\nsys.exit(main())\n"),
            Some((4, "sys.exit(main())".to_string()))
        );
        assert_eq!(
            top_level_server("main()\n"),
            Some((1, "main()".to_string()))
        );
    }

    #[test]
    fn imports_are_read_in_every_form() {
        let text = "import os, sys as system\nfrom server import a, b\nfrom .local import x\n    import config  # inside a function\n\"\"\"Notes:\nimport hidden\n\"\"\"\nfrom pkg.sub import y\n";
        assert_eq!(
            imported_modules(text),
            ["os", "sys", "server", "config", "pkg"]
        );
        assert_eq!(module_name("./server.py"), Some("server"));
        assert_eq!(module_name("lab/server.py"), None);
        assert_eq!(module_name("1st.py"), None);
    }

    #[test]
    fn only_small_regular_files_of_the_folder_are_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_source(dir.path(), "../etc/passwd"), None);
        assert_eq!(read_source(dir.path(), "/etc/passwd"), None);
        assert_eq!(read_source(dir.path(), "sub/server.py"), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link.py")).unwrap();
            assert_eq!(read_source(dir.path(), "link.py"), None);
            // A FIFO is refused, not waited on (a writer never comes).
            let fifo = dir.path().join("fifo.py");
            nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
            assert_eq!(read_source(dir.path(), "fifo.py"), None);
            std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.py")).unwrap();
            assert_eq!(read_source(dir.path(), "zero.py"), None);
        }
        std::fs::write(dir.path().join("ok.py"), "x = 1\n").unwrap();
        assert_eq!(read_source(dir.path(), "ok.py").as_deref(), Some("x = 1\n"));
        assert_eq!(
            read_source(dir.path(), "./ok.py").as_deref(),
            Some("x = 1\n")
        );
    }
}
