variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds domain_name (the certificate's validation records go there too)."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "domain_name" {
  description = "Host name the environment answers to, e.g. api.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as api.example.com (no wildcard)."
  }
}

variable "subject_alternative_names" {
  description = "Further host names the certificate covers (in the same zone), e.g. www.example.com."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.subject_alternative_names : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", n))])
    error_message = "each subject alternative name must be a lowercase DNS name (no wildcard)."
  }

  validation {
    condition     = length(var.subject_alternative_names) <= 9
    error_message = "at most 9 subject alternative names (ACM's default quota is 10 names per certificate)."
  }
}

variable "alias_target" {
  description = "Load balancer (or CloudFront distribution) that domain_name and the alternative names point at: its DNS name and Route 53 zone ID; null creates only the certificate."
  type = object({
    dns_name = string
    zone_id  = string
  })
  default = null
}

variable "ipv6" {
  description = "Also create AAAA alias records (the target must be dual-stack)."
  type        = bool
  default     = false
}
