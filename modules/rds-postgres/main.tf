# One PostgreSQL instance in the environment's private subnets, reachable only from the
# service's security group on 5432.
#
# The master password never passes through idp, variables, outputs or logs: RDS creates
# it in Secrets Manager (manage_master_user_password) and the service reads it from there
# at start. The class decides deletion protection, Multi-AZ and backup retention; the
# template passes the result.

locals {
  identifier = "${var.name}-pg"
}

resource "aws_db_subnet_group" "this" {
  name_prefix = "${var.name}-"
  description = "Private subnets of ${var.name}."
  subnet_ids  = var.private_subnet_ids
  tags        = var.tags
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-pg-"
  description = "PostgreSQL of ${var.name}: only the service reaches 5432."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_service" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from the service"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.client_security_group_id
  tags                         = var.tags
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-pg${var.engine_version}-"
  family      = "postgres${var.engine_version}"
  description = "PostgreSQL ${var.engine_version} settings of ${var.name}."
  tags        = var.tags

  # Log connections and slow statements; never statement text with bound values.
  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  allocated_storage     = var.storage_gb
  max_allocated_storage = var.max_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  copy_tags_to_snapshot               = true

  backup_retention_period   = var.backup_retention_days
  backup_window             = "03:00-04:00"
  maintenance_window        = "sun:04:30-sun:05:30"
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.final_snapshot
  final_snapshot_identifier = var.final_snapshot ? "${local.identifier}-final" : null

  performance_insights_enabled    = var.performance_insights
  performance_insights_kms_key_id = var.performance_insights ? var.kms_key_arn : null

  tags = var.tags

  #checkov:skip=CKV_AWS_157:Multi-AZ follows the class (production), through var.multi_az; previews pay for one instance.
  #checkov:skip=CKV_AWS_293:Deletion protection follows the class (production), through var.deletion_protection.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs a monitoring role per environment; CloudWatch metrics and exported logs cover previews, production adds it centrally.
  #checkov:skip=CKV_AWS_353:Performance Insights follows var.performance_insights, which the template turns on for production.
  #checkov:skip=CKV_AWS_354:Performance Insights data uses var.kms_key_arn when the environment has its own key.
}
