# Naming and tags shared by every module of an environment.
#
# AWS limits that decide the name length: ALB and target group names at most 32
# characters, RDS identifiers at most 63. The shared prefix leaves room for the
# longest suffix the modules add ("-tg" plus a 4-character hash).

locals {
  hash   = substr(sha1(var.environment), 0, 4)
  prefix = length(var.environment) <= 25 ? var.environment : "${substr(var.environment, 0, 20)}-${local.hash}"
}
