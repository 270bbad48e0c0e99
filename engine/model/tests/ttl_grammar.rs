//! The host's `Ttl` reads every case of the TTL table it shares with the guest SDK
//! (plugins/sdk/tests/ttl-cases.txt), so a plugin's durations mean what a spec's `ttl` means.

#[path = "../../../plugins/sdk/tests/ttl_table/mod.rs"]
mod ttl_table;

use idp_model::Ttl;

#[test]
fn the_host_agrees_with_the_shared_ttl_table() {
    ttl_table::check(
        |text| {
            let ttl: Ttl = text.parse().map_err(|e| format!("{e}"))?;
            Ok((ttl.seconds(), ttl.to_string()))
        },
        |seconds| Ttl::Seconds(seconds).to_string(),
    );
}
