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

variable "purpose" {
  description = "What the bucket holds, in its name (uploads, assets, …): lowercase letters, digits and hyphens, at most 10 characters so the bucket prefix stays within S3's 37."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,9}$", var.purpose))
    error_message = "purpose must be 1 to 10 lowercase letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "versioning" {
  description = "Keep every version of every object (noncurrent versions expire after noncurrent_version_expiration_days)."
  type        = bool
  default     = true
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object's old version is kept when versioning is on."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "noncurrent_version_expiration_days must be between 1 and 3650."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules by prefix: move objects to Standard-IA after transition_to_ia_days and/or delete them after expiration_days (null leaves them)."
  type = list(object({
    id                    = string
    prefix                = optional(string, "")
    transition_to_ia_days = optional(number)
    expiration_days       = optional(number)
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : can(regex("^[A-Za-z0-9-_.]{1,64}$", r.id))])
    error_message = "each lifecycle rule id must be 1 to 64 letters, digits, hyphens, underscores or dots."
  }

  validation {
    condition     = length(distinct([for r in var.lifecycle_rules : r.id])) == length(var.lifecycle_rules)
    error_message = "lifecycle rule ids must be unique."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.transition_to_ia_days == null || try(r.transition_to_ia_days >= 30, false)])
    error_message = "transition_to_ia_days must be at least 30 (S3's minimum for Standard-IA)."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.expiration_days == null || try(r.expiration_days >= 1, false)])
    error_message = "expiration_days must be at least 1."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.transition_to_ia_days != null || r.expiration_days != null])
    error_message = "each lifecycle rule needs transition_to_ia_days, expiration_days or both."
  }
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS, or null for SSE-S3 (AES-256, which CloudFront's origin access control can read without a key policy)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let destroy delete a bucket that still holds objects (previews); false makes destroy fail on a non-empty bucket."
  type        = bool
  default     = false
}

variable "environment_variable" {
  description = "Name of the container environment variable that carries the bucket name."
  type        = string
  default     = "BUCKET_NAME"

  validation {
    condition     = can(regex("^[A-Z_][A-Z0-9_]*$", var.environment_variable))
    error_message = "environment_variable must be upper-case letters, digits and underscores, not starting with a digit."
  }
}

variable "static_site" {
  description = "Serve the bucket publicly through a CloudFront distribution that alone may read it (origin access control); the bucket itself stays private."
  type        = bool
  default     = false
}

variable "site_aliases" {
  description = "Host names the distribution answers to (needs site_certificate_arn); empty serves only the cloudfront.net name."
  type        = list(string)
  default     = []
}

variable "site_certificate_arn" {
  description = "ACM certificate in us-east-1 covering site_aliases, or null for CloudFront's own certificate."
  type        = string
  default     = null

  validation {
    condition     = var.site_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", var.site_certificate_arn))
    error_message = "site_certificate_arn must be an ACM certificate in us-east-1 (CloudFront reads certificates only there)."
  }
}

variable "site_default_root_object" {
  description = "Object CloudFront returns for the site's root."
  type        = string
  default     = "index.html"
}

variable "site_price_class" {
  description = "CloudFront edge locations: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.site_price_class)
    error_message = "site_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "prior_task_policy_json" {
  description = "Task policy the calls before this one in the template's chain grant (their task_policy_json), or null for the first; task_policy_json adds this bucket's grant."
  type        = string
  default     = null
}

variable "prior_task_environment" {
  description = "Container environment of the calls before this one in the chain (their task_environment); task_environment adds this bucket's variable."
  type        = map(string)
  default     = {}
}

variable "task_access" {
  description = "What the service's task role may do with the bucket through task_policy_json: read-write (list; get, put and delete objects), read-only (list; get objects) or none."
  type        = string
  default     = "read-write"

  validation {
    condition     = contains(["read-write", "read-only", "none"], var.task_access)
    error_message = "task_access must be read-write, read-only or none."
  }
}
