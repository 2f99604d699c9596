//! Prints the README's flag table from the CLI definitions (see `spotify_mcp_server::docs`);
//! `--write README.md` splices it in between the markers. Run by `scripts/generate.sh`.

fn main() -> std::process::ExitCode {
    let table = spotify_mcp_server::docs::flag_table();
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => {
            print!("{table}");
            std::process::ExitCode::SUCCESS
        }
        (Some("--write"), Some(path)) => {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("reading {path}: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            let Some(updated) = spotify_mcp_server::docs::splice(&text, &table) else {
                eprintln!("{path} has no flags markers");
                return std::process::ExitCode::FAILURE;
            };
            if let Err(e) = std::fs::write(&path, updated) {
                eprintln!("writing {path}: {e}");
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: flag_table [--write README.md]");
            std::process::ExitCode::from(2)
        }
    }
}
