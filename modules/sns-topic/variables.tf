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
  description = "What the topic announces, in its name (orders, alerts, …): lowercase letters, digits and hyphens, at most 30 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}$", var.purpose))
    error_message = "purpose must be 1 to 30 lowercase letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "fifo" {
  description = "A FIFO topic: ordered, deduplicated delivery to FIFO queues (no e-mail subscribers)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key for the messages at rest, or null for the AWS-managed key alias/aws/sns."
  type        = string
  default     = null
}

variable "email_subscribers" {
  description = "E-mail addresses subscribed to the topic (each confirms by mail before it receives anything)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.email_subscribers : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "each email_subscribers entry must be an e-mail address."
  }
}

variable "sqs_subscriber_arns" {
  description = "SQS queues subscribed to the topic with raw message delivery (each queue's policy must let this topic send)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.sqs_subscriber_arns : can(regex("^arn:aws[a-z-]*:sqs:", a))])
    error_message = "each sqs_subscriber_arns entry must be an SQS queue ARN."
  }
}

variable "environment_variable" {
  description = "Name of the container environment variable that carries the topic ARN."
  type        = string
  default     = "TOPIC_ARN"

  validation {
    condition     = can(regex("^[A-Z_][A-Z0-9_]*$", var.environment_variable))
    error_message = "environment_variable must be upper-case letters, digits and underscores, not starting with a digit."
  }
}

variable "prior_task_policy_json" {
  description = "Task policy the calls before this one in the template's chain grant (their task_policy_json), or null for the first; task_policy_json adds its permission to publish."
  type        = string
  default     = null
}

variable "prior_task_environment" {
  description = "Container environment of the calls before this one in the chain (their task_environment); task_environment adds this topic's variable."
  type        = map(string)
  default     = {}
}
