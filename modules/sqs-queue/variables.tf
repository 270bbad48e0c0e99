variable "name" {
  description = "Name prefix from the common module (the dead-letter queue adds -dlq)."
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

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden; longer than the worker's slowest message."
  type        = number
  default     = 60

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200 (12 hours)."
  }
}

variable "message_retention_seconds" {
  description = "How long an unprocessed message is kept (60 seconds to 14 days)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives before a message moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "kms_key_arn" {
  description = "KMS key for both queues, or null for SQS-managed encryption."
  type        = string
  default     = null
}
