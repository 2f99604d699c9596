//! Operator settings shared by the binary and the builders.

/// Registry path of the server image; the tag defaults to this crate's version.
pub const SERVER_IMAGE_REPOSITORY: &str = "ghcr.io/spotify-mcp/spotify-mcp-server";

/// The image a `SpotifyMcp` without `spec.image` runs: the server release matching this operator.
pub fn default_server_image() -> String {
    format!("{SERVER_IMAGE_REPOSITORY}:{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_image_is_pinned_to_the_release() {
        let image = super::default_server_image();
        assert!(image.starts_with("ghcr.io/spotify-mcp/spotify-mcp-server:"));
        assert!(!image.ends_with(":latest"));
    }
}
