//! `spotify-mcp-operator`: `crd` prints the CustomResourceDefinition.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use spotify_mcp_operator::crd;

#[derive(Parser)]
#[command(
    name = "spotify-mcp-operator",
    version,
    about = "Kubernetes operator for spotify-mcp servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SpotifyMcp CustomResourceDefinition as YAML (kubectl apply -f -).
    Crd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => match crd::yaml::to_yaml(&crd::crd()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
