//! `spotify-mcp-server`: parses the command line and runs the chosen mode.

use std::process::ExitCode;

use spotify_mcp_server::app;
use spotify_mcp_server::config::Cli;
// The musl image's `memcpy` (linked with `-Wl,--wrap=memcpy`, build.rs).
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
use spotify_mcp_musl_memcpy as _;

/// mimalloc instead of the C library's malloc, in every build (glibc and the musl image): malloc
/// and free were a quarter of the server's time on a cached call over HTTP, and glibc's
/// per-thread arenas let the cache's churn creep RSS past its budget (BENCHMARKS.md, "Pace
/// against Spotify and over HTTP" and "Cache budget"). Built without transparent huge pages
/// (`no_thp`), which otherwise cost ~10 MiB of idle RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(app::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
