# An EventBridge rule whose pattern starts a Fargate task in the environment's private
# subnets, one task per matching event.
#
# Three roles: the execution role (pull the image, write logs), the task role (what the
# job may do, nothing by default) and EventBridge's role (run this task definition in this
# cluster and pass the two roles to ECS, nothing else). Events EventBridge cannot turn into
# a task after its retries land in a dead-letter queue instead of vanishing. The event
# reaches the container as environment variables (its id, source, detail-type and time, and
# the scalar fields var.event_fields names): EventBridge can put a whole event only into a
# JSON field, never into a string such as an environment variable's value.

resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/idp/${var.name}/events"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (14 days unless the spec asks): a year of logs for a short-lived environment is cost without a reader. Production specs set it.
}

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  count  = var.task_policy_json == null ? 0 : 1
  name   = "task"
  role   = aws_iam_role.task.id
  policy = var.task_policy_json
}

resource "aws_security_group" "task" {
  name_prefix = "${var.name}-evt-"
  description = "Event-driven task of ${var.name}: no inbound traffic."
  #checkov:skip=CKV2_AWS_5:Attached to the task by aws_cloudwatch_event_target.ecs_target.network_configuration, which checkov does not follow.
  vpc_id = var.vpc_id
  tags   = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "task_https" {
  security_group_id = aws_security_group.task.id
  description       = "HTTPS out through the NAT gateway: image pulls, AWS APIs, the job's own calls"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name                   = "job"
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = var.read_only_root_filesystem
    command                = length(var.command) > 0 ? var.command : null
    environment            = [for k, v in var.environment_variables : { name = k, value = v }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "job"
      }
    }
  }])
}

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.name}-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = var.kms_key_arn == null
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

# EventBridge writes to a dead-letter queue through the queue's policy, not a role.
data "aws_iam_policy_document" "dead_letters" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.this.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "dead_letters" {
  queue_url = aws_sqs_queue.dead_letters.id
  policy    = data.aws_iam_policy_document.dead_letters.json
}

resource "aws_cloudwatch_event_rule" "this" {
  name           = "${var.name}-events"
  description    = "Starts the event-driven task of ${var.name}."
  event_bus_name = var.event_bus_name
  event_pattern  = var.event_pattern
  state          = var.enabled ? "ENABLED" : "DISABLED"
  tags           = var.tags
}

data "aws_iam_policy_document" "assume_events" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "events" {
  name_prefix        = "${var.name}-evt-"
  assume_role_policy = data.aws_iam_policy_document.assume_events.json
  tags               = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "RunThisTask"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.this.arn_without_revision, "${aws_ecs_task_definition.this.arn_without_revision}:*"]
    condition {
      test     = "ArnLike"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    sid       = "TagTheTask"
    actions   = ["ecs:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassTheTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "run-event-task"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

locals {
  # EventBridge's input paths: the event's own four, then the spec's fields.
  own_fields = {
    IDP_EVENT_ID          = "$.id"
    IDP_EVENT_SOURCE      = "$.source"
    IDP_EVENT_DETAIL_TYPE = "$.detail-type"
    IDP_EVENT_TIME        = "$.time"
  }
  event_fields = merge(var.event_fields, local.own_fields)
  # Each field's value is a scalar inside quotes; <NAME> is EventBridge's placeholder,
  # which jsonencode writes as \u003cNAME\u003e, so the brackets are put back.
  input_template = replace(replace(jsonencode({
    containerOverrides = [{
      name        = "job"
      environment = [for k in sort(keys(local.event_fields)) : { name = k, value = "<${k}>" }]
    }]
  }), "\\u003c", "<"), "\\u003e", ">")
}

resource "aws_cloudwatch_event_target" "this" {
  rule           = aws_cloudwatch_event_rule.this.name
  event_bus_name = var.event_bus_name
  target_id      = "run-task"
  arn            = aws_ecs_cluster.this.arn
  role_arn       = aws_iam_role.events.arn

  ecs_target {
    task_definition_arn = aws_ecs_task_definition.this.arn
    launch_type         = "FARGATE"
    task_count          = 1
    propagate_tags      = "TASK_DEFINITION"

    network_configuration {
      subnets          = var.private_subnet_ids
      security_groups  = [aws_security_group.task.id]
      assign_public_ip = false
    }
  }

  input_transformer {
    input_paths    = local.event_fields
    input_template = local.input_template
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letters.arn
  }

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_seconds
    maximum_retry_attempts       = var.retry_attempts
  }
}
