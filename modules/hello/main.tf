# A module with no cloud resources: only Terraform's built-in `terraform_data`. It lets
# anyone (and the test suite) run `idp apply --run` and `idp destroy --run` end to end on
# a machine with no cloud account and no provider downloads.

resource "terraform_data" "greeting" {
  input = {
    message = "Hello from ${var.environment}: ${var.greeting}"
    tags    = var.tags
  }
}
