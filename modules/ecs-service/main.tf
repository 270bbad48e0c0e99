# One Fargate service in private subnets. When it serves HTTP, an application load
# balancer in the public subnets fronts it and only that load balancer may reach the
# service port; with a certificate, HTTP redirects to HTTPS.
#
# Two roles, on purpose: the execution role is what ECS itself uses to start the task
# (pull the image, write logs, read the task's secrets); the task role is what the
# container may do, and grants nothing unless the template passes a policy.

locals {
  # A certificate wired from another call (the domain module's) is unknown until apply, and
  # count cannot wait for it: the template then says https_listener itself.
  https = var.expose_http && (var.https_listener == null ? var.certificate_arn != null : var.https_listener)
  # Secret references may point at one JSON key of a secret ("arn:…:secret:name-AbCdEf:password::");
  # IAM wants the secret's own ARN.
  secret_arns = distinct([
    for ref in values(var.secret_environment) : regex("^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)", ref)[0]
  ])
  environment = merge(var.environment_variables, var.linked_environment)
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/idp/${var.name}/app"
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

data "aws_iam_policy_document" "read_secrets" {
  count = length(local.secret_arns) > 0 ? 1 : 0

  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  count  = length(local.secret_arns) > 0 ? 1 : 0
  name   = "read-task-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets[0].json
}

resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  count  = (var.has_task_policy == null ? var.task_policy_json != null : var.has_task_policy) ? 1 : 0
  name   = "task"
  role   = aws_iam_role.task.id
  policy = var.task_policy_json
}

resource "aws_security_group" "alb" {
  count       = var.expose_http ? 1 : 0
  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}: HTTP and HTTPS from anywhere."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each          = var.expose_http ? toset(local.https ? ["80", "443"] : ["80"]) : toset([])
  security_group_id = aws_security_group.alb[0].id
  description       = each.key == "80" && local.https ? "HTTP, redirected to HTTPS" : "Public ${each.key == "80" ? "HTTP" : "HTTPS"}"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  #checkov:skip=CKV_AWS_260:A public web service's load balancer is reached from anywhere on port 80; with a certificate, 80 only redirects to HTTPS.
  cidr_ipv4 = "0.0.0.0/0"
  tags      = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  count                        = var.expose_http ? 1 : 0
  security_group_id            = aws_security_group.alb[0].id
  description                  = "To the service port only"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.service.id
  tags                         = var.tags
}

