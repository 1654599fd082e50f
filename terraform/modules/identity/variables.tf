variable "name" {
  description = "Name of the user pool and prefix of its app clients, e.g. bloody-sweet-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,47}$", var.name))
    error_message = "name must be 3-48 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment of the pool: prod gets deletion protection (a deleted pool takes every customer account with it and cannot be restored)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "domain_prefix" {
  description = "Prefix of the Cognito domain of the hosted sign-in pages and OAuth endpoints: https://<prefix>.auth.<region>.amazoncognito.com (unique in the region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain_prefix)) && !can(regex("aws|amazon|cognito", var.domain_prefix))
    error_message = "domain_prefix must be 1-63 lowercase letters, digits or inner dashes, without aws, amazon or cognito (Cognito's rules for prefix domains)."
  }
}

variable "callback_urls" {
  description = "Where the hosted sign-in may send the authorization code: the mobile app's redirect URIs (a custom scheme such as bloodysweet://auth/callback, https, or http://localhost for development)."
  type        = list(string)

  validation {
    condition = length(var.callback_urls) >= 1 && length(var.callback_urls) <= 100 && alltrue([
      for u in var.callback_urls : can(regex("^[a-z][a-z0-9+.-]*://[^\\s#]+$", u)) && (!startswith(u, "http://") || can(regex("^http://localhost(:[0-9]+)?(/|$)", u)))
    ])
    error_message = "callback_urls must list 1 to 100 absolute URIs without fragment: https, an app scheme (bloodysweet://...) or http://localhost only (Cognito refuses other plain-HTTP redirects)."
  }
}

variable "logout_urls" {
  description = "Where the hosted sign-out may send the user back; same rules as callback_urls."
  type        = list(string)
  default     = []

  validation {
    condition = length(var.logout_urls) <= 100 && alltrue([
      for u in var.logout_urls : can(regex("^[a-z][a-z0-9+.-]*://[^\\s#]+$", u)) && (!startswith(u, "http://") || can(regex("^http://localhost(:[0-9]+)?(/|$)", u)))
    ])
    error_message = "logout_urls must list at most 100 absolute URIs without fragment: https, an app scheme (bloodysweet://...) or http://localhost only."
  }
}

variable "resource_server_identifier" {
  description = "Identifier of the API's resource server: the prefix of its scopes in tokens (<identifier>/<scope>), as the API's routes name them."
  type        = string
  default     = "orders"

  validation {
    condition     = can(regex("^[a-z][a-z0-9._-]{0,255}$", var.resource_server_identifier))
    error_message = "resource_server_identifier must be lowercase letters, digits, ., _ or -, starting with a letter (the scopes read <identifier>/<scope>)."
  }
}

variable "scopes" {
  description = "Scopes of the resource server, name => description: every scope an API route requires (a route scope orders/stream.all is the scope stream.all here)."
  type        = map(string)

  validation {
    condition     = length(var.scopes) >= 1 && length(var.scopes) <= 100 && alltrue([for n, d in var.scopes : can(regex("^[A-Za-z0-9._-]{1,256}$", n)) && length(trimspace(d)) > 0 && length(d) <= 256])
    error_message = "scopes must map 1 to 100 scope names (letters, digits, ., _ or -) to non-empty descriptions of at most 256 characters."
  }
}

variable "app_client_scopes" {
  description = "Scopes of the resource server the customers' mobile app client may request besides openid and email. Any customer who signs in gets every scope its client allows, so none by default: a scope here is granted to all customers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.app_client_scopes : contains(keys(var.scopes), s)])
    error_message = "app_client_scopes must name scopes declared in scopes."
  }
}

variable "machine_client_scopes" {
  description = "Scopes of the resource server for a confidential machine client (client_credentials grant, with a secret) for operators' tools and the load harness; empty: no machine client."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.machine_client_scopes : contains(keys(var.scopes), s)])
    error_message = "machine_client_scopes must name scopes declared in scopes."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of access (and ID) tokens: the edge authorizer cannot revoke a token before it expires, so keep it short."
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 15 && var.access_token_validity_minutes <= 60 && floor(var.access_token_validity_minutes) == var.access_token_validity_minutes
    error_message = "access_token_validity_minutes must be a whole number of minutes from 15 to 60."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of the mobile app's refresh tokens: how long a customer stays signed in without entering a password."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 90 && floor(var.refresh_token_validity_days) == var.refresh_token_validity_days
    error_message = "refresh_token_validity_days must be a whole number of days from 1 to 90."
  }
}

variable "password_minimum_length" {
  description = "Minimum password length; passwords also need a lowercase and an uppercase letter, a digit and a symbol, and may not repeat the last 5."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 12 && var.password_minimum_length <= 99 && floor(var.password_minimum_length) == var.password_minimum_length
    error_message = "password_minimum_length must be a whole number from 12 to 99."
  }
}

variable "threat_protection" {
  description = "Cognito threat protection (advanced security) for sign-ins: ENFORCED blocks or challenges risky sign-ins and compromised credentials, AUDIT only logs them, OFF disables it. ENFORCED and AUDIT need the PLUS feature plan (priced per monthly active user); OFF uses ESSENTIALS."
  type        = string
  default     = "ENFORCED"

  validation {
    condition     = contains(["ENFORCED", "AUDIT", "OFF"], var.threat_protection)
    error_message = "threat_protection must be ENFORCED, AUDIT or OFF."
  }

  validation {
    condition     = var.environment != "prod" || var.threat_protection == "ENFORCED"
    error_message = "threat_protection must be ENFORCED in prod (customers' accounts hold their orders)."
  }
}

variable "tags" {
  description = "Tags on every taggable resource (the user pool); must include environment, owner and cost-center."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["environment", "owner", "cost-center"] : contains(keys(var.tags), k)])
    error_message = "tags must include the keys environment, owner and cost-center."
  }
}
