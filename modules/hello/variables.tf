variable "environment" {
  description = "Environment name from the spec."
  type        = string
}

variable "greeting" {
  description = "Text to greet with."
  type        = string
  default     = "hello, world"

  validation {
    condition     = length(var.greeting) > 0 && length(var.greeting) <= 200
    error_message = "greeting must be 1 to 200 characters."
  }
}

variable "tags" {
  description = "Tags idp derived (stored with the resource, so the run shows them)."
  type        = map(string)
}
