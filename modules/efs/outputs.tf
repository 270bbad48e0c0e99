output "file_system_id" {
  description = "ID of the file system."
  value       = aws_efs_file_system.this.id
}

output "file_system_arn" {
  description = "ARN of the file system."
  value       = aws_efs_file_system.this.arn
}

output "access_point_ids" {
  description = "Access point IDs by name, for the task definition's EFS volumes."
  value       = { for k, a in aws_efs_access_point.this : k => a.id }
}

output "security_group_id" {
  description = "Security group of the mount targets."
  value       = aws_security_group.this.id
}

output "client_policy_json" {
  description = "IAM policy that lets a service mount and write the file system through its access points."
  value       = data.aws_iam_policy_document.client.json
}

output "task_volumes" {
  description = "One ECS task-definition volume per access point (TLS and IAM authorisation on), named efs-<access point>."
  value = [for k, a in aws_efs_access_point.this : {
    name = "efs-${k}"
    efsVolumeConfiguration = {
      fileSystemId      = aws_efs_file_system.this.id
      transitEncryption = "ENABLED"
      authorizationConfig = {
        accessPointId = a.id
        iam           = "ENABLED"
      }
    }
  }]
}
