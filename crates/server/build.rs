//! The web assets are built by npm (`scripts/build-web`), not by cargo. Without them the embed below
//! would fail with a derive error about a missing folder; instead the build stops with one line that
//! says what to run.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pingan_web_dist_missing)");
    println!("cargo::rerun-if-changed=../../web/dist");
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if !dist.join("app.js").exists() {
        println!("cargo::rustc-cfg=pingan_web_dist_missing");
    }
}
