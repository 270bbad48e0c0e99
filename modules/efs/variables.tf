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

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets that get a mount target each (one per availability zone)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids needs at least one subnet."
  }
}

variable "client_security_group_id" {
  description = "Security group of the service: the only one admitted on NFS (2049)."
  type        = string
}

variable "access_points" {
  description = "Access points by name: the directory each one roots its clients in (created with the given owner and permissions), and the POSIX user every client acts as."
  type = map(object({
    path        = string
    uid         = optional(number, 1000)
    gid         = optional(number, 1000)
    permissions = optional(string, "0750")
  }))
  default = {
    data = { path = "/data" }
  }

  validation {
    condition     = length(var.access_points) >= 1 && length(var.access_points) <= 10
    error_message = "access_points needs 1 to 10 entries (containers mount the file system only through one)."
  }

  validation {
    condition     = alltrue([for k in keys(var.access_points) : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", k))])
    error_message = "access point names must be 1 to 31 lowercase letters, digits or hyphens."
  }

  validation {
    condition     = alltrue([for a in values(var.access_points) : can(regex("^(/[A-Za-z0-9._-]+)+$", a.path))])
    error_message = "each access point path must be an absolute directory below the root, e.g. /data (not / itself)."
  }

  validation {
    condition     = alltrue([for a in values(var.access_points) : a.uid >= 1 && a.uid <= 4294967295 && a.gid >= 1 && a.gid <= 4294967295])
    error_message = "uid and gid must be between 1 and 4294967295: clients never act as root (0)."
  }

  validation {
    condition     = alltrue([for a in values(var.access_points) : can(regex("^0?[0-7]{3}$", a.permissions))])
    error_message = "permissions must be an octal mode such as 0750."
  }
}

variable "throughput_mode" {
  description = "elastic (pay per GB transferred, no sizing) or bursting (throughput grows with the data stored)."
  type        = string
  default     = "elastic"

  validation {
    condition     = contains(["elastic", "bursting"], var.throughput_mode)
    error_message = "throughput_mode must be elastic or bursting."
  }
}

variable "transition_to_ia" {
  description = "Move files not read for this long to Infrequent Access (AFTER_N_DAYS), or null to keep everything in Standard."
  type        = string
  default     = "AFTER_30_DAYS"

  validation {
    condition     = var.transition_to_ia == null || contains(["AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS"], var.transition_to_ia)
    error_message = "transition_to_ia must be null or one of AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS, AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS."
  }
}

variable "backup" {
  description = "Daily AWS Backup of the file system (staging and production)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key for the data at rest, or null for the AWS-managed key aws/elasticfilesystem."
  type        = string
  default     = null
}

variable "prior_task_policy_json" {
  description = "Task policy the calls before this one in the template's chain grant (their task_policy_json), or null for the first; task_policy_json adds its permission to mount through the access points."
  type        = string
  default     = null
}

variable "prior_task_environment" {
  description = "Container environment of the calls before this one in the chain (their task_environment); task_environment adds nothing (the mount is the interface)."
  type        = map(string)
  default     = {}
}
