output "address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret RDS manages for the master user (its ARN, not its value)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "container_environment" {
  description = "Plain connection settings for the service's environment."
  value = {
    PGHOST     = aws_db_instance.this.address
    PGPORT     = tostring(aws_db_instance.this.port)
    PGDATABASE = var.database_name
    PGSSLMODE  = "require"
  }
}

output "container_secrets" {
  description = "Credentials as Secrets Manager references (ARN:json-key::) for the service's task definition."
  value = {
    PGUSER     = "${aws_db_instance.this.master_user_secret[0].secret_arn}:username::"
    PGPASSWORD = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::"
  }
}
