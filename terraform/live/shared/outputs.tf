output "ecr_registry" {
  description = "Registry host."
  value       = module.ecr.registry
}

output "ecr_repository_urls" {
  description = "Repository URL per service."
  value       = module.ecr.repository_urls
}