resource "aws_security_group" "service" {
  name_prefix = "${var.name}-svc-"
  description = "Tasks of ${var.name}: only the load balancer reaches the service port."
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  count                        = var.expose_http ? 1 : 0
  security_group_id            = aws_security_group.service.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb[0].id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "service_https" {
  security_group_id = aws_security_group.service.id
  description       = "HTTPS out through the NAT gateway: image pulls, AWS APIs, the service's own calls"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "service_vpc" {
  security_group_id = aws_security_group.service.id
  description       = "Anything inside the environment's VPC (its database, for one)"
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr_block
  tags              = var.tags
}

resource "aws_lb" "this" {
  count                      = var.expose_http ? 1 : 0
  name                       = var.name
  load_balancer_type         = "application"
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb[0].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags
  #checkov:skip=CKV_AWS_91:Access logs need an S3 bucket per environment; the organisation enables them centrally where it wants them.
  #checkov:skip=CKV2_AWS_28:WAF is an organisation-wide decision (AWS Firewall Manager), not one per environment.
  #checkov:skip=CKV2_AWS_20:HTTP redirects to HTTPS whenever the spec gives a certificate; previews without one serve HTTP.
  #checkov:skip=CKV_AWS_150:Deletion protection follows the class (production only), through var.deletion_protection.
}

resource "aws_lb_target_group" "this" {
  count       = var.expose_http ? 1 : 0
  name        = "${var.name}-tg"
  port        = var.container_port
  protocol    = "HTTP"
  target_type = "ip"
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; from there to the task the traffic stays inside the private subnets.
  vpc_id = var.vpc_id
  tags   = var.tags

  health_check {
    path                = var.health_check_path
    healthy_threshold   = 2
    unhealthy_threshold = 3
    interval            = 15
    matcher             = "200-399"
  }
}

resource "aws_lb_listener" "http" {
  count             = var.expose_http ? 1 : 0
  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  #checkov:skip=CKV_AWS_2:Port 80 redirects to HTTPS when a certificate is given; previews without one serve HTTP.
  #checkov:skip=CKV_AWS_103:TLS is set on the HTTPS listener; this one is plain HTTP by definition.
  protocol = "HTTP"
  tags     = var.tags

  dynamic "default_action" {
    for_each = local.https ? [1] : []
    content {
      type = "redirect"
      redirect {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  dynamic "default_action" {
    for_each = local.https ? [] : [1]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.this[0].arn
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }
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

  # EFS access points (the efs module's task_volumes): TLS in transit, IAM-authorised with
  # the task role, which the efs call's grant lets mount and write.
  dynamic "volume" {
    for_each = var.efs_volumes
    content {
      name = volume.value.name
      efs_volume_configuration {
        file_system_id     = volume.value.efsVolumeConfiguration.fileSystemId
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = volume.value.efsVolumeConfiguration.authorizationConfig.accessPointId
          iam             = "ENABLED"
        }
      }
    }
  }

  container_definitions = jsonencode([{
    name                   = "app"
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = var.read_only_root_filesystem
    portMappings           = var.expose_http ? [{ containerPort = var.container_port, protocol = "tcp" }] : []
    environment            = [for k, v in local.environment : { name = k, value = v }]
    secrets                = [for k, ref in var.secret_environment : { name = k, valueFrom = ref }]
    mountPoints            = [for m in var.mount_points : { sourceVolume = m.volume, containerPath = m.path, readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "app"
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                 = var.name
  cluster              = aws_ecs_cluster.this.id
  task_definition      = aws_ecs_task_definition.this.arn
  desired_count        = var.desired_count
  launch_type          = "FARGATE"
  propagate_tags       = "SERVICE"
  force_new_deployment = true
  tags                 = var.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.expose_http ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.this[0].arn
      container_name   = "app"
      container_port   = var.container_port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Autoscaling owns the count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https]
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.desired_count
  max_capacity       = var.max_count
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = var.scale_on_queue == null ? 1 : 0
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.cpu_target
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Queue workers scale on backlog per task: visible messages divided by running tasks,
# the metric AWS recommends for SQS-fed services.
resource "aws_appautoscaling_policy" "queue" {
  count              = var.scale_on_queue == null ? 0 : 1
  name               = "${var.name}-backlog"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.messages_per_task

    customized_metric_specification {
      metrics {
        id          = "visible"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"
            dimensions {
              name  = "QueueName"
              value = var.scale_on_queue
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.this.name
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_task"
        label       = "Visible messages per running task"
        expression  = "visible / IF(tasks > 0, tasks, 1)"
        return_data = true
      }
    }
  }
}

# Business hours: outside the environment's schedule the service is scaled to zero (no
# task, so no Fargate hours), and back to its autoscaling range when the hours start.
# Application Auto Scaling runs both actions in the schedule's own time zone, so
# daylight saving time needs nothing here.
locals {
  schedule_days = var.schedule == null ? "" : join(",", var.schedule.days)
}

resource "aws_appautoscaling_scheduled_action" "start" {
  count              = var.schedule == null ? 0 : 1
  name               = "${var.name}-start"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  schedule           = "cron(${tonumber(split(":", var.schedule.start)[1])} ${tonumber(split(":", var.schedule.start)[0])} ? * ${local.schedule_days} *)"
  timezone           = var.schedule.timezone

  scalable_target_action {
    min_capacity = var.desired_count
    max_capacity = var.max_count
  }
}

resource "aws_appautoscaling_scheduled_action" "stop" {
  count              = var.schedule == null ? 0 : 1
  name               = "${var.name}-stop"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  schedule           = "cron(${tonumber(split(":", var.schedule.stop)[1])} ${tonumber(split(":", var.schedule.stop)[0])} ? * ${local.schedule_days} *)"
  timezone           = var.schedule.timezone

  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }

  # Application Auto Scaling refuses two concurrent changes to one target's actions.
  depends_on = [aws_appautoscaling_scheduled_action.start]
}
