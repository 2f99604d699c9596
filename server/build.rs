//! The static musl build (the container image) links `memcpy` from `spotify-mcp-musl-memcpy`
//! instead of musl's, which is slow on short copies (that crate says why and what it measured).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if env == "musl" && arch == "x86_64" {
        println!("cargo::rustc-link-arg-bin=spotify-mcp-server=-Wl,--wrap=memcpy");
    }
}
