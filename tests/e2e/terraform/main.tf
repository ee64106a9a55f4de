# The configuration tests/e2e/test_terraform_records.py applies with real Terraform against the live server.
# Stage 1 creates everything; stage 2 changes one record's values (UPSERT), another's type (DELETE + CREATE
# in one batch) and adds the imported record to the configuration.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" { type = string }
variable "parent" { type = string }
variable "stage" { type = number }

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    route53 = var.endpoint
    kms     = var.endpoint
  }
}

locals {
  child = "signed.${var.parent}"
  # 300 characters: Terraform's documented way to write a TXT value longer than 255 is to split it with \"\".
  dkim = join("", [for i in range(300) : substr("abcdefghijklmnopqrstuvwxyz0123456789", i % 36, 1)])
}

resource "aws_route53_zone" "parent" {
  name = var.parent
}

# force_destroy: on destroy the provider deletes the records it does not manage, then the zone.
resource "aws_route53_zone" "child" {
  name          = local.child
  force_destroy = true
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = "www.${var.parent}"
  type    = "A"
  ttl     = 300
  records = var.stage == 1 ? ["192.0.2.1", "192.0.2.2"] : ["192.0.2.3"]
}

resource "aws_route53_record" "moved" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = "moved.${var.parent}"
  type    = var.stage == 1 ? "CNAME" : "A"
  ttl     = 300
  records = var.stage == 1 ? ["old.example.net"] : ["192.0.2.77"]
}

resource "aws_route53_record" "wildcard" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = "*.${var.parent}"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.9"]
}

resource "aws_route53_record" "dkim" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = "dkim._domainkey.${var.parent}"
  type    = "TXT"
  ttl     = 300
  records = ["${substr(local.dkim, 0, 255)}\"\"${substr(local.dkim, 255, 45)}", "v=spf1 -all"]
}

resource "aws_route53_record" "mx" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = var.parent
  type    = "MX"
  ttl     = 3600
  records = ["10 mail.${var.parent}", "20 backup.example.net"]
}

resource "aws_route53_record" "alias" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = "alias.${var.parent}"
  type    = "A"
  alias {
    zone_id                = aws_route53_zone.parent.zone_id
    name                   = aws_route53_record.www.fqdn
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "blue" {
  zone_id        = aws_route53_zone.parent.zone_id
  name           = "app.${var.parent}"
  type           = "A"
  ttl            = 60
  set_identifier = "blue"
  records        = ["192.0.2.10"]
  weighted_routing_policy {
    weight = 90
  }
}

resource "aws_route53_record" "green" {
  zone_id        = aws_route53_zone.parent.zone_id
  name           = "app.${var.parent}"
  type           = "A"
  ttl            = 60
  set_identifier = "green"
  records        = ["192.0.2.11"]
  weighted_routing_policy {
    weight = 10
  }
}

# The zone's own NS record, taken over with allow_overwrite (an UPSERT of the existing set).
resource "aws_route53_record" "apex_ns" {
  zone_id         = aws_route53_zone.parent.zone_id
  name            = var.parent
  type            = "NS"
  ttl             = 3600
  allow_overwrite = true
  records         = aws_route53_zone.parent.name_servers
}

resource "aws_route53_record" "imported" {
  count          = var.stage == 2 ? 1 : 0
  zone_id        = aws_route53_zone.parent.zone_id
  name           = "legacy.${var.parent}"
  type           = "TXT"
  ttl            = 120
  set_identifier = "legacy"
  records        = ["hello world", "quote \\\"inside\\\""]
  weighted_routing_policy {
    weight = 5
  }
}

# The DNSSEC chain: the child zone signs with a KSK on a KMS key; the parent delegates to it with NS and DS.
resource "aws_kms_key" "dnssec" {
  customer_master_key_spec = "ECC_NIST_P256"
  deletion_window_in_days  = 7
  key_usage                = "SIGN_VERIFY"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Allow Route 53 DNSSEC Service"
        Effect    = "Allow"
        Principal = { Service = "dnssec-route53.amazonaws.com" }
        Action    = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]
        Resource  = "*"
      },
      {
        Sid       = "Enable IAM User Permissions"
        Effect    = "Allow"
        Principal = { AWS = "*" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_route53_key_signing_key" "child" {
  hosted_zone_id             = aws_route53_zone.child.id
  key_management_service_arn = aws_kms_key.dnssec.arn
  name                       = "child_ksk"
}

resource "aws_route53_hosted_zone_dnssec" "child" {
  depends_on     = [aws_route53_key_signing_key.child]
  hosted_zone_id = aws_route53_key_signing_key.child.hosted_zone_id
}

resource "aws_route53_record" "delegation" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = local.child
  type    = "NS"
  ttl     = 172800
  records = aws_route53_zone.child.name_servers
}

resource "aws_route53_record" "ds" {
  zone_id = aws_route53_zone.parent.zone_id
  name    = local.child
  type    = "DS"
  ttl     = 3600
  records = [aws_route53_key_signing_key.child.ds_record]
}

output "parent_zone_id" { value = aws_route53_zone.parent.zone_id }
output "parent_name_servers" { value = aws_route53_zone.parent.name_servers }
output "child_zone_id" { value = aws_route53_zone.child.zone_id }
output "child_name_servers" { value = aws_route53_zone.child.name_servers }
output "ds_record" { value = aws_route53_key_signing_key.child.ds_record }
output "kms_key_arn" { value = aws_kms_key.dnssec.arn }
