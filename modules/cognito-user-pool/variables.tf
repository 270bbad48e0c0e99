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
  description = "AWS region, for the issuer and hosted UI URLs."
  type        = string
}

variable "password_minimum_length" {
  description = "Shortest password accepted (8 to 99); passwords need lower- and upper-case letters, a digit and a symbol."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 8 and 99."
  }
}

variable "mfa" {
  description = "Second factor (an authenticator app, TOTP): OFF, OPTIONAL (each user chooses) or ON (everyone)."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa)
    error_message = "mfa must be OFF, OPTIONAL or ON."
  }
}

variable "self_sign_up" {
  description = "Let people create their own account; false leaves sign-up to administrators."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse deletion of the pool (and its users) until this is turned off (production)."
  type        = bool
  default     = false
}

variable "ses_identity_arn" {
  description = "SES identity to send the pool's mail from (ses-domain's identity_arn), or null for Cognito's own sender (50 mails a day)."
  type        = string
  default     = null

  validation {
    condition     = var.ses_identity_arn == null || can(regex("^arn:aws[a-z-]*:ses:", var.ses_identity_arn))
    error_message = "ses_identity_arn must be an SES identity ARN."
  }
}

variable "from_address" {
  description = "From address of the pool's mail when ses_identity_arn is set, e.g. no-reply@example.com."
  type        = string
  default     = null

  validation {
    condition     = var.from_address == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.from_address))
    error_message = "from_address must be an e-mail address."
  }
}

variable "app_clients" {
  description = "App clients by name: OAuth authorisation-code clients of the hosted UI, with where sign-in and sign-out return to, whether the client keeps a secret (a server) or not (a browser or mobile app), and its token lifetimes."
  type = map(object({
    callback_urls          = list(string)
    logout_urls            = optional(list(string), [])
    generate_secret        = optional(bool, false)
    access_token_minutes   = optional(number, 60)
    id_token_minutes       = optional(number, 60)
    refresh_token_days     = optional(number, 30)
    additional_scopes      = optional(list(string), [])
    explicit_password_auth = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.app_clients) : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", k))])
    error_message = "app client names must be 1 to 31 lowercase letters, digits or hyphens."
  }

  validation {
    condition = alltrue(flatten([for c in values(var.app_clients) : [
      for u in concat(c.callback_urls, c.logout_urls) : can(regex("^(https://|http://localhost[:/])", u))
    ]]))
    error_message = "callback and logout URLs must be https:// (http:// only for localhost)."
  }

  validation {
    condition     = alltrue([for c in values(var.app_clients) : length(c.callback_urls) >= 1])
    error_message = "each app client needs at least one callback URL."
  }

  validation {
    condition = alltrue([for c in values(var.app_clients) :
      c.access_token_minutes >= 5 && c.access_token_minutes <= 1440 &&
      c.id_token_minutes >= 5 && c.id_token_minutes <= 1440 &&
      c.refresh_token_days >= 1 && c.refresh_token_days <= 3650
    ])
    error_message = "access and ID tokens must last 5 to 1440 minutes, refresh tokens 1 to 3650 days."
  }
}

variable "domain_prefix" {
  description = "Prefix of the hosted UI's domain (<prefix>.auth.<region>.amazoncognito.com), unique in the region, or null for no hosted UI."
  type        = string
  default     = null

  validation {
    condition     = var.domain_prefix == null || can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain_prefix))
    error_message = "domain_prefix must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }

  validation {
    condition     = var.domain_prefix == null || !can(regex("aws|amazon|cognito", var.domain_prefix))
    error_message = "domain_prefix must not contain aws, amazon or cognito (Cognito refuses them)."
  }
}

variable "prior_task_policy_json" {
  description = "Task policy the calls before this one in the template's chain grant (their task_policy_json), or null for the first; task_policy_json adds the secret reader when grant_secret_reader is true."
  type        = string
  default     = null
}

variable "prior_task_environment" {
  description = "Container environment of the calls before this one in the chain (their task_environment); task_environment adds this pool's variables."
  type        = map(string)
  default     = {}
}

variable "grant_secret_reader" {
  description = "Add secret_reader_policy_json to task_policy_json: only when a client keeps a secret the service reads at start; the pool's admin calls are never granted."
  type        = bool
  default     = false
}
