variable "name" {
  description = "Name prefix from the common module (at most 25 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 25
    error_message = "name must be at most 25 characters."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}

variable "region" {
  description = "AWS region SES sends from, for the MAIL FROM domain's MX record."
  type        = string
}

variable "domain" {
  description = "Domain the application sends from, e.g. mail.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain))
    error_message = "domain must be a lowercase DNS name such as mail.example.com."
  }
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds domain: when set, the DKIM, SPF, MAIL FROM and DMARC records are created there; null leaves them to whoever runs the zone (dns_records lists them)."
  type        = string
  default     = null
}

variable "mail_from_subdomain" {
  description = "Subdomain of domain used as the MAIL FROM (bounce) domain, so that SPF aligns with the From address."
  type        = string
  default     = "bounce"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.mail_from_subdomain))
    error_message = "mail_from_subdomain must be one DNS label of lowercase letters, digits and hyphens."
  }
}

variable "dmarc_policy" {
  description = "What receivers do with mail that fails DMARC: none (report only), quarantine or reject."
  type        = string
  default     = "quarantine"

  validation {
    condition     = contains(["none", "quarantine", "reject"], var.dmarc_policy)
    error_message = "dmarc_policy must be none, quarantine or reject."
  }
}

variable "dmarc_report_address" {
  description = "Address that receives DMARC aggregate reports, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.dmarc_report_address == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.dmarc_report_address))
    error_message = "dmarc_report_address must be an e-mail address."
  }
}

variable "from_local_part" {
  description = "Local part of the address the application sends as (<from_local_part>@<domain>)."
  type        = string
  default     = "no-reply"

  validation {
    condition     = can(regex("^[A-Za-z0-9._+-]{1,64}$", var.from_local_part))
    error_message = "from_local_part must be 1 to 64 letters, digits, dots, underscores, plus signs or hyphens."
  }
}

variable "prior_task_policy_json" {
  description = "Task policy the calls before this one in the template's chain grant (their task_policy_json), or null for the first; task_policy_json adds its permission to send from the domain."
  type        = string
  default     = null
}

variable "prior_task_environment" {
  description = "Container environment of the calls before this one in the chain (their task_environment); task_environment adds this domain's variables."
  type        = map(string)
  default     = {}
}
