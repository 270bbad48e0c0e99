variable "environment" {
  description = "Environment name; every secret is named `<environment>/<name>`."
  type        = string
}

variable "secrets" {
  description = "Names of the secrets to create (letters, digits and `-`)."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.secrets : can(regex("^[a-z0-9-]{1,64}$", s))])
    error_message = "each secret name must be 1-64 lowercase letters, digits or dashes."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once; 7 to 30 otherwise)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the secrets; null uses the account's aws/secretsmanager key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}
