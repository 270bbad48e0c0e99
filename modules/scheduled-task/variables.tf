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
  description = "KMS key for the log group, or null for CloudWatch's own encryption."
  type        = string
  default     = null
}
variable "command" {
  description = "Command overriding the image's default; empty keeps the image's."
  type        = list(string)
  default     = []
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)."
  type        = string

  validation {
    condition     = can(regex("^(cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|at\\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(6 fields), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss)."
  }
}

variable "timezone" {
  description = "IANA time zone the cron expression is read in."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule fires."
  type        = bool
  default     = true
}

variable "retry_attempts" {
  description = "Times the scheduler retries a failed invocation before dead-lettering it (0 to 185)."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 185
    error_message = "retry_attempts must be between 0 and 185."
  }
}
