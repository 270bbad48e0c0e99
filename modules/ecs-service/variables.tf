variable "name" {
  description = "Name prefix from the common module (at most 25 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 25
    error_message = "name must be at most 25 characters so that load balancer and target group names stay within 32."
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

variable "vpc_cidr_block" {
  description = "CIDR of the VPC: the tasks may reach anything inside it (their database, for one)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer; unused when expose_http is false."
  type        = list(string)
  default     = []
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

variable "expose_http" {
  description = "Serve HTTP through an application load balancer; false for workers."
  type        = bool
  default     = true
}

variable "container_port" {
  description = "Port the container listens on (when expose_http)."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "container_port must be between 1 and 65535."
  }
}

variable "health_check_path" {
  description = "HTTP path the load balancer probes."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS; with one, port 80 redirects to 443."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (production)."
  type        = bool
  default     = false
}

variable "environment_variables" {
  description = "Plain environment variables of the container (no secrets)."
  type        = map(string)
  default     = {}
}

variable "linked_environment" {
  description = "Environment variables other modules provide (a database host, a queue URL)."
  type        = map(string)
  default     = {}
}

variable "secret_environment" {
  description = "Environment variables read from Secrets Manager at start: name to secret ARN, optionally with a JSON key (ARN:key::)."
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

variable "desired_count" {
  description = "Tasks to keep running; also the autoscaling minimum."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 100
    error_message = "desired_count must be between 1 and 100."
  }
}

variable "max_count" {
  description = "Most tasks autoscaling may run."
  type        = number
  default     = 2
}

variable "cpu_target" {
  description = "Average CPU utilisation (percent) autoscaling keeps the service at."
  type        = number
  default     = 60
}

variable "scale_on_queue" {
  description = "SQS queue name to scale on (backlog per task) instead of CPU."
  type        = string
  default     = null
}

variable "messages_per_task" {
  description = "Visible messages per running task that autoscaling aims for (with scale_on_queue)."
  type        = number
  default     = 10
}

variable "schedule" {
  description = "Hours the service runs (the environment's schedule): days (MON to SUN), start and stop (HH:MM, 24-hour) in an IANA timezone. Outside them it is scaled to zero; null runs it around the clock."
  type = object({
    days     = list(string)
    start    = string
    stop     = string
    timezone = string
  })
  default = null

  validation {
    condition = var.schedule == null || try(
      length(var.schedule.days) > 0 &&
      alltrue([for d in var.schedule.days : contains(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], d)]) &&
      can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.schedule.start)) &&
      can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.schedule.stop)) &&
      tonumber(replace(var.schedule.start, ":", "")) < tonumber(replace(var.schedule.stop, ":", "")) &&
      length(var.schedule.timezone) > 0,
      false
    )
    error_message = "schedule needs days among MON to SUN, start and stop as HH:MM with start before stop, and a timezone."
  }
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

variable "has_task_policy" {
  description = "Whether task_policy_json is set, when it is wired from another call and unknown until apply; null decides from task_policy_json itself."
  type        = bool
  default     = null
}

variable "https_listener" {
  description = "Whether certificate_arn is set, when it is wired from another call (the domain module) and unknown until apply; null decides from certificate_arn itself."
  type        = bool
  default     = null
}

variable "efs_volumes" {
  description = "EFS volumes of the task definition, as the efs module's task_volumes gives them (name, efsVolumeConfiguration with fileSystemId and authorizationConfig.accessPointId)."
  type        = any
  default     = []
}

variable "mount_points" {
  description = "Where the container mounts volumes: the volume's name (efs-<access point>) and an absolute path."
  type = list(object({
    volume = string
    path   = string
  }))
  default = []

  validation {
    condition     = alltrue([for m in var.mount_points : startswith(m.path, "/")])
    error_message = "each mount point path must be absolute."
  }
}
