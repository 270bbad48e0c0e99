output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Public subnets, one per availability zone (load balancers)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone (tasks, databases)."
  value       = aws_subnet.private[*].id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}
