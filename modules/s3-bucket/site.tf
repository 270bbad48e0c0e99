# The optional public face of the bucket: CloudFront over HTTPS, reading the private bucket
# through an origin access control (SigV4-signed requests), with AWS's managed caching and
# its own security-header policy.

locals {
  # AWS-managed policies, the same ID in every account.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  origin_id                   = "s3-${var.purpose}"
}

resource "aws_cloudfront_origin_access_control" "site" {
  count                             = var.static_site ? 1 : 0
  name                              = "${var.name}-${var.purpose}"
  description                       = "CloudFront reads the ${var.purpose} bucket of ${var.name}."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "site" {
  count   = var.static_site ? 1 : 0
  name    = "${var.name}-${var.purpose}"
  comment = "Security headers of the ${var.purpose} site of ${var.name}."

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "site" {
  count               = var.static_site ? 1 : 0
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "${var.name} ${var.purpose}"
  default_root_object = var.site_default_root_object
  aliases             = var.site_aliases
  price_class         = var.site_price_class
  http_version        = "http2and3"
  tags                = var.tags

  #checkov:skip=CKV_AWS_68:A WAF web ACL is an organisation-wide decision (and a fixed monthly cost); the distribution serves static files only.
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68); the origin is S3, which runs no Log4j.
  #checkov:skip=CKV_AWS_86:Standard logs need a log bucket per account; CloudFront's metrics cover a static site, the organisation adds logging centrally.
  #checkov:skip=CKV_AWS_310:One origin: the bucket is regional and durable, a failover origin would be a second bucket to keep in sync.
  #checkov:skip=CKV_AWS_374:A public site is for everyone; geo restriction is a legal decision the spec does not express.
  #checkov:skip=CKV2_AWS_42:A custom certificate follows var.site_certificate_arn; without aliases the cloudfront.net certificate is the only valid one.
  #checkov:skip=CKV_AWS_174:With a custom certificate the minimum is TLSv1.2_2021; CloudFront's own certificate cannot set a minimum.

  origin {
    origin_id                = local.origin_id
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site[0].id
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.site[0].id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.site_certificate_arn == null
    acm_certificate_arn            = var.site_certificate_arn
    ssl_support_method             = var.site_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.site_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }

  lifecycle {
    precondition {
      condition     = length(var.site_aliases) == 0 || var.site_certificate_arn != null
      error_message = "site_aliases need site_certificate_arn: CloudFront serves a host name only with a certificate for it."
    }
  }
}
