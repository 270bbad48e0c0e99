variable "name" {
  description = "Name prefix from the common module."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /24."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be an IPv4 CIDR from /16 to /24."
  }
}

variable "nat_gateway_count" {
  description = "NAT gateways: 1 (cheaper, one AZ) or 2 (one per AZ)."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2], var.nat_gateway_count)
    error_message = "nat_gateway_count must be 1 or 2."
  }
}

variable "flow_logs" {
  description = "Record VPC flow logs (all traffic) in CloudWatch Logs."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days CloudWatch keeps the flow logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, … 3653)."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the flow log group, or null for CloudWatch's own encryption."
  type        = string
  default     = null
}

variable "zone_suffixes" {
  description = "Letters of the two availability zones to use (us-west-1 accounts may need [\"b\", \"c\"])."
  type        = list(string)
  default     = ["a", "b"]

  validation {
    condition     = length(var.zone_suffixes) == 2 && alltrue([for s in var.zone_suffixes : can(regex("^[a-z]$", s))])
    error_message = "zone_suffixes must be two zone letters, such as [\"a\", \"b\"]."
  }
}
