variable "name" {
  description = "Name prefix from the common module (at most 25 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 25
    error_message = "name must be at most 25 characters so that derived names stay within AWS limits."
  }
}
variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}
variable "region" {
  description = "AWS region, for the log configuration."
  type        = string
}
variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}
variable "private_subnet_ids" {
  description = "Subnets of the tasks."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids needs at least one subnet."
  }
}
variable "image" {
  description = "Container image reference."
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0
    error_message = "image must not be empty."
  }
}
variable "cpu" {
  description = "Fargate CPU units per task."
  type        = number

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}
variable "memory" {
  description = "Memory per task in MiB (a size Fargate offers for the CPU; the template checks the pair)."
  type        = number

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && var.memory % 512 == 0
    error_message = "memory must be between 512 and 122880 MiB, in multiples of 512."
  }
}
variable "cpu_architecture" {
  description = "X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}
variable "environment_variables" {
  description = "Plain environment variables of the container (no secrets)."
  type        = map(string)
  default     = {}
}
variable "task_policy_json" {
  description = "IAM policy of the task role (what the container may do); null grants nothing."
  type        = string
  default     = null
}
variable "read_only_root_filesystem" {
  description = "Mount the container's root filesystem read-only."
  type        = bool
  default     = true
}
variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, … 3653)."
  }
}
variable "kms_key_arn" {
  description = "KMS key for the log group and the dead-letter queue, or null for CloudWatch's and SQS's own encryption (a customer key must let events.amazonaws.com use it)."
  type        = string
  default     = null
}
variable "command" {
  description = "Command overriding the image's default; empty keeps the image's."
  type        = list(string)
  default     = []
}

variable "event_pattern" {
  description = "EventBridge event pattern (JSON) that starts the task, e.g. {\"source\":[\"aws.s3\"],\"detail-type\":[\"Object Created\"]}."
  type        = string

  validation {
    condition     = try(length(keys(jsondecode(var.event_pattern))) > 0, false)
    error_message = "event_pattern must be a non-empty JSON object."
  }
}

variable "event_bus_name" {
  description = "Event bus the rule listens on."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,256}$", var.event_bus_name))
    error_message = "event_bus_name must be 1 to 256 letters, digits, dots, hyphens, underscores or slashes."
  }
}

variable "enabled" {
  description = "Whether the rule starts tasks."
  type        = bool
  default     = true
}

variable "event_fields" {
  description = "Scalar fields of the matched event passed to the container as environment variables: name => JSON path (e.g. OBJECT_KEY = \"$.detail.object.key\"). The event's id, source, detail-type and time always arrive as IDP_EVENT_ID, IDP_EVENT_SOURCE, IDP_EVENT_DETAIL_TYPE and IDP_EVENT_TIME."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(var.event_fields) <= 96
    error_message = "event_fields takes at most 96 fields (EventBridge allows 100 input paths; four are the event's own)."
  }

  validation {
    condition     = alltrue([for k, v in var.event_fields : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && !startswith(k, "IDP_")])
    error_message = "event_fields names must be upper-case letters, digits and underscores, not starting with a digit or IDP_."
  }

  validation {
    condition     = alltrue([for v in values(var.event_fields) : can(regex("^\\$(\\.[A-Za-z0-9_-]+|\\[[0-9]+\\])+$", v))])
    error_message = "event_fields paths must be JSON paths in dot notation, e.g. $.detail.object.key or $.resources[0]."
  }
}

variable "retry_attempts" {
  description = "Times EventBridge retries starting a task before dead-lettering the event (0 to 185)."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 185
    error_message = "retry_attempts must be between 0 and 185."
  }
}

variable "maximum_event_age_seconds" {
  description = "How long EventBridge keeps trying to deliver an event (60 seconds to 24 hours)."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400
    error_message = "maximum_event_age_seconds must be between 60 and 86400."
  }
}
