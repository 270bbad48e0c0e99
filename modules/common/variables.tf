variable "environment" {
  description = "Environment name from the spec: lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.environment))
    error_message = "The environment name must be DNS-safe: lowercase letters, digits and hyphens, starting with a letter, at most 40 characters."
  }
}

variable "tags" {
  description = "Tags idp derived for every resource (idp:*, cost-center, organisation and spec tags)."
  type        = map(string)

  validation {
    condition     = length(var.tags) <= 50
    error_message = "AWS allows at most 50 tags per resource."
  }
}

variable "create_kms_key" {
  description = "Create a customer-managed KMS key (rotated yearly) for logs and data of this environment."
  type        = bool
  default     = false
}
