//! The SDK's `Ttl` reads every case of `ttl-cases.txt` as the host's `idp_model::Ttl` does
//! (engine/model/tests/ttl_grammar.rs runs the same table against the host).

mod ttl_table;

use idp_plugin_sdk::Ttl;

#[test]
fn the_sdk_agrees_with_the_shared_ttl_table() {
    ttl_table::check(
        |text| {
            let ttl: Ttl = text.parse().map_err(|e| format!("{e}"))?;
            Ok((ttl.seconds(), ttl.to_string()))
        },
        |seconds| Ttl::Seconds(seconds).to_string(),
    );
}
