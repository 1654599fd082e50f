output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (nodes, pods), in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "intra_subnet_ids" {
  description = "IDs of the intra subnets (data stores, no internet route), in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.intra[az].id]
}

output "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, in the order of var.azs."
  value       = [for az in var.azs : local.private_cidrs[az]]
}

output "intra_subnet_cidrs" {
  description = "CIDRs of the intra subnets, in the order of var.azs."
  value       = [for az in var.azs : local.intra_cidrs[az]]
}

output "nat_gateway_count" {
  description = "Number of NAT gateways (three with nat_gateway_per_az, else one)."
  value       = length(aws_nat_gateway.this)
}
