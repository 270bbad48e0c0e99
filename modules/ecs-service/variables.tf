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

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks."
  type        = list(string)
}

variable "image" {
  description = "Container image reference."
  type        = string
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
  description = "Memory per task in MiB (a size Fargate offers for the CPU)."
  type        = number
}

variable "container_port" {
  description = "Port the container listens on."
  type        = number
  default     = 8080
}

variable "desired_count" {
  description = "Tasks to keep running; autoscaling may go up to twice as many."
  type        = number
  default     = 1
}

variable "health_check_path" {
  description = "HTTP path the load balancer probes."
  type        = string
  default     = "/health"
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

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 14
}
