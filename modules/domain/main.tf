# A public host name for an environment: an ACM certificate validated through DNS records in
# the given Route 53 zone, and alias records (A, and AAAA with ipv6) that point the names at the load
# balancer. certificate_arn is read from the validation, so a listener that uses it waits
# until the certificate is issued.
#
# The certificate lives in the provider's region: a load balancer's. A CloudFront
# distribution needs one issued in us-east-1 (call the module with a provider there).

locals {
  names = concat([var.domain_name], var.subject_alternative_names)
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"
  tags                      = var.tags

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  # A listener holds the certificate: the new one must exist before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => o
  }
  zone_id         = var.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  ttl             = 300
  records         = [each.value.resource_record_value]
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_route53_record" "alias" {
  for_each = var.alias_target == null ? {} : {
    for pair in setproduct(local.names, var.ipv6 ? ["A", "AAAA"] : ["A"]) : "${pair[0]} ${pair[1]}" => { name = pair[0], type = pair[1] }
  }
  zone_id = var.zone_id
  name    = each.value.name
  type    = each.value.type

  alias {
    name                   = var.alias_target.dns_name
    zone_id                = var.alias_target.zone_id
    evaluate_target_health = true
  }
}
