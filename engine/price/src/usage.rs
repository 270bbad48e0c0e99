//! Usage-type spelling: the one canonical name per priced thing, whatever region prefix or
//! regional variant an offer file writes, and whatever older spelling a pinned template
//! still emits. The book, its lookups and `idp pricing refresh` all go through here, so a
//! spelling is normalised in one place and never in the plugins.

use std::borrow::Cow;

/// Offer files' usage-type prefixes of the regions idp knows (`USE1-NatGateway-Hours`).
/// A prefix is stripped only when it is the asked region's: `TS-LoadBalancerUsage` and
/// `Outposts-…` are other products that share a suffix, not prefixed spellings.
const PREFIXES: &[(&str, &str)] = &[
    ("us-east-1", "USE1"),
    ("us-east-2", "USE2"),
    ("us-west-1", "USW1"),
    ("us-west-2", "USW2"),
    ("ca-central-1", "CAN1"),
    ("eu-west-1", "EU"),
    ("eu-west-2", "EUW2"),
    ("eu-west-3", "EUW3"),
    ("eu-central-1", "EUC1"),
    ("eu-north-1", "EUN1"),
    ("ap-southeast-1", "APS1"),
    ("ap-southeast-2", "APS2"),
    ("ap-northeast-1", "APN1"),
    ("ap-northeast-2", "APN2"),
    ("ap-south-1", "APS3"),
    ("sa-east-1", "SAE1"),
];

/// Spellings that name the same thing as a canonical usage type: `(service code, variant,
/// canonical)`. Secrets Manager's offer for ap-southeast-1 says `-Secret`; templates built
/// before the scheduled-worker fix say `Scheduler-Invocation`, which no offer file has.
const VARIANTS: &[(&str, &str, &str)] = &[
    (
        "AWSSecretsManager",
        "AWSSecretsManager-Secret",
        "AWSSecretsManager-Secrets",
    ),
    ("AWSEvents", "Scheduler-Invocation", "ScheduledInvocation"),
];

/// The region's offer-file prefix, when idp knows it.
pub fn region_prefix(region: &str) -> Option<&'static str> {
    PREFIXES.iter().find(|(r, _)| *r == region).map(|(_, p)| *p)
}

/// The canonical usage type of `usage_type` as an offer file for `region` (or a template)
/// writes it: without the region's prefix (`EU-`, or the region code itself as KMS writes
/// `us-east-1-KMS-Keys`) and with regional variants folded.
pub fn canonical<'u>(region: &str, service_code: &str, usage_type: &'u str) -> Cow<'u, str> {
    let bare = region_prefix(region)
        .and_then(|p| usage_type.strip_prefix(p)?.strip_prefix('-'))
        .or_else(|| usage_type.strip_prefix(region)?.strip_prefix('-'))
        .unwrap_or(usage_type);
    match VARIANTS
        .iter()
        .find(|(s, variant, _)| *s == service_code && *variant == bare)
    {
        Some((_, _, canonical)) => Cow::Borrowed(canonical),
        None => Cow::Borrowed(bare),
    }
}

/// What `idp pricing refresh` asks the Price List API to contain: the shortest stem every
/// regional spelling of the canonical usage type has (`AWSSecretsManager-Secret` finds the
/// singular and the plural); [`canonical`] then keeps the exact ones.
pub fn query_stem<'u>(service_code: &str, usage_type: &'u str) -> &'u str {
    VARIANTS
        .iter()
        .filter(|(s, _, c)| *s == service_code && *c == usage_type)
        .map(|(_, variant, _)| *variant)
        .filter(|v| usage_type.starts_with(v))
        .fold(usage_type, |stem, v| &stem[..v.len().min(stem.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regions_prefix_comes_off_and_no_other() {
        let c = |r, s, u| canonical(r, s, u).into_owned();
        assert_eq!(
            c("us-east-1", "AmazonEC2", "USE1-NatGateway-Hours"),
            "NatGateway-Hours"
        );
        assert_eq!(
            c("eu-west-1", "AmazonRDS", "EU-RDS:GP3-Storage"),
            "RDS:GP3-Storage"
        );
        assert_eq!(c("us-east-1", "awskms", "us-east-1-KMS-Keys"), "KMS-Keys");
        assert_eq!(
            c("us-east-1", "AWSELB", "LoadBalancerUsage"),
            "LoadBalancerUsage"
        );
        // Decoys that share a suffix stay themselves, so they never match.
        assert_eq!(
            c("us-east-1", "AWSELB", "USE1-TS-LoadBalancerUsage"),
            "TS-LoadBalancerUsage"
        );
        assert_eq!(
            c("eu-west-2", "AWSELB", "EUW2-Outposts-LCUUsage"),
            "Outposts-LCUUsage"
        );
        // Another region's prefix is not this region's.
        assert_eq!(
            c("eu-west-1", "AmazonEC2", "USE1-NatGateway-Hours"),
            "USE1-NatGateway-Hours"
        );
    }

    #[test]
    fn regional_and_legacy_spellings_fold_into_one() {
        assert_eq!(
            canonical(
                "ap-southeast-1",
                "AWSSecretsManager",
                "APS1-AWSSecretsManager-Secret"
            ),
            "AWSSecretsManager-Secrets"
        );
        assert_eq!(
            canonical("us-east-1", "AWSEvents", "Scheduler-Invocation"),
            "ScheduledInvocation"
        );
        assert_eq!(
            canonical("eu-west-2", "AWSEvents", "EUW2-ScheduledInvocation"),
            "ScheduledInvocation"
        );
        // A variant of one service is not folded in another.
        assert_eq!(
            canonical("us-east-1", "AmazonEC2", "AWSSecretsManager-Secret"),
            "AWSSecretsManager-Secret"
        );
    }

    #[test]
    fn the_query_finds_every_spelling() {
        assert_eq!(
            query_stem("AWSSecretsManager", "AWSSecretsManager-Secrets"),
            "AWSSecretsManager-Secret"
        );
        assert_eq!(
            query_stem("AWSEvents", "ScheduledInvocation"),
            "ScheduledInvocation"
        );
        assert_eq!(
            query_stem("AmazonEC2", "NatGateway-Hours"),
            "NatGateway-Hours"
        );
    }
}
